// tests/mmu_sim/test_mmu_tlb.cc: the TLB hierarchy through the MMU: hits and misses per level,
// the L1/L2 fill rules, set conflicts, shootdown on eviction, and mixed page sizes.
#include <criterion/criterion.h>

#include "sim_test_util.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

Test(mmu_tlb, l2_hit_fills_l1) {
  SimConfig c = small_config();
  c.l1[0] = {1, 1};
  c.l2 = {1, 4};
  auto m = make(c);
  SimStats s = run(*m, page_loads({0, 1, 0, 0}));
  // 0: walk; 1: walk (L1 now {1}); 0: L1 miss, L2 hit, fills L1; 0: L1 hit.
  cr_assert_eq(s.walks, 2u);
  cr_assert_eq(s.l2.hits, 1u);
  cr_assert_eq(s.l2.misses, 2u);
  cr_assert_eq(s.l1.hits, 1u);
  cr_assert_eq(s.l1.misses, 3u);
}

Test(mmu_tlb, l1_victim_is_dropped_not_moved_to_l2) {
  SimConfig c = small_config();
  c.l1[0] = {1, 4};
  c.l2 = {1, 1};
  auto m = make(c);
  // Pages 0..4 each walk; page 0 leaves the L1 when 4 comes in, and the L2 holds only 4.
  SimStats s = run(*m, page_loads({0, 1, 2, 3, 4, 0}));
  cr_assert_eq(s.l2.hits, 0u, "the L1 victim 0 was not moved into the L2");
  cr_assert_eq(s.walks, 6u);
  cr_assert_eq(s.faults(), 5u, "0 is still resident: its second walk does not fault");
}

Test(mmu_tlb, no_l2_means_l1_misses_walk) {
  SimConfig c = small_config();
  c.l1[0] = {1, 2};
  c.l2 = {0, 0};
  auto m = make(c);
  SimStats s = run(*m, page_loads({0, 1, 2, 0, 1, 2}));
  cr_assert(!s.has_l2);
  cr_assert_eq(s.walks, 6u);
  cr_assert_eq(s.l2.hits + s.l2.misses, 0u);
}

Test(mmu_tlb, set_conflicts_in_the_l1_go_to_the_l2) {
  SimConfig c = small_config();  // L1 4K: 16 sets x 4 ways; L2 128 x 12
  auto m = make(c);
  std::vector<uint64_t> pages;
  for (int round = 0; round < 4; ++round)
    for (uint64_t k = 0; k < 5; ++k) pages.push_back(k * 16);  // five pages in L1 set 0
  SimStats s = run(*m, page_loads(pages));
  cr_assert_eq(s.l1.hits, 0u, "ways + 1 pages in one set always miss under LRU");
  cr_assert_eq(s.walks, 5u, "after the first round the L2 (different sets) holds them");
  cr_assert_eq(s.l2.hits, 15u);
}

Test(mmu_tlb, stlb_of_1536_entries_holds_1536_pages) {
  SimConfig c = small_config();
  c.l1[0] = {1, 1};
  c.frames[0] = 2048;
  auto m = make(c);
  std::vector<uint64_t> pages;
  for (int round = 0; round < 2; ++round)
    for (uint64_t p = 0; p < 1536; ++p) pages.push_back(p);
  SimStats s = run(*m, page_loads(pages));
  cr_assert_eq(s.walks, 1536u);
  cr_assert_eq(s.l2.hits, 1536u);
}

Test(mmu_tlb, shootdown_removes_the_victim_from_every_level) {
  SimConfig c = small_config();
  c.frames[0] = 2;
  c.replacement = PageReplacement::kFifo;
  auto m = make(c);
  SimStats s = run(*m, page_loads({0, 1, 2}));
  cr_assert_eq(s.evictions, 1u);
  cr_assert_eq(s.shootdowns, 2u, "page 0 had an L1 and an L2 entry");
  // Page 0's translation is gone: touching it walks and faults, it does not hit a stale entry.
  s = run(*m, page_loads({0}));
  cr_assert_eq(s.l1.hits, 0u);
  cr_assert_eq(s.walks, 4u);
  cr_assert_eq(s.faults(), 4u);
  cr_assert_eq(s.shootdowns, 4u, "page 1 evicted in turn");
}

Test(mmu_tlb, shootdown_counts_only_entries_still_cached) {
  SimConfig c = small_config();
  c.frames[0] = 2;
  c.replacement = PageReplacement::kFifo;
  c.l1[0] = {1, 1};
  c.l2 = {1, 1};
  auto m = make(c);
  // 0, 1: page 0's entries are already replaced by 1's when 2 evicts 0.
  SimStats s = run(*m, page_loads({0, 1, 2}));
  cr_assert_eq(s.evictions, 1u);
  cr_assert_eq(s.shootdowns, 0u);
}

Test(mmu_tlb, two_mib_region_uses_the_2m_array_and_one_entry_covers_512_pages) {
  SimConfig c = small_config();
  const uint64_t r = kBase + (1ull << 30);
  c.regions.push_back({VirtAddr(r), Bytes(4u << 20), PageSize::k2M});
  c.frames[1] = 2;
  auto m = make(c);
  std::vector<Access> v;
  for (uint64_t p = 0; p < 512; ++p) v.push_back(load(r + p * kPage));
  SimStats s = run(*m, v);
  cr_assert_eq(s.translations, 512u);
  cr_assert_eq(s.walks, 1u, "one 2 MiB translation covers all 512 4 KiB pages");
  cr_assert_eq(s.faults(), 1u);
  cr_assert_eq(s.l1_by_size[1].hits, 511u);
  cr_assert_eq(s.l1_by_size[1].misses, 1u);
  cr_assert_eq(s.l1_by_size[0].hits + s.l1_by_size[0].misses, 0u);
  cr_assert_eq(s.walk_refs, 3u, "a 2 MiB walk reads 3 levels");

  // A 4 KiB page outside the region goes to the 4K array.
  s = run(*m, {load(kBase)});
  cr_assert_eq(s.l1_by_size[0].misses, 1u);
  cr_assert_eq(s.faults(), 2u);
}

Test(mmu_tlb, accesses_split_per_page_of_their_own_size) {
  SimConfig c = small_config();
  const uint64_t r = kBase + (1ull << 30);
  c.regions.push_back({VirtAddr(r), Bytes(4u << 20), PageSize::k2M});
  c.frames[1] = 2;
  auto m = make(c);
  // Crossing a 4 KiB boundary inside a 2 MiB page: one translation.
  SimStats s = run(*m, {load(r + kPage - 4, 8)});
  cr_assert_eq(s.translations, 1u);
  // Crossing 4 KiB pages outside: two.
  s = run(*m, {load(kBase + kPage - 4, 8)});
  cr_assert_eq(s.translations, 3u);
  // From the last 4 KiB page below the region into it, and across its two 2 MiB pages.
  s = run(*m, {load(r - 8, 16), load(r + (2u << 20) - 8, 16)});
  cr_assert_eq(s.translations, 7u);
  cr_assert_eq(s.accesses, 4u);
  // A modify is a load then a store of its range: two translations, one read, one write.
  s = run(*m, {{kBase, 8, AccessKind::kModify}});
  cr_assert_eq(s.reads, 5u);
  cr_assert_eq(s.writes, 1u);
  cr_assert_eq(s.translations, 9u);
}

Test(mmu_tlb, one_gib_pages) {
  SimConfig c = small_config();
  const uint64_t r = kBase + (4ull << 30);
  c.regions.push_back({VirtAddr(r), Bytes(2ull << 30), PageSize::k1G});
  c.frames[2] = 1;
  auto m = make(c);
  SimStats s = run(*m, {load(r), load(r + (512ull << 20)), load(r + (1ull << 30)), load(r)});
  cr_assert_eq(s.l1_by_size[2].hits, 1u);
  cr_assert_eq(s.faults(), 3u, "one frame: the two 1 GiB pages take turns");
  cr_assert_eq(s.evictions, 2u);
}

Test(mmu_tlb, ifetches_count_only_when_asked) {
  SimConfig c = small_config();
  auto m = make(c);
  SimStats s = run(*m, {{kBase, 4, AccessKind::kIfetch}});
  cr_assert_eq(s.accesses, 0u);
  cr_assert_eq(s.translations, 0u);
  c.ifetch = true;
  auto m2 = make(c);
  s = run(*m2, {{kBase, 4, AccessKind::kIfetch}});
  cr_assert_eq(s.ifetches, 1u);
  cr_assert_eq(s.translations, 1u);
}

Test(mmu_tlb, every_tlb_policy_keeps_the_invariants) {
  for (TlbReplacement tr : {TlbReplacement::kLru, TlbReplacement::kPlru, TlbReplacement::kFifo,
                            TlbReplacement::kRandom}) {
    SimConfig c = small_config();
    c.tlb_replacement = tr;
    c.l1[0] = {4, 3};
    c.l2 = {6, 5};
    auto m = make(c);
    std::vector<uint64_t> pages;
    uint64_t x = 12345;
    for (int i = 0; i < 3000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      pages.push_back((x >> 33) % 48);
    }
    SimStats s = run(*m, page_loads(pages));
    cr_assert_eq(s.faults(), 48u, "%s", name_of(tr));  // 64 frames hold all 48 pages
    cr_assert_gt(s.l1.hits, 0u);
    cr_assert_gt(s.l2.hits, 0u);
  }
}
