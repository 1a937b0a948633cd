// tests/mmu_sim/test_walk_lru_filter.cc: SmallLruTagCache's counting filter (a miss whose bucket
// holds no tag skips the search).  Tags chosen to share one bucket (t + k * 2^20 keeps
// (t ^ t >> 10) mod 1024) and tags spread over many buckets, mixed, against a plain LRU list step
// by step, with valid() -- which recounts every bucket -- after each step: a bucket's count that
// drifted (an eviction not subtracted, an insert not added) would either fail valid() or turn a
// hit into a miss against the model.
#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/rng.hpp"
#include "mmu_sim/small_lru_tag_cache.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

// The model: most recent first; returns whether tag was held.
bool model_access(std::vector<uint64_t> &l, uint32_t n, uint64_t tag) {
  auto it = std::find(l.begin(), l.end(), tag);
  const bool hit = it != l.end();
  if (hit)
    l.erase(it);
  else if (l.size() == n)
    l.pop_back();
  l.insert(l.begin(), tag);
  return hit;
}

}  // namespace

Test(walk_lru_filter, shared_and_spread_buckets_equal_a_plain_lru_list) {
  for (uint32_t n : {1u, 2u, 4u, 16u, 17u, 32u, 64u}) {
    SmallLruTagCache c(n);
    std::vector<uint64_t> model;
    Xoshiro256 rng(n);
    uint32_t hits = 0, misses = 0;
    for (int i = 0; i < 3000; ++i) {
      const uint64_t r = rng.below(2 * n + 2);
      // Half the tags in one bucket (5's), half PDE-like tags, one bucket each.
      const uint64_t tag = rng.below(2) == 0 ? (r << 20) + 5 : (uint64_t{1} << 27) + r;
      const bool want = model_access(model, n, tag);
      cr_assert_eq(c.access(tag), want, "n %u step %d: hit", n, i);
      cr_assert(c.valid(), "n %u step %d: the filter's counts", n, i);
      want ? ++hits : ++misses;
    }
    cr_assert(c.tags_by_recency() == model, "n %u", n);
    cr_assert_gt(hits, 0u, "n %u", n);
    cr_assert_gt(misses, 0u, "n %u", n);
  }
}

// A bucket emptied by evictions answers a miss again: fill n tags of one bucket, push them all out
// with tags of other buckets, then every one of the first tags misses and is re-inserted.
Test(walk_lru_filter, a_bucket_emptied_by_evictions_misses_again) {
  const uint32_t n = 32;
  SmallLruTagCache c(n);
  for (uint64_t k = 0; k < n; ++k) cr_assert_not(c.access((k << 20) + 9));
  for (uint64_t k = 0; k < n; ++k) cr_assert(c.holds((k << 20) + 9));
  for (uint64_t k = 0; k < n; ++k) cr_assert_not(c.access(1000 + k));  // none in bucket 9
  cr_assert(c.valid());
  for (uint64_t k = 0; k < n; ++k) {
    cr_assert_not(c.holds((k << 20) + 9), "tag %llu still held", (unsigned long long)k);
    cr_assert_not(c.access((k << 20) + 9));
  }
  cr_assert(c.valid());
  for (uint64_t k = 0; k < n; ++k) cr_assert_not(c.holds(1000 + k));
}
