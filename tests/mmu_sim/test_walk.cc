// tests/mmu_sim/test_walk.cc: the memory references of page walks and the page-walk caches, both
// on WalkCaches alone and through the MMU's counters.
#include <criterion/criterion.h>
#include <signal.h>

#include <algorithm>
#include <vector>

#include "mmu_sim/lru_tag_cache.hpp"
#include "mmu_sim/walk_cache.hpp"
#include "sim_test_util.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {
const uint32_t kDefaultPwc[3] = {2, 4, 32};
const uint32_t kNoPwc[3] = {0, 0, 0};
}  // namespace

Test(walk_cache, four_level_walks_skip_cached_levels) {
  WalkCaches w(4, kDefaultPwc);
  const VirtAddr a(kBase);
  auto r = w.walk(a, PageSize::k4K);
  cr_assert_eq(r.refs, 4u, "cold walk reads PML4E, PDPTE, PDE, PTE");
  cr_assert_eq(r.hit, -1);
  r = w.walk(a + kPage, PageSize::k4K);  // same page table: PDE cache hit
  cr_assert_eq(r.refs, 1u);
  cr_assert_eq(r.hit, 2);
  r = w.walk(a + (2u << 20), PageSize::k4K);  // same PD: PDPTE cache hit
  cr_assert_eq(r.refs, 2u);
  cr_assert_eq(r.hit, 1);
  r = w.walk(a + (1u << 30), PageSize::k4K);  // same PDPT: PML4E cache hit
  cr_assert_eq(r.refs, 3u);
  cr_assert_eq(r.hit, 0);
  r = w.walk(a + (1ull << 39), PageSize::k4K);  // another PML4 entry: cold
  cr_assert_eq(r.refs, 4u);
  cr_assert(w.valid());
}

Test(walk_cache, huge_pages_walk_fewer_levels) {
  WalkCaches w(4, kDefaultPwc);
  const VirtAddr a(kBase);
  cr_assert_eq(w.walk(a, PageSize::k2M).refs, 3u);
  auto r = w.walk(a + (2u << 20), PageSize::k2M);
  cr_assert_eq(r.refs, 1u, "PDPTE cache hit: only the PDE leaf is read");
  cr_assert_eq(r.hit, 1);
  cr_assert_eq(w.walk(a + (4ull << 30), PageSize::k1G).refs, 1u, "PML4E hit, PDPTE leaf");
  WalkCaches cold(4, kDefaultPwc);
  cr_assert_eq(cold.walk(a, PageSize::k1G).refs, 2u);
}

Test(walk_cache, five_levels_and_no_caches) {
  WalkCaches w5(5, kDefaultPwc);
  cr_assert_eq(w5.walk(VirtAddr(kBase), PageSize::k4K).refs, 5u);
  cr_assert_eq(w5.walk(VirtAddr(kBase + kPage), PageSize::k4K).refs, 1u);
  WalkCaches none(4, kNoPwc);
  for (int i = 0; i < 3; ++i) {
    auto r = none.walk(VirtAddr(kBase + i * kPage), PageSize::k4K);
    cr_assert_eq(r.refs, 4u);
    cr_assert_eq(r.hit, -1);
  }
}

Test(walk_cache, lru_capacity_of_the_pde_cache) {
  const uint32_t pwc[3] = {0, 0, 2};  // only a 2-entry PDE cache
  WalkCaches w(4, pwc);
  const uint64_t mb2 = 2u << 20;
  w.walk(VirtAddr(kBase), PageSize::k4K);
  w.walk(VirtAddr(kBase + mb2), PageSize::k4K);
  w.walk(VirtAddr(kBase + 2 * mb2), PageSize::k4K);  // evicts the first PDE
  cr_assert_eq(w.walk(VirtAddr(kBase + 2 * mb2 + kPage), PageSize::k4K).refs, 1u);
  cr_assert_eq(w.walk(VirtAddr(kBase + kPage), PageSize::k4K).refs, 4u, "its PDE was evicted");
}

Test(mmu_walk, counters_through_the_mmu) {
  SimConfig c = small_config();
  auto m = make(c);
  SimStats s = run(*m, {load(kBase)});
  cr_assert_eq(s.walks, 1u);
  cr_assert_eq(s.walk_refs, 4u, "first walk on 4 levels: 4 references");
  s = run(*m, {load(kBase + kPage)});
  cr_assert_eq(s.walks, 2u);
  cr_assert_eq(s.walk_refs, 5u, "neighbour page: 1 reference");
  cr_assert_eq(s.pwc_hits[2], 1u, "... with a PDE-cache hit");
  cr_assert_eq(s.pwc_hits[0] + s.pwc_hits[1], 0u);

  SimConfig c5 = small_config();
  c5.levels = 5;
  auto m5 = make(c5);
  s = run(*m5, {load(kBase), load(kBase + kPage)});
  cr_assert_eq(s.walk_refs, 6u, "5 + 1 on a 5-level table");
}

// The walk caches' LRU set of tags (lru_tag_cache.hpp) against a plain LRU list of capacity n
// (model: most recent first).  One access as a walk makes it: holds() and lookup() agree with the
// model, a miss inserts; the model moves the tag to the front and drops its oldest when full.
static void access_both(LruTagCache &c, std::vector<uint64_t> &model, uint32_t n, uint64_t tag,
                        int step) {
  auto it = std::find(model.begin(), model.end(), tag);
  const bool want = it != model.end();
  cr_assert_eq(c.holds(tag), want, "n %u step %d", n, step);
  cr_assert_eq(c.lookup(tag), want, "n %u step %d", n, step);
  if (want) {
    model.erase(it);
  } else {
    c.insert(tag);
    if (model.size() == n) model.pop_back();
  }
  model.insert(model.begin(), tag);
}

// Same hits and misses, over a random mix of tags with heavy reuse, for several capacities.
Test(lru_tag_cache, hits_and_misses_equal_a_plain_lru_list) {
  for (uint32_t n : {1u, 2u, 4u, 5u, 32u}) {
    LruTagCache c(n);
    std::vector<uint64_t> model;
    uint64_t x = 2463534242ull;
    for (int i = 0; i < 5000; ++i) {
      const uint64_t tag = (xorshift(x) % (3 * n + 2)) << 21;  // aligned tags, as walks make them
      access_both(c, model, n, tag, i);
      cr_assert_eq(c.size(), model.size());
    }
    cr_assert(c.valid());
  }
}

Test(lru_tag_cache, zero_entries_is_refused, .signal = SIGABRT) {
  LruTagCache c(0);
}

// The same against the model with the whole contents compared in recency order, over tag streams
// that stress the hash index: consecutive tags, tags differing only in high bits (a mask-based
// index would put them all in one bucket), and full-range tags with 0 and UINT64_MAX among them.
Test(lru_tag_cache, contents_in_recency_order_equal_a_plain_lru_list) {
  for (uint32_t n : {1u, 3u, 32u, 300u}) {
    for (int stream = 0; stream < 3; ++stream) {
      LruTagCache c(n);
      std::vector<uint64_t> model;  // most recent first
      uint64_t x = 88172645463325252ull + n;
      for (int i = 0; i < 4000; ++i) {
        const uint64_t r = xorshift(x) % (2 * n + 3);
        const uint64_t tag = stream == 0   ? r
                             : stream == 1 ? r << 40
                                           : (r == 0   ? 0
                                              : r == 1 ? UINT64_MAX
                                                       : r * 0x9E37ull << 44);
        access_both(c, model, n, tag, stream * 4000 + i);
        if (i % 61 == 0 || i == 3999) {
          cr_assert(c.tags_by_recency() == model, "n %u stream %d step %d", n, stream, i);
          cr_assert(c.valid());
        }
      }
      cr_assert_eq(c.size(), std::min<size_t>(n, model.size()));
    }
  }
}

Test(lru_tag_cache, too_many_entries_is_refused, .signal = SIGABRT) {
  LruTagCache c(LruTagCache::kMaxEntries + 1);
}
