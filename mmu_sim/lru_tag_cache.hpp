// mmu_sim/lru_tag_cache.hpp: a fully associative cache of n 64-bit tags with LRU replacement,
// in O(1) per lookup and insert whatever n is: the page-walk caches (walk_cache.hpp).
//
// Its hits and misses are those of a one-set TlbArray<TlbLru> of n ways (the structure it
// replaces): a fully associative LRU cache holds, after any sequence of lookups and inserts, the
// n most recently used distinct tags, so which way a tag sits in never shows.  (That array
// scanned all n ways on every lookup and all n stamps on every fill: ~450 instructions per walk
// with the default 32-entry PDE cache.)
//
// Representation: entry e in [0, used_) holds tag_[e]; map_ maps each held tag to its entry;
// order_ lists the entries most recent first.  Invariants (valid()):
//   used_ <= n;   map_.size() == order_.size() == used_
//   map_.get(tag_[e]) == e for every e < used_   (so the held tags are distinct)
// Not thread-safe: one per simulated core.
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/frame_list.hpp"
#include "mmu_sim/key_map.hpp"

namespace hpmm::sim {

class LruTagCache {
 public:
  // n >= 1 entries.  The map is sized for load <= 1/4, so probes stay short and it never grows.
  explicit LruTagCache(uint32_t n) : n_(checked(n)), map_(size_t{n} * 2), order_(n), tag_(n, 0) {}

  uint32_t capacity() const { return n_; }
  uint32_t size() const { return used_; }

  // Whether tag is held; a hit makes it the most recently used.
  bool lookup(uint64_t tag) {
    const uint32_t e = map_.get(tag);
    if (e == KeyMap<uint32_t>::kAbsent) return false;
    order_.move_to_front(e);
    return true;
  }

  // Inserts tag (not held: the caller looked it up and missed) as the most recently used,
  // evicting the least recently used tag when the cache is full.
  void insert(uint64_t tag) {
    HPMM_ASSERT(!map_.contains(tag));
    uint32_t e;
    if (used_ < n_) {
      e = used_++;
    } else {
      e = order_.back();
      order_.remove(e);
      map_.erase(tag_[e]);
    }
    tag_[e] = tag;
    map_.put(tag, e);
    order_.push_front(e);
  }

  bool valid() const {
    if (used_ > n_ || map_.size() != used_ || order_.size() != used_) return false;
    for (uint32_t e = 0; e < used_; ++e)
      if (map_.get(tag_[e]) != e || !order_.contains(e)) return false;
    return map_.valid() && order_.valid();
  }

 private:
  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n < FrameList::kOut, "LruTagCache: entries must be >= 1");
    return n;
  }

  uint32_t n_;
  uint32_t used_ = 0;
  KeyMap<uint32_t> map_;       // tag -> entry
  FrameList order_;            // entries, most recently used first
  std::vector<uint64_t> tag_;  // entry -> tag
};

}  // namespace hpmm::sim
