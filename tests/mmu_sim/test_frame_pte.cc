// tests/mmu_sim/test_frame_pte.cc: the PTEs FramePool writes on a fault (leaf_pte) and on an
// eviction (swapped_pte), built from flag bits computed once per pool, equal Pte::leaf(frame,
// size, writable) and Pte::swapped_out(slot, size) bit for bit, for every page size, frames
// across the range a pool can hold, and slots up to Pte::kMaxSwapSlot; and the PTE a fault_in
// leaves, and the one an eviction leaves after settling, are those.  (Frames are those whose
// address fits the frame field: 2^31 frames of 1 GiB do not.)
#include <criterion/criterion.h>

#include <cstdint>
#include <vector>

#include "mmu_sim/frame_pool.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "mmu_sim/swap_store.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

using Pool = FramePool<LruPolicy, CountingSwap>;

Pool make_pool(PageSize s, uint32_t frames) {
  return Pool(s, frames, 1, nullptr, CountingSwap(bytes_of(s).value, Pte::kMaxSwapSlot + 1));
}

}  // namespace

Test(frame_pte, leaf_and_swapped_equal_the_pte_constructors) {
  for (PageSize s : {PageSize::k4K, PageSize::k2M, PageSize::k1G}) {
    const Pool pool = make_pool(s, 4);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    std::vector<uint32_t> frames = {
        0, 1, 2, 511, 512, 4095, (1u << 20) - 1, 1u << 30, (1u << 31) - 1};
    for (int i = 0; i < 200; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      frames.push_back(static_cast<uint32_t>(x >> 33));  // below 2^31
    }
    for (uint32_t f : frames) {
      if (!Pte::pfn_fits(Pfn(f), s)) continue;  // no pool of that size has that frame
      cr_assert_eq(pool.leaf_pte(f).raw, Pte::leaf(Pfn(f), s, Pte::kWritable).raw,
                   "size %d frame %u", index_of(s), f);
    }
    for (uint64_t slot : {uint64_t{0}, uint64_t{1}, uint64_t{12345}, Pte::kMaxSwapSlot - 1,
                          Pte::kMaxSwapSlot, x & Pte::kMaxSwapSlot})
      cr_assert_eq(pool.swapped_pte(slot).raw, Pte::swapped_out(slot, s).raw, "size %d slot %lu",
                   index_of(s), static_cast<unsigned long>(slot));
  }
}

// Two frames, three pages: the third fault evicts the least recent page.  A dirty victim gets a
// slot and becomes swapped; its return is a major fault that leaves a present, clean leaf.
Test(frame_pte, fault_and_eviction_write_those_ptes) {
  Pool pool = make_pool(PageSize::k4K, 2);
  Pte pte[3];
  for (uint64_t k = 0; k < 2; ++k) {
    const auto in = pool.fault_in(k, &pte[k], k);
    cr_assert(!in.evicted && !in.major);
    cr_assert_eq(pte[k].raw, Pte::leaf(Pfn(in.frame), PageSize::k4K, Pte::kWritable).raw);
  }
  pool.mark_dirty(0);                            // page 0 (frame 0) is dirty
  const auto in = pool.fault_in(2, &pte[2], 2);  // evicts page 0, the least recent
  cr_assert(in.evicted && in.wrote_back && in.victim_key == 0 && in.frame == 0);
  pool.settle_all();
  cr_assert(pte[0].swapped() && !pte[0].present());
  cr_assert_eq(pte[0].raw, Pte::swapped_out(pte[0].swap_slot(), PageSize::k4K).raw);
  cr_assert_eq(pte[2].raw, Pte::leaf(Pfn(0), PageSize::k4K, Pte::kWritable).raw);
  // Page 1 is now the least recent and clean without a slot: evicted to an empty PTE.
  const auto back = pool.fault_in(0, &pte[0], 3);
  cr_assert(back.major && back.evicted && !back.wrote_back && back.victim_key == 1);
  pool.settle_all();
  cr_assert_eq(pte[1].raw, 0u);
  cr_assert_eq(pte[0].raw, Pte::leaf(Pfn(back.frame), PageSize::k4K, Pte::kWritable).raw);
  cr_assert(pool.valid());
}
