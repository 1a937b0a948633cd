// tests/mmu_sim/test_walk_small_lru.cc: SmallLruTagCache (the walk caches at n <= 64 entries)
// against a plain LRU list of the same size, step by step: every lookup's hit or miss, and on a
// miss the tag evicted (the contents in recency order after each step show which one left).
// Sizes 1..64 cover every group count of the SSE2 search (1..4 groups of 16 lanes) and the lanes
// past n; tag streams cover tags equal in their low 32 bits (the search's candidates need the full
// compare), 0 (the unused lanes' low half) and UINT64_MAX.  Then WalkCaches with small, large
// (hashed) and mixed caches against the same model walks.
#include <criterion/criterion.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <vector>

#include "base/rng.hpp"
#include "mmu_sim/small_lru_tag_cache.hpp"
#include "mmu_sim/walk_cache.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

// The model: most recent first; returns whether tag was held and sets *evicted on a full miss.
bool model_access(std::vector<uint64_t> &l, uint32_t n, uint64_t tag, bool *evicted,
                  uint64_t *victim) {
  *evicted = false;
  auto it = std::find(l.begin(), l.end(), tag);
  const bool hit = it != l.end();
  if (hit) {
    l.erase(it);
  } else if (l.size() == n) {
    *evicted = true;
    *victim = l.back();
    l.pop_back();
  }
  l.insert(l.begin(), tag);
  return hit;
}

uint64_t draw_tag(Xoshiro256 &rng, int stream, uint32_t n) {
  const uint64_t r = rng.below(n + n / 2 + 2);
  switch (stream) {
    case 0:
      return r << 9;  // consecutive-ish walk tags
    case 1:
      return (r << 32) | 7;  // all share one low half: every lane a candidate
    default:
      return r == 0 ? 0 : r == 1 ? UINT64_MAX : r * 0x9E3779B97F4A7C15ull;
  }
}

}  // namespace

// access(): hits, misses and the victim of every step equal the model's, sizes 1..64.
Test(walk_small_lru, access_equals_a_plain_lru_list_for_every_size) {
  for (uint32_t n = 1; n <= 64; ++n) {
    for (int stream = 0; stream < 3; ++stream) {
      SmallLruTagCache c(n);
      std::vector<uint64_t> model;
      Xoshiro256 rng(n * 3 + stream);
      uint32_t hits = 0, evictions = 0;
      for (int i = 0; i < 600; ++i) {
        const uint64_t tag = draw_tag(rng, stream, n);
        const std::vector<uint64_t> before = c.tags_by_recency();
        bool evicted;
        uint64_t victim = 0;
        const bool want = model_access(model, n, tag, &evicted, &victim);
        cr_assert_eq(c.access(tag), want, "n %u stream %d step %d: hit", n, stream, i);
        const std::vector<uint64_t> after = c.tags_by_recency();
        cr_assert(after == model, "n %u stream %d step %d: contents", n, stream, i);
        if (evicted) {
          // The one tag that left is the model's victim.
          cr_assert(std::find(before.begin(), before.end(), victim) != before.end());
          cr_assert(std::find(after.begin(), after.end(), victim) == after.end(),
                    "n %u stream %d step %d: victim still held", n, stream, i);
          ++evictions;
        }
        hits += want;
        cr_assert_eq(c.size(), model.size());
      }
      cr_assert(c.valid(), "n %u stream %d", n, stream);
      cr_assert_gt(hits, 0u, "n %u stream %d never hit", n, stream);
      cr_assert_gt(evictions, 0u, "n %u stream %d never evicted", n, stream);
    }
  }
}

// lookup() + insert() (the two-call form) and holds() (no recency change) against the model.
Test(walk_small_lru, lookup_insert_and_holds_equal_the_model) {
  for (uint32_t n : {1u, 2u, 3u, 15u, 16u, 17u, 32u, 33u, 63u, 64u}) {
    SmallLruTagCache c(n);
    std::vector<uint64_t> model;
    Xoshiro256 rng(100 + n);
    for (int i = 0; i < 2000; ++i) {
      const uint64_t tag = draw_tag(rng, i % 3, n);
      const bool held = std::find(model.begin(), model.end(), tag) != model.end();
      cr_assert_eq(c.holds(tag), held, "n %u step %d: holds", n, i);
      // A probe of another tag with holds() must not disturb the order.
      (void)c.holds(draw_tag(rng, 0, n));
      bool evicted;
      uint64_t victim;
      model_access(model, n, tag, &evicted, &victim);
      cr_assert_eq(c.lookup(tag), held, "n %u step %d: lookup", n, i);
      if (!held) c.insert(tag);
      if (i % 37 == 0) cr_assert(c.tags_by_recency() == model, "n %u step %d", n, i);
    }
    cr_assert(c.tags_by_recency() == model);
    cr_assert(c.valid());
  }
}

Test(walk_small_lru, zero_entries_is_refused, .signal = SIGABRT) {
  SmallLruTagCache c(0);
}

Test(walk_small_lru, more_than_64_entries_is_refused, .signal = SIGABRT) {
  SmallLruTagCache c(SmallLruTagCache::kMaxEntries + 1);
}

// WalkCaches chooses the small cache up to 64 entries and the hashed one above, per cache; every
// mix gives the walks of the plain-LRU model (refs and which cache hit), 4 KiB and large pages.
Test(walk_small_lru, walk_caches_of_every_kind_equal_the_model) {
  const uint32_t configs[][3] = {{2, 4, 32},  {64, 64, 64},  {65, 4, 32}, {2, 65, 32},
                                 {2, 4, 100}, {70, 80, 200}, {1, 1, 64},  {0, 65, 64}};
  for (const auto &cfg : configs) {
    for (int levels : {4, 5}) {
      WalkCaches w(levels, cfg);
      std::vector<uint64_t> lru[3];
      Xoshiro256 rng(cfg[0] * 7 + cfg[1] * 3 + cfg[2] + levels);
      int hits[4] = {};
      for (int i = 0; i < 6000; ++i) {
        const PageSize s = rng.below(8) == 0 ? PageSize::k2M : PageSize::k4K;
        // 2 x 4 x 60 = 480 distinct 2 MiB regions: the PDE caches of every size hit and evict.
        const uint64_t va = (rng.below(2) << 39) | (rng.below(4) << 30) | (rng.below(60) << 21) |
                            (rng.below(512) << 12);
        const uint64_t base = va & ~(bytes_of(s).value - 1);
        // The model walk (walk_cache.hpp's rule).
        const int leaf = 1 + index_of(s);
        WalkCaches::Walk want{static_cast<uint32_t>(levels - leaf + 1), -1};
        for (int level = leaf + 1; level <= 4; ++level) {
          const int c = 4 - level;
          if (cfg[c] == 0) continue;
          bool evicted;
          uint64_t victim;
          if (model_access(lru[c], cfg[c], base >> (12 + 9 * (level - 1)), &evicted, &victim)) {
            want = {static_cast<uint32_t>(level - leaf), c};
            break;
          }
        }
        const WalkCaches::Walk got = w.walk(VirtAddr(base), s);
        cr_assert_eq(got.refs, want.refs, "cfg %u/%u/%u levels %d walk %d: refs", cfg[0], cfg[1],
                     cfg[2], levels, i);
        cr_assert_eq(got.hit, want.hit, "cfg %u/%u/%u levels %d walk %d: hit", cfg[0], cfg[1],
                     cfg[2], levels, i);
        ++hits[got.hit + 1];
      }
      cr_assert(w.valid());
      cr_assert_gt(hits[0], 0);
      cr_assert_gt(hits[3], 0, "the PDE cache never hit");
    }
  }
}
