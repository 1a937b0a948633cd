// tests/mmu_sim/test_fault_lru_hint.cc: LruPolicy (policy_lru.hpp) stays exact LRU with its
// look-ahead prefetch hint: FrameTable<LruPolicy> against a plain list of keys (most recent
// first) over fault-heavy, hit-heavy and mixed reference streams with unmaps, every victim
// compared, valid() along the way; a referenced least recent frame is not evicted; and the hint
// names the frame evicted kHintAhead victims later when nothing else happens in between.
#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <vector>

#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "sim_test_util.hpp"

using namespace hpmm::sim;
using hpmm::sim::test::xorshift;

namespace {

// Runs `steps` references to keys 1..keys on n frames; unmaps a resident key on about one step in
// `unmap_every` (0: never).  Every fault's victim must be the model's least recent key.
void run_against_model(uint32_t n, uint64_t keys, uint64_t unmap_every, uint64_t seed) {
  FrameTable<LruPolicy> ft(n, 1);
  std::list<uint64_t> model;                    // most recent first
  std::vector<int64_t> frame_of(keys + 1, -1);  // key -> frame, -1: not resident
  uint64_t x = seed;
  for (uint64_t t = 0; t < 20000; ++t) {
    const uint64_t r = xorshift(x);
    const uint64_t key = 1 + r % keys;
    if (unmap_every != 0 && (r >> 40) % unmap_every == 0 && frame_of[key] >= 0) {
      ft.release(static_cast<uint32_t>(frame_of[key]));
      frame_of[key] = -1;
      model.remove(key);
      continue;
    }
    auto it = std::find(model.begin(), model.end(), key);
    if (it != model.end()) {
      ft.touch(static_cast<uint32_t>(frame_of[key]), t);
      model.erase(it);
    } else {
      const auto p = ft.place(key, t);
      if (p.evicted) {
        cr_assert_eq(p.victim_key, model.back(), "n %u keys %lu step %lu: victim", n,
                     (unsigned long)keys, (unsigned long)t);
        frame_of[model.back()] = -1;
        model.pop_back();
      } else {
        cr_assert_lt(model.size(), n, "a free frame used while the model is full");
      }
      frame_of[key] = p.frame;
    }
    model.push_front(key);
    cr_assert_eq(ft.used(), model.size());
    if (t % 499 == 0) cr_assert(ft.valid(), "n %u step %lu", n, (unsigned long)t);
  }
  cr_assert(ft.valid());
}

}  // namespace

Test(lru_policy_hint, victims_equal_a_plain_lru_list) {
  for (uint32_t n : {1u, 2u, 3u, 7u, 8u, 9u, 40u}) {
    run_against_model(n, n + 2, 0, 11 + n);       // hit-heavy: few keys beyond the frames
    run_against_model(n, 16 * n + 1, 0, 23 + n);  // fault-heavy: most references fault
    run_against_model(n, 3 * n + 1, 17, 37 + n);  // mixed, with unmaps
    run_against_model(n, 16 * n + 1, 5, 41 + n);  // fault-heavy with many unmaps
  }
}

// The least recent frame is referenced: it must not be the victim.
Test(lru_policy_hint, a_referenced_back_frame_is_not_evicted) {
  FrameTable<LruPolicy> ft(3, 1);
  const uint32_t a = ft.place(10, 0).frame, b = ft.place(11, 1).frame;
  ft.place(12, 2);
  ft.touch(a, 3);  // order now 10, 12, 11
  auto p = ft.place(13, 4);
  cr_assert(p.evicted);
  cr_assert_eq(p.victim_key, 11u);
  cr_assert_eq(p.frame, b);
  ft.touch(p.frame, 5);  // 13 again: already the most recent
  ft.touch(p.frame, 6);
  p = ft.place(14, 7);  // order 13, 10, 12: evicts 12
  cr_assert_eq(p.victim_key, 12u);
  p = ft.place(15, 8);  // order 14, 13, 10: evicts 10
  cr_assert_eq(p.victim_key, 10u);
  cr_assert(ft.valid());
}

// Faults only (no references, fills only into victims' frames): after each victim, the hint is
// the frame victim() returns kHintAhead victims later; with fewer frames than that, it is n.
Test(lru_policy_hint, the_hint_names_a_later_victim) {
  const uint32_t n = 64, k = LruPolicy::kHintAhead;
  LruPolicy p(n, 1);
  for (uint32_t f = 0; f < n; ++f) p.on_fill(f, f, f);
  std::vector<uint32_t> victims, hints;
  for (uint32_t i = 0; i < 500; ++i) {
    const uint32_t v = p.victim(n + i, n + i);
    victims.push_back(v);
    hints.push_back(p.next_victim_hint());
    p.on_fill(v, n + i, n + i);
  }
  for (size_t i = 0; i + k < victims.size(); ++i)
    cr_assert_eq(hints[i], victims[i + k], "victim %zu", i);
  cr_assert(p.valid());

  LruPolicy small(2, 1);
  small.on_fill(0, 1, 0);
  small.on_fill(1, 2, 1);
  const uint32_t v = small.victim(3, 2);
  cr_assert_eq(v, 0u);
  cr_assert_eq(small.next_victim_hint(), 2u, "fewer frames than the look-ahead: none named");
}
