// tests/mmu_sim/test_frame_ring.cc: FrameRing (frame_ring.hpp), the recency and fill order of
// LruPolicy and FifoPolicy, against a plain std::list of frames step for step: every operation
// (push at either end, removal, move to the front, both rotations) on random frames, with the
// front, back, size, membership, each listed frame's list neighbours and valid() compared after
// every step, for sizes 1..17; bad calls (removing an unlisted frame, listing a frame twice)
// abort; and FrameTable's per-frame records (the payload FramePool keeps its metadata in) are
// one aligned record per frame that the table itself never changes.
#include <criterion/criterion.h>

#include <csignal>
#include <cstdint>
#include <iterator>
#include <list>

#include "mmu_sim/frame_ring.hpp"
#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "sim_test_util.hpp"

using namespace hpmm::sim;
using hpmm::sim::test::xorshift;

namespace {

bool listed(const std::list<uint32_t> &m, uint32_t f) {
  for (uint32_t x : m)
    if (x == f) return true;
  return false;
}

// The ring and the model agree on everything a policy reads.
void compare(const FrameRing &r, const std::list<uint32_t> &m, uint32_t n, int step) {
  cr_assert(r.valid(), "n %u step %d: valid()", n, step);
  cr_assert_eq(r.size(), m.size(), "n %u step %d", n, step);
  cr_assert_eq(r.empty(), m.empty());
  cr_assert_eq(r.front(), m.empty() ? n : m.front(), "n %u step %d: front", n, step);
  cr_assert_eq(r.back(), m.empty() ? n : m.back(), "n %u step %d: back", n, step);
  for (uint32_t f = 0; f < n; ++f) cr_assert_eq(r.contains(f), listed(m, f));
  for (auto it = m.begin(); it != m.end(); ++it) {
    const auto nx = std::next(it);
    cr_assert_eq(r.next(*it), nx == m.end() ? n : *nx, "n %u step %d: next", n, step);
    cr_assert_eq(r.prev(*it), it == m.begin() ? n : *std::prev(it), "n %u step %d", n, step);
    cr_assert_eq(r.cycle_prev(*it), it == m.begin() ? m.back() : *std::prev(it));
  }
}

void run(uint32_t n, uint64_t seed) {
  FrameRing r(n);
  std::list<uint32_t> m;
  uint64_t x = seed;
  compare(r, m, n, -1);
  for (int step = 0; step < 3000; ++step) {
    const uint64_t v = xorshift(x);
    const uint32_t f = static_cast<uint32_t>(v % n);
    const unsigned op = static_cast<unsigned>((v >> 32) % 6);
    if (!r.contains(f)) {  // list it at either end
      if (op % 2 == 0) {
        r.push_front(f);
        m.push_front(f);
      } else {
        r.push_back(f);
        m.push_back(f);
      }
    } else if (op == 0) {
      r.remove(f);
      m.remove(f);
    } else if (op <= 2) {
      r.move_to_front(f);
      m.remove(f);
      m.push_front(f);
    } else if (op == 3) {
      const uint32_t moved = r.rotate_back_to_front();
      cr_assert_eq(moved, m.back());
      m.push_front(m.back());
      m.pop_back();
    } else if (op == 4) {
      const uint32_t moved = r.rotate_front_to_back();
      cr_assert_eq(moved, m.front());
      m.push_back(m.front());
      m.pop_front();
    } else {  // the back moved to the front, LruPolicy's on_access of its least recent frame
      const uint32_t b = r.back();
      r.move_to_front(b);
      m.remove(b);
      m.push_front(b);
    }
    compare(r, m, n, step);
  }
}

struct Payload {
  uint64_t a = 7;
  uint64_t b = 9;
  uint32_t c = 11;
};

}  // namespace

Test(frame_ring, equals_a_plain_list_for_sizes_1_to_17) {
  for (uint32_t n = 1; n <= 17; ++n) run(n, 0x9e3779b97f4a7c15ull + n);
}

Test(frame_ring, empty_ring_names_no_frame) {
  FrameRing r(5);
  cr_assert(r.valid());
  cr_assert_eq(r.front(), 5u);
  cr_assert_eq(r.back(), 5u);
  r.push_back(3);
  cr_assert_eq(r.front(), 3u);
  cr_assert_eq(r.back(), 3u);
  cr_assert_eq(r.next(3), 5u);
  cr_assert_eq(r.prev(3), 5u);
  cr_assert_eq(r.rotate_back_to_front(), 3u);
  r.remove(3);
  cr_assert(r.valid() && r.empty());
  cr_assert_eq(r.front(), 5u);
}

Test(frame_ring, remove_of_unlisted_frame_aborts, .signal = SIGABRT) {
  FrameRing r(4);
  r.push_front(1);
  r.remove(2);
}

Test(frame_ring, listing_a_frame_twice_aborts, .signal = SIGABRT) {
  FrameRing r(4);
  r.push_front(1);
  r.push_back(1);
}

Test(frame_ring, out_of_range_frame_aborts, .signal = SIGABRT) {
  FrameRing r(4);
  r.push_front(4);
}

Test(frame_record, payload_is_the_callers_and_records_are_aligned) {
  using Table = FrameTable<LruPolicy, Payload>;
  static_assert(sizeof(Table::Record) == 32 && alignof(Table::Record) == 32);
  static_assert(sizeof(FrameTable<LruPolicy>::Record) == 8);
  Table t(6, 1);
  cr_assert_eq(reinterpret_cast<uintptr_t>(t.records()) % 32, 0u);
  for (uint32_t f = 0; f < 6; ++f) {
    cr_assert_eq(t.extra(f).a, 7u);  // value-initialised
    t.extra(f).c = 100 + f;
  }
  // Fill and then evict every frame twice over: owners change, payloads do not.
  for (uint64_t k = 1; k <= 18; ++k) {
    const auto p = t.place(k, k);
    cr_assert_eq(t.owner(p.frame), k);
    cr_assert_eq(p.evicted, k > 6);
    if (p.evicted) cr_assert_eq(p.victim_key, k - 6);  // LRU with no references: oldest
    cr_assert(t.valid());
  }
  for (uint32_t f = 0; f < 6; ++f) {
    cr_assert_eq(t.extra(f).c, 100 + f);
    cr_assert_eq(t.records()[f].owner, t.owner(f));
  }
  t.release(2);
  cr_assert_eq(t.records()[2].owner, 0u);
  cr_assert_eq(t.extra(2).c, 102u);
  cr_assert(t.valid());
}
