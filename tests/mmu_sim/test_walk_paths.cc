// tests/mmu_sim/test_walk_paths.cc: WalkCaches' two paths (the straight-line 4 KiB walk with all
// three caches, and the general level loop) against a model written from walk_cache.hpp's rule:
// look up the caches of levels leaf+1 .. min(4, L) deepest first, the first hit ends the walk,
// every cache missed on the way gets its tag; each cache a plain LRU list of its size.
#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/rng.hpp"
#include "mmu_sim/lru_tag_cache.hpp"
#include "mmu_sim/walk_cache.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

struct ModelWalks {
  int levels;
  uint32_t entries[3];
  std::vector<uint64_t> lru[3];  // most recent first

  WalkCaches::Walk walk(uint64_t va, PageSize size) {
    const int leaf = 1 + index_of(size);
    const int top = std::min(levels, 4);
    for (int level = leaf + 1; level <= top; ++level) {
      const int i = 4 - level;
      if (entries[i] == 0) continue;
      const uint64_t tag = va >> (12 + 9 * (level - 1));
      std::vector<uint64_t> &l = lru[i];
      auto it = std::find(l.begin(), l.end(), tag);
      if (it != l.end()) {
        l.erase(it);
        l.insert(l.begin(), tag);
        return {static_cast<uint32_t>(level - leaf), i};
      }
      if (l.size() == entries[i]) l.pop_back();
      l.insert(l.begin(), tag);
    }
    return {static_cast<uint32_t>(levels - leaf + 1), -1};
  }
};

// n walks over addresses drawn so that every cache both hits and misses: a few PML4 and PDPT
// entries, more 2 MiB regions than the PDE cache holds.  sizes: the page sizes to draw from.
void compare(int levels, const uint32_t (&entries)[3], std::vector<PageSize> sizes, uint64_t seed) {
  WalkCaches w(levels, entries);
  ModelWalks m{levels, {entries[0], entries[1], entries[2]}, {}};
  Xoshiro256 rng(seed);
  int hits[4] = {};
  for (int i = 0; i < 20000; ++i) {
    const PageSize s = sizes[rng.below(sizes.size())];
    const uint64_t va = (rng.below(3) << 39) | (rng.below(6) << 30) | (rng.below(48) << 21) |
                        (rng.below(512) << 12);
    const uint64_t base = va & ~(bytes_of(s).value - 1);
    const WalkCaches::Walk got = w.walk(VirtAddr(base), s), want = m.walk(base, s);
    cr_assert_eq(got.refs, want.refs, "walk %d (levels %d): refs %u, model %u", i, levels, got.refs,
                 want.refs);
    cr_assert_eq(got.hit, want.hit, "walk %d (levels %d): hit %d, model %d", i, levels, got.hit,
                 want.hit);
    ++hits[got.hit + 1];
  }
  cr_assert(w.valid());
  // The stream exercised misses and, for each configured cache a 4 KiB walk reaches, hits.
  cr_assert_gt(hits[0], 0);
  for (int c = 0; c < 3; ++c)
    if (entries[c] != 0 && sizes == std::vector<PageSize>{PageSize::k4K})
      cr_assert_gt(hits[c + 1], 0, "cache %d never hit", c);
}

}  // namespace

Test(walk_paths, four_kib_straight_line_equals_the_model) {
  const uint32_t pwc[3] = {2, 4, 32};
  compare(4, pwc, {PageSize::k4K}, 1);
  compare(5, pwc, {PageSize::k4K}, 2);
  const uint32_t one[3] = {1, 1, 1};
  compare(4, one, {PageSize::k4K}, 3);
}

Test(walk_paths, general_loop_equals_the_model) {
  const uint32_t pwc[3] = {2, 4, 32};
  // Large pages take the general loop; mixed with 4 KiB walks, both paths share the caches.
  compare(4, pwc, {PageSize::k4K, PageSize::k2M, PageSize::k1G}, 4);
  compare(5, pwc, {PageSize::k4K, PageSize::k2M}, 5);
  // A cache turned off: every walk takes the general loop.
  const uint32_t no_pml4e[3] = {0, 4, 32}, only_pde[3] = {0, 0, 8}, none[3] = {0, 0, 0};
  compare(4, no_pml4e, {PageSize::k4K}, 6);
  compare(4, only_pde, {PageSize::k4K}, 7);
  compare(5, none, {PageSize::k4K, PageSize::k1G}, 8);
}

// LruTagCache::access (the walks' lookup-then-insert with one bucket computation) against a plain
// LRU list, at sizes whose tables collide often (n = 1, 3) and a walk cache's usual 32, over tags
// drawn from a few more values than the cache holds; contents compared in recency order.
Test(walk_paths, lru_tag_cache_access_equals_a_plain_lru_list) {
  for (uint32_t n : {1u, 3u, 32u}) {
    LruTagCache c(n);
    std::vector<uint64_t> model;  // most recent first
    Xoshiro256 rng(n);
    uint64_t hits = 0;
    for (int i = 0; i < 5000; ++i) {
      const uint64_t tag = rng.below(n + n / 2 + 2) * 0x10001;
      auto it = std::find(model.begin(), model.end(), tag);
      const bool want = it != model.end();
      cr_assert_eq(c.access(tag), want, "n %u access %d", n, i);
      if (want) {
        model.erase(it);
        ++hits;
      } else if (model.size() == n) {
        model.pop_back();
      }
      model.insert(model.begin(), tag);
      cr_assert(c.tags_by_recency() == model, "n %u access %d: contents", n, i);
    }
    cr_assert(c.valid());
    cr_assert_gt(hits, 0u);
  }
}
