// mmu_sim/policy_lru.hpp: LRU page replacement: evict the page referenced least recently, with
// recency updated on every reference (on_fill and on_access).
//
// The frames holding a page form a FrameList in recency order (front = most recent).  A
// reference moves its frame to the front: a few stores into the flat link array, no allocation.
// Invariants:
//   tracks(f) <=> f is in recency_;
//   recency_ is ordered by the time of each frame's last on_fill/on_access, latest first
//   victim() == recency_.back()
// All operations O(1).  Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>

#include "base/check.hpp"
#include "mmu_sim/frame_list.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

class LruPolicy {
 public:
  LruPolicy(uint32_t nframes, uint64_t /*seed*/) : recency_(checked(nframes)) {}

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t /*t*/) { recency_.push_front(frame); }
  void on_access(uint32_t frame, uint64_t /*t*/) { recency_.move_to_front(frame); }
  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(!recency_.empty(), "LruPolicy::victim: no frame holds a page");
    uint32_t f = recency_.back();
    recency_.remove(f);
    // The next victim is the new back, whose links remove() just wrote; its removal will write
    // the links of its predecessor, a cold line under a fault-heavy load: fetch it now.
    recency_.prefetch(recency_.prev(recency_.back()));
    return f;
  }
  // The frame victim() would choose next if nothing is referenced before (n when none holds a
  // page): a hint for the pool to prefetch that frame's metadata.  Changes nothing.
  uint32_t next_victim_hint() const { return recency_.back(); }
  void on_free(uint32_t frame) { recency_.remove(frame); }

  bool tracks(uint32_t frame) const { return recency_.contains(frame); }
  uint32_t used() const { return recency_.size(); }
  bool valid() const { return recency_.valid(); }

 private:
  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "LruPolicy: nframes must be in [1, 2^31]");
    return n;
  }

  FrameList recency_;
};

static_assert(PageReplacementPolicy<LruPolicy>);

}  // namespace hpmm::sim
