// tests/mmu_sim/test_tlb_fill_paths.cc: the miss path's shortcuts against the steps they replace.
//   - take(set) (a fill's victim and its on_fill in one step) against victim() then on_fill(), for
//     the stamps (any way count, and the 4-way form) and the packed order (1..20 ways);
//   - TlbArray::place<true> (the usual L1 shape as constants) against fill() on a twin array;
//   - TlbHierarchy's miss path (the one-size 4 KiB path, and the general one for other shapes)
//     against a plain model: an L1 and an L2 TlbArray driven by fill() and lookup() as DESIGN.md
//     says (an L2 hit fills the L1; a walk fills the L2 and the L1), every slot of both compared
//     after every step, with shootdowns.
#include <criterion/criterion.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "mmu_sim/tlb_hierarchy.hpp"
#include "mmu_sim/workload_rng.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

// P::take<kWays> against a twin driven by victim() and on_fill(); hits and invalidations between.
template <class P, uint32_t kWays>
void take_matches_victim_then_fill(uint32_t ways, uint64_t seed) {
  const uint32_t sets = 3;
  P fast(sets, ways, seed), plain(sets, ways, seed);
  std::vector<std::vector<bool>> valid(sets, std::vector<bool>(ways, false));
  WorkloadRng rng(seed);
  for (int i = 0; i < 3000; ++i) {
    const uint32_t set = static_cast<uint32_t>(rng.next() % sets);
    const uint32_t way = static_cast<uint32_t>(rng.next() % ways);
    const uint64_t op = rng.next() % 8;
    if (op < 4) {
      const uint32_t v = plain.victim(set);
      plain.on_fill(set, v);
      cr_assert_eq(fast.template take<kWays>(set), v, "ways %u step %d set %u", ways, i, set);
      valid[set][v] = true;
    } else if (op < 7) {
      if (!valid[set][way]) continue;
      fast.on_hit(set, way);
      plain.on_hit(set, way);
    } else {
      if (!valid[set][way]) continue;
      fast.on_invalidate(set, way);
      plain.on_invalidate(set, way);
      valid[set][way] = false;
    }
    cr_assert(fast.valid(), "ways %u step %d", ways, i);
    for (uint32_t s = 0; s < sets; ++s)
      cr_assert_eq(fast.victim(s), plain.victim(s), "ways %u step %d set %u", ways, i, s);
  }
}

template <class R>
void expect_same_arrays(const TlbArray<R> &a, const TlbArray<R> &b, const char *what, int step) {
  for (int64_t slot = 0; slot < int64_t{a.sets()} * a.ways(); ++slot) {
    cr_assert_eq(a.tag(slot), b.tag(slot), "%s step %d slot %ld: tag", what, step, slot);
    if (a.tag(slot) != kInvalidTag)
      cr_assert_eq(a.data(slot), b.data(slot), "%s step %d slot %ld: data", what, step, slot);
  }
}

// place<true> against fill() on arrays of the usual L1 shape.
template <class R>
void place_line_matches_fill(uint64_t seed) {
  const TlbShape shape{8, 4};
  TlbArray<R> fast(shape, seed), plain(shape, seed);
  cr_assert(fast.probe().fast());
  WorkloadRng rng(seed);
  for (int i = 0; i < 4000; ++i) {
    // Keys sharing low halves too (bit 32 and up), as the layout allows.
    const uint64_t key = rng.next() % 96 | (rng.next() % 2) << 32;
    const uint32_t set = fast.set_of(key);
    const uint64_t op = rng.next() % 4;
    if (op == 0) {
      cr_assert_eq(fast.invalidate(set, key), plain.invalidate(set, key));
    } else if (plain.lookup(set, key) >= 0) {
      cr_assert_geq(fast.lookup(set, key), 0, "step %d", i);
    } else {
      cr_assert_lt(fast.lookup(set, key), 0, "step %d", i);
      const uint32_t data = static_cast<uint32_t>(rng.next() % 1000);
      typename TlbArray<R>::Evicted e1, e2;
      const int64_t slot = plain.fill(set, key, data, &e1);
      uint32_t *d = fast.template place<true>(set, key, data, &e2);
      cr_assert_eq(d, fast.entry(set, slot), "step %d: the new entry's word", i);
      cr_assert_eq(*d, data);
      cr_assert_eq(e1.any, e2.any, "step %d: evicted", i);
      if (e1.any) {
        cr_assert_eq(e1.tag, e2.tag, "step %d: evicted tag", i);
        cr_assert_eq(e1.data, e2.data, "step %d: evicted data", i);
      }
    }
    expect_same_arrays(fast, plain, "place<true>", i);
    cr_assert(fast.valid());
  }
}

// The hierarchy's miss path against the plain model, with one 4 KiB size.  Pages evicted from
// their frame at random are shot down from both.
template <class R>
void hierarchy_matches_model(TlbShape l1, TlbShape l2, bool one_line, uint64_t seed) {
  using L2P = typename TlbHierarchy<R>::L2Policy;
  SimConfig c;
  c.l1[0] = l1;
  c.l2 = l2;
  c.frames[0] = 64;
  TlbHierarchy<R> tlb(c, {PageSize::k4K});
  cr_assert_eq(tlb.one_line(), one_line, "the path under test");
  // The model: the arrays as TlbHierarchy seeds them (c.seed + 1 + size index, c.seed + 7).
  TlbArray<R> m1(l1, c.seed + 1);
  std::optional<TlbArray<L2P>> m2;
  if (l2.present()) m2.emplace(l2, c.seed + 7);
  WorkloadRng rng(seed);
  std::map<uint64_t, uint32_t> frame_of;  // resident vpn -> frame
  std::vector<uint64_t> vpn_in;           // frame -> vpn
  uint64_t l2_hits = 0, walks = 0;
  for (int i = 0; i < 5000; ++i) {
    const uint64_t vpn = (uint64_t{1} << 28) + rng.next() % 400;
    const uint64_t va = vpn << 12 | rng.next() % 4096;
    PageSize s;
    uint32_t *d = tlb.probe_l1(va, &s);
    const bool m_l1 = m1.lookup(m1.set_of(vpn), vpn) >= 0;
    cr_assert_eq(d != nullptr, m_l1, "step %d: L1 hit", i);
    if (d == nullptr && tlb.has_l2()) {
      d = tlb.probe_l2_fill_l1(va, &s);
      const int64_t slot = m2->lookup(m2->set_of(vpn), TlbHierarchy<R>::l2_tag(vpn, PageSize::k4K));
      cr_assert_eq(d != nullptr, slot >= 0, "step %d: L2 hit", i);
      if (slot >= 0) {
        ++l2_hits;
        m1.fill(m1.set_of(vpn), vpn, m2->data(slot), nullptr);
      }
    }
    if (d == nullptr) {
      ++walks;
      uint32_t frame;
      if (auto it = frame_of.find(vpn); it != frame_of.end()) {
        frame = it->second;
      } else if (vpn_in.size() < c.frames[0]) {
        frame = static_cast<uint32_t>(vpn_in.size());
        vpn_in.push_back(vpn);
        frame_of[vpn] = frame;
      } else {
        frame = static_cast<uint32_t>(rng.next() % vpn_in.size());
        const uint64_t old = vpn_in[frame];
        uint32_t n = m1.invalidate(m1.set_of(old), old);
        if (m2) n += m2->invalidate(m2->set_of(old), TlbHierarchy<R>::l2_tag(old, PageSize::k4K));
        cr_assert_eq(tlb.shootdown(old << 12, PageSize::k4K, frame), n, "step %d: shootdown", i);
        frame_of.erase(old);
        vpn_in[frame] = vpn;
        frame_of[vpn] = frame;
      }
      const uint32_t data = frame << 1 | static_cast<uint32_t>(rng.next() % 2);
      d = tlb.fill_from_walk(va, PageSize::k4K, data);
      cr_assert_eq(*d, data, "step %d: the filled entry", i);
      if (m2) m2->fill(m2->set_of(vpn), TlbHierarchy<R>::l2_tag(vpn, PageSize::k4K), data, nullptr);
      m1.fill(m1.set_of(vpn), vpn, data, nullptr);
    }
    cr_assert_eq(*d >> 1, frame_of.at(vpn), "step %d: the entry names the page's frame", i);
    expect_same_arrays(tlb.l1(PageSize::k4K), m1, "L1", i);
    if (m2) expect_same_arrays(tlb.l2(), *m2, "L2", i);
    if (i % 256 == 0) cr_assert(tlb.valid(), "step %d", i);
  }
  cr_assert(tlb.valid());
  cr_assert_gt(walks, 1000u);
  if (l2.present()) cr_assert_gt(l2_hits, 100u, "the L2 serves some misses");
}

template <class R>
void every_hierarchy(uint64_t seed) {
  hierarchy_matches_model<R>({4, 4}, {16, 12}, true, seed);       // the one-size 4 KiB path
  hierarchy_matches_model<R>({8, 4}, {0, 0}, true, seed + 1);     // the same without an L2
  hierarchy_matches_model<R>({4, 4}, {8, 20}, true, seed + 2);    // a wide L2 (stamps, not packed)
  hierarchy_matches_model<R>({6, 4}, {12, 12}, false, seed + 3);  // the general path: 6 sets
  hierarchy_matches_model<R>({4, 6}, {16, 8}, false, seed + 4);   // the general path: 6 ways
}

}  // namespace

Test(tlb_fill_paths, stamp_take_is_victim_then_fill) {
  for (uint32_t ways = 1; ways <= 20; ++ways)
    take_matches_victim_then_fill<StampReplacement<true>, 0>(ways, ways);
  for (uint32_t ways = 1; ways <= 20; ++ways)
    take_matches_victim_then_fill<StampReplacement<false>, 0>(ways, 50 + ways);
  take_matches_victim_then_fill<StampReplacement<true>, 4>(4, 7);
  take_matches_victim_then_fill<StampReplacement<false>, 4>(4, 8);
}

Test(tlb_fill_paths, packed_take_is_victim_then_fill) {
  for (uint32_t ways = 1; ways <= 20; ++ways) {
    take_matches_victim_then_fill<TlbPackedLru, 0>(ways, 100 + ways);
    take_matches_victim_then_fill<TlbPackedFifo, 0>(ways, 200 + ways);
  }
}

Test(tlb_fill_paths, place_line_is_fill) {
  place_line_matches_fill<TlbLru>(1);
  place_line_matches_fill<TlbFifo>(2);
  place_line_matches_fill<TlbPlru>(3);
  place_line_matches_fill<TlbRandom>(4);
}

Test(tlb_fill_paths, lru_hierarchy_matches_the_model) {
  every_hierarchy<TlbLru>(10);
}
Test(tlb_fill_paths, fifo_hierarchy_matches_the_model) {
  every_hierarchy<TlbFifo>(20);
}
Test(tlb_fill_paths, plru_hierarchy_matches_the_model) {
  every_hierarchy<TlbPlru>(30);
}
Test(tlb_fill_paths, random_hierarchy_matches_the_model) {
  every_hierarchy<TlbRandom>(40);
}
