// mmu_sim/walk_cache.hpp: the page-walk caches (Intel's PML4E, PDPTE and PDE caches) and the
// count of memory references a page walk makes.
//
// Levels are numbered from the leaf up: level 1 holds 4 KiB PTEs, level 2 PDEs (or 2 MiB leaves),
// level 3 PDPTEs (or 1 GiB leaves), level 4 PML4Es, level 5 PML5Es.  A page of size s has its leaf
// at level leaf(s) = 1 + index_of(s).  Cache i (SimConfig::pwc_entries[i]) holds non-leaf entries
// of level 4 - i: cache 0 the PML4Es (tag va >> 39), cache 1 the PDPTEs (va >> 30), cache 2 the
// PDEs (va >> 21).  The root of a 5-level table (PML5) is not cached.  Each cache is fully
// associative with LRU replacement (lru_tag_cache.hpp: O(1) expected per lookup and fill).
//
// A walk for va with leaf level f in an L-level table:
//   - looks up the caches of levels f+1 .. min(4, L), deepest first; the first hit, at level h,
//     is the one used (pwc_hits[4-h] counts it) and the walk reads levels h-1 .. f from memory;
//   - without a hit it reads all levels L .. f;
//   - the non-leaf entries it read from memory, at cached levels, are inserted in their caches.
// So refs = (h - f) with a hit at level h, else (L - f + 1).  First walk of a 4-level table for a
// 4 KiB page: 4 refs; then a neighbour page in the same 2 MiB: 1 ref with a PDE-cache hit.
// Page-table nodes are never freed while the MMU runs, so cached entries never go stale.
//
// Two paths, the same counts: the usual walk -- a 4 KiB page, all three caches configured, 4 or 5
// levels (top = 4) -- is straight-line code over caches 2, 1, 0 (walk_4k, inlined into the MMU's
// walk); any other (large pages, a cache turned off) takes the general level loop (walk_general).
// The loop cost ~45 instructions per walk around the caches' own work; the straight line ~10.
#pragma once

#include <cstdint>
#include <optional>

#include "base/units.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/lru_tag_cache.hpp"

namespace hpmm::sim {

class WalkCaches {
 public:
  static constexpr int kCaches = 3;
  struct Walk {
    uint32_t refs;  // memory references the walk made
    int hit;        // index of the cache that hit (0..2), or -1
  };

  WalkCaches(int levels, const uint32_t (&entries)[kCaches]) : levels_(levels) {
    for (int i = 0; i < kCaches; ++i)
      if (entries[i] != 0) cache_[i].emplace(entries[i]);
    all_4k_ = cache_[0] && cache_[1] && cache_[2] && levels_ >= 4;
  }

  // Each cache looked up and missed gets the tag inserted at once: the walk reads that level from
  // memory (the caches are independent, so this order gives the counts of looking all up first).
  [[gnu::always_inline]] Walk walk(VirtAddr va, PageSize size) {
    if (size == PageSize::k4K && all_4k_) return walk_4k(va.value);
    return walk_general(va, size);
  }

  bool valid() const {
    const bool all = cache_[0] && cache_[1] && cache_[2] && levels_ >= 4;
    for (const auto &c : cache_)
      if (c && !c->valid()) return false;
    return (levels_ == 4 || levels_ == 5) && all_4k_ == all;
  }

 private:
  // A 4 KiB page (leaf level 1) with every cache present and top == 4: levels 2, 3, 4 in turn.
  [[gnu::always_inline]] Walk walk_4k(uint64_t va) {
    LruTagCache &pde = *cache_[2], &pdpte = *cache_[1], &pml4e = *cache_[0];
    if (pde.access(va >> 21)) return {1, 2};  // access: lookup, insert on a miss
    if (pdpte.access(va >> 30)) return {2, 1};
    if (pml4e.access(va >> 39)) return {3, 0};
    return {static_cast<uint32_t>(levels_), -1};
  }

  [[gnu::noinline]] Walk walk_general(VirtAddr va, PageSize size) {
    const int leaf = 1 + index_of(size);
    const int top = levels_ < 4 ? levels_ : 4;
    for (int level = leaf + 1; level <= top; ++level) {
      std::optional<LruTagCache> &c = cache_[4 - level];
      if (!c) continue;
      if (c->access(tag(va, level))) return {static_cast<uint32_t>(level - leaf), 4 - level};
    }
    return {static_cast<uint32_t>(levels_ - leaf + 1), -1};
  }

  static uint64_t tag(VirtAddr va, int level) { return va.value >> (12 + 9 * (level - 1)); }
  int levels_;
  std::optional<LruTagCache> cache_[kCaches];  // index 4 - level; empty = no cache
  bool all_4k_;  // every cache present and levels_ >= 4: a 4 KiB walk takes walk_4k
};

}  // namespace hpmm::sim
