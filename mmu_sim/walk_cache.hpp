// mmu_sim/walk_cache.hpp: the page-walk caches (Intel's PML4E, PDPTE and PDE caches) and the
// count of memory references a page walk makes.
//
// Levels are numbered from the leaf up: level 1 holds 4 KiB PTEs, level 2 PDEs (or 2 MiB leaves),
// level 3 PDPTEs (or 1 GiB leaves), level 4 PML4Es, level 5 PML5Es.  A page of size s has its leaf
// at level leaf(s) = 1 + index_of(s).  Cache i (SimConfig::pwc_entries[i]) holds non-leaf entries
// of level 4 - i: cache 0 the PML4Es (tag va >> 39), cache 1 the PDPTEs (va >> 30), cache 2 the
// PDEs (va >> 21).  The root of a 5-level table (PML5) is not cached.  Each cache is fully
// associative with LRU replacement: SmallLruTagCache (small_lru_tag_cache.hpp: SSE2 search, O(1)
// fill) for n <= 64 entries, LruTagCache (lru_tag_cache.hpp: hashed, O(1) expected) above.
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
// walk; with every cache small, as by default, it calls them with no dispatch); any other (large
// pages, a cache turned off) takes the general level loop (walk_general).  The loop cost ~45
// instructions per walk around the caches' own work; the straight line ~10.
#pragma once

#include <cstdint>
#include <optional>

#include "base/units.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/lru_tag_cache.hpp"
#include "mmu_sim/small_lru_tag_cache.hpp"

namespace hpmm::sim {

class WalkCaches {
 public:
  static constexpr int kCaches = 3;
  struct Walk {
    uint32_t refs;  // memory references the walk made
    int hit;        // index of the cache that hit (0..2), or -1
  };

  WalkCaches(int levels, const uint32_t (&entries)[kCaches]) : levels_(levels) {
    bool all = levels_ >= 4, small = true;
    for (int i = 0; i < kCaches; ++i) {
      Cache &c = cache_[i];
      if (entries[i] == 0) {
        all = false;
      } else if (entries[i] <= SmallLruTagCache::kMaxEntries) {
        c.small.emplace(entries[i]);
      } else {
        c.large.emplace(entries[i]);
        small = false;
      }
    }
    path_ = !all ? Path::kGeneral : small ? Path::kSmall4k : Path::kMixed4k;
  }

  // Each cache looked up and missed gets the tag inserted at once: the walk reads that level from
  // memory (the caches are independent, so this order gives the counts of looking all up first).
  [[gnu::always_inline]] Walk walk(VirtAddr va, PageSize size) {
    if (size == PageSize::k4K) {
      if (path_ == Path::kSmall4k) [[likely]]
        return walk_4k(*cache_[2].small, *cache_[1].small, *cache_[0].small, va.value);
      if (path_ == Path::kMixed4k) return walk_4k(cache_[2], cache_[1], cache_[0], va.value);
    }
    return walk_general(va, size);
  }

  bool valid() const {
    bool all = levels_ >= 4, small = true;
    for (const Cache &c : cache_) {
      if (c.small && c.large) return false;
      if (!c.present()) all = false;
      if (c.large) small = false;
      if (c.small && !c.small->valid()) return false;
      if (c.large && (c.large->capacity() <= SmallLruTagCache::kMaxEntries || !c.large->valid()))
        return false;
    }
    const Path want = !all ? Path::kGeneral : small ? Path::kSmall4k : Path::kMixed4k;
    return (levels_ == 4 || levels_ == 5) && path_ == want;
  }

 private:
  // One walk cache: a SmallLruTagCache for n <= 64 entries, an LruTagCache above, neither when
  // turned off (n = 0).
  struct Cache {
    std::optional<SmallLruTagCache> small;
    std::optional<LruTagCache> large;
    bool present() const { return small || large; }
    [[gnu::always_inline]] bool access(uint64_t tag) {
      return small ? small->access(tag) : large->access(tag);
    }
  };
  enum class Path : uint8_t {
    kGeneral,  // a cache turned off or fewer than 4 levels: every walk takes the loop
    kSmall4k,  // all three caches present and small: 4 KiB walks call them directly
    kMixed4k,  // all three present, one at least large: 4 KiB walks through Cache::access
  };

  // A 4 KiB page (leaf level 1) with every cache present and top == 4: levels 2, 3, 4 in turn.
  template <class Pde, class Pdpte, class Pml4e>
  [[gnu::always_inline]] Walk walk_4k(Pde &pde, Pdpte &pdpte, Pml4e &pml4e, uint64_t va) {
    if (pde.access(va >> 21)) return {1, 2};  // access: lookup, insert on a miss
    if (pdpte.access(va >> 30)) return {2, 1};
    if (pml4e.access(va >> 39)) return {3, 0};
    return {static_cast<uint32_t>(levels_), -1};
  }

  [[gnu::noinline]] Walk walk_general(VirtAddr va, PageSize size) {
    const int leaf = 1 + index_of(size);
    const int top = levels_ < 4 ? levels_ : 4;
    for (int level = leaf + 1; level <= top; ++level) {
      Cache &c = cache_[4 - level];
      if (!c.present()) continue;
      if (c.access(tag(va, level))) return {static_cast<uint32_t>(level - leaf), 4 - level};
    }
    return {static_cast<uint32_t>(levels_ - leaf + 1), -1};
  }

  static uint64_t tag(VirtAddr va, int level) { return va.value >> (12 + 9 * (level - 1)); }
  int levels_;
  Cache cache_[kCaches];  // index 4 - level
  Path path_;             // which path a 4 KiB walk takes
};

}  // namespace hpmm::sim
