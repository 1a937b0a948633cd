// tests/mmu_sim/test_fault_replace.cc: the one-step replace() of LruPolicy and FifoPolicy, which
// FrameTable::place calls instead of victim() then on_fill(), changes nothing a caller sees:
// FrameTable<P> against FrameTable<Split<P>> (the same policy seen without replace(), so place()
// takes victim() and on_fill()) over fault-heavy, hit-heavy and mixed streams with unmaps --
// every placement (frame, evicted, victim key), the hint, used() and valid() along the way.  And
// FrameList::move_to_back, which FIFO's replace uses, against a plain list.
#include <criterion/criterion.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <vector>

#include "mmu_sim/frame_list.hpp"
#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/policy_fifo.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "sim_test_util.hpp"

using namespace hpmm::sim;
using hpmm::sim::test::xorshift;

namespace {

// P without replace(): FrameTable takes the two-step path.
template <class P>
class Split {
 public:
  Split(uint32_t n, uint64_t seed) : p_(n, seed) {}
  void on_fill(uint32_t f, uint64_t key, uint64_t t) { p_.on_fill(f, key, t); }
  void on_access(uint32_t f, uint64_t t) { p_.on_access(f, t); }
  uint32_t victim(uint64_t key, uint64_t t) { return p_.victim(key, t); }
  void on_free(uint32_t f) { p_.on_free(f); }
  uint32_t next_victim_hint() const { return p_.next_victim_hint(); }
  bool tracks(uint32_t f) const { return p_.tracks(f); }
  uint32_t used() const { return p_.used(); }
  bool valid() const { return p_.valid(); }

 private:
  P p_;
};

// `steps` references to keys 1..keys on n frames; about one step in unmap_every (0: never)
// unmaps a resident key.  Both tables see the same stream and must agree at every step.  Returns
// the number of evictions (placements through replace()).
template <class P>
uint64_t compare(uint32_t n, uint64_t keys, uint64_t unmap_every, uint64_t seed) {
  FrameTable<P> one(n, 1);
  FrameTable<Split<P>> two(n, 1);
  std::vector<int64_t> frame_of(keys + 1, -1);  // key -> frame, -1: not resident
  uint64_t x = seed, evictions = 0;
  for (uint64_t t = 0; t < 20000; ++t) {
    const uint64_t r = xorshift(x);
    const uint64_t key = 1 + r % keys;
    if (frame_of[key] >= 0) {
      const uint32_t f = static_cast<uint32_t>(frame_of[key]);
      if (unmap_every != 0 && (r >> 40) % unmap_every == 0) {
        one.release(f);
        two.release(f);
        frame_of[key] = -1;
      } else {
        one.touch(f, t);
        two.touch(f, t);
      }
      continue;
    }
    const auto a = one.place(key, t), b = two.place(key, t);
    cr_assert_eq(a.frame, b.frame, "n %u step %lu: frame", n, (unsigned long)t);
    cr_assert_eq(a.evicted, b.evicted, "n %u step %lu: evicted", n, (unsigned long)t);
    cr_assert_eq(a.victim_key, b.victim_key, "n %u step %lu: victim", n, (unsigned long)t);
    cr_assert_eq(one.next_victim_hint(), two.next_victim_hint(), "n %u step %lu: hint", n,
                 (unsigned long)t);
    if (a.evicted) {
      frame_of[a.victim_key] = -1;
      ++evictions;
    }
    frame_of[key] = a.frame;
    cr_assert_eq(one.used(), two.used());
    if (t % 499 == 0) cr_assert(one.valid() && two.valid(), "n %u step %lu", n, (unsigned long)t);
  }
  cr_assert(one.valid() && two.valid());
  return evictions;
}

template <class P>
void compare_all() {
  for (uint32_t n : {1u, 2u, 3u, 4u, 5u, 64u}) {
    cr_assert_gt(compare<P>(n, 4 * n + 3, 0, 11 + n), 1000u, "n %u: replace() untested", n);
    compare<P>(n, n + 1, 0, 23 + n);  // hit-heavy
    compare<P>(n, 2 * n, 7, 37 + n);  // mixed, with unmaps
  }
}

}  // namespace

Test(fault_replace, lru_replace_equals_victim_then_fill) {
  compare_all<LruPolicy>();
}

Test(fault_replace, fifo_replace_equals_victim_then_fill) {
  compare_all<FifoPolicy>();
}

Test(fault_replace, empty_policy_refuses_replace, .signal = SIGABRT) {
  LruPolicy p(4, 1);
  p.replace(1, 0);
}

Test(frame_list, move_to_back_equals_a_plain_list) {
  const uint32_t n = 16;
  FrameList l(n);
  std::list<uint32_t> model;
  uint64_t x = 5;
  for (int i = 0; i < 5000; ++i) {
    const uint64_t r = xorshift(x);
    const uint32_t f = static_cast<uint32_t>(r % n);
    if (!l.contains(f)) {
      l.push_front(f);
      model.push_front(f);
    } else if ((r >> 32) % 4 == 0) {
      l.remove(f);
      model.remove(f);
    } else {
      l.move_to_back(f);
      model.remove(f);
      model.push_back(f);
    }
    std::vector<uint32_t> got;
    for (uint32_t y = l.front(); y != n; y = l.next(y)) got.push_back(y);
    cr_assert(std::equal(got.begin(), got.end(), model.begin(), model.end()), "step %d", i);
    cr_assert_eq(l.back(), model.empty() ? n : model.back());
  }
  cr_assert(l.valid());
}
