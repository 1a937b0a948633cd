// tests/mmu_sim/test_tlb_packed_order.cc: the L2's packed lru/fifo order against the stamps it
// replaces (StampReplacement): the same victim after every step of random hits, fills and
// invalidations, for every way count from 1 to 15 (packed) and wider (the stamps themselves); and
// whole arrays driven through TlbArray, slot for slot.
#include <criterion/criterion.h>

#include <cstdint>
#include <vector>

#include "mmu_sim/tlb_array.hpp"
#include "mmu_sim/tlb_packed_order.hpp"
#include "mmu_sim/workload_rng.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

// The policies alone, as the array drives them: a fill takes the victim; hits and invalidations
// name valid ways.
template <bool kTouchOnHit>
void policy_matches_stamps(uint32_t ways, uint64_t seed) {
  const uint32_t sets = 3;
  PackedOrderReplacement<kTouchOnHit> packed(sets, ways, seed);
  StampReplacement<kTouchOnHit> stamps(sets, ways, seed);
  std::vector<std::vector<bool>> valid(sets, std::vector<bool>(ways, false));
  WorkloadRng rng(seed);
  for (int i = 0; i < 4000; ++i) {
    const uint32_t set = static_cast<uint32_t>(rng.next() % sets);
    const uint32_t way = static_cast<uint32_t>(rng.next() % ways);
    const uint64_t op = rng.next() % 8;
    if (op < 4) {  // fill
      const uint32_t v = stamps.victim(set);
      cr_assert_eq(packed.victim(set), v, "ways %u step %d set %u: victim", ways, i, set);
      packed.on_fill(set, v);
      stamps.on_fill(set, v);
      valid[set][v] = true;
    } else if (op < 7) {  // hit
      if (!valid[set][way]) continue;
      packed.on_hit(set, way);
      stamps.on_hit(set, way);
    } else {  // invalidate
      if (!valid[set][way]) continue;
      packed.on_invalidate(set, way);
      stamps.on_invalidate(set, way);
      valid[set][way] = false;
    }
    cr_assert(packed.valid(), "ways %u step %d: packed order invalid", ways, i);
    for (uint32_t s = 0; s < sets; ++s)
      cr_assert_eq(packed.victim(s), stamps.victim(s), "ways %u step %d set %u", ways, i, s);
  }
}

}  // namespace

Test(tlb_packed_order, lru_victims_equal_the_stamps_for_every_way_count) {
  for (uint32_t ways = 1; ways <= 20; ++ways) policy_matches_stamps<true>(ways, ways);
}

Test(tlb_packed_order, fifo_victims_equal_the_stamps_for_every_way_count) {
  for (uint32_t ways = 1; ways <= 20; ++ways) policy_matches_stamps<false>(ways, 100 + ways);
}

Test(tlb_packed_order, empty_set_fills_in_way_order_then_evicts_the_least_recent) {
  TlbPackedLru p(1, 12, 0);
  for (uint32_t w = 0; w < 12; ++w) {
    cr_assert_eq(p.victim(0), w, "an empty way first, the lowest");
    p.on_fill(0, w);
  }
  cr_assert_eq(p.victim(0), 0u);
  p.on_hit(0, 0);
  cr_assert_eq(p.victim(0), 1u, "way 0 was used last");
  p.on_invalidate(0, 7);
  p.on_invalidate(0, 3);
  cr_assert_eq(p.victim(0), 3u, "the lowest invalid way before any valid one");
  p.on_fill(0, 3);
  cr_assert_eq(p.victim(0), 7u);
  p.on_fill(0, 7);
  cr_assert_eq(p.victim(0), 1u);
  cr_assert(p.valid());
}

// Whole arrays (the L2's usual shape and a small one): the packed policy's array and the stamps'
// array hold the same tags after every lookup, fill and invalidation.
Test(tlb_packed_order, arrays_hold_the_same_entries) {
  const TlbShape shapes[] = {{128, 12}, {3, 5}, {2, 16}};
  for (TlbShape shape : shapes) {
    TlbArray<TlbPackedLru> a(shape, 1);
    TlbArray<TlbLru> b(shape, 1);
    WorkloadRng rng(shape.ways);
    const uint64_t keys = shape.entries() * 3;
    for (int i = 0; i < 20000; ++i) {
      const uint64_t key = rng.next() % keys;
      const uint32_t set = a.set_of(key);
      if (rng.next() % 16 == 0) {
        cr_assert_eq(a.invalidate(set, key), b.invalidate(set, key));
        continue;
      }
      const int64_t sa = a.lookup(set, key), sb = b.lookup(set, key);
      cr_assert_eq(sa, sb, "shape %ux%u step %d key %lu", shape.sets, shape.ways, i, key);
      if (sa >= 0) continue;
      TlbArray<TlbPackedLru>::Evicted ea;
      TlbArray<TlbLru>::Evicted eb;
      cr_assert_eq(a.fill(set, key, 0, &ea), b.fill(set, key, 0, &eb));
      cr_assert_eq(ea.any, eb.any);
      cr_assert_eq(ea.tag, eb.tag);
    }
    cr_assert(a.valid());
  }
}
