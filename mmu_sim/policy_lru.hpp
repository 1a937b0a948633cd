// mmu_sim/policy_lru.hpp: LRU page replacement: evict the page referenced least recently, with
// recency updated on every reference (on_fill and on_access).
//
// The frames holding a page form a FrameRing in recency order (front = most recent).  A
// reference moves its frame to the front: a few stores into the flat link array, no allocation;
// the replacement of a full pool's least recent frame is a rotation of the ring (one store).
// Invariants:
//   tracks(f) <=> f is in recency_;
//   recency_ is ordered by the time of each frame's last on_fill/on_access, latest first
//   victim() == recency_.back()
// All operations O(1).  Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>

#include "base/check.hpp"
#include "mmu_sim/frame_ring.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

class LruPolicy {
 public:
  LruPolicy(uint32_t nframes, uint64_t /*seed*/) : n_(checked(nframes)), recency_(n_) {}

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t /*t*/) { recency_.push_front(frame); }
  void on_access(uint32_t frame, uint64_t /*t*/) { recency_.move_to_front(frame); }
  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(!recency_.empty(), "LruPolicy::victim: no frame holds a page");
    uint32_t f = recency_.back();
    recency_.remove(f);
    // The next victims are the new back and the frames before it, in order.  Their links are
    // read now (in cache: each was fetched at an earlier victim), the links of the one after
    // them are fetched, and that frame is the hint, so the pool fetches its metadata kHintAhead
    // faults before it is evicted (one fault ahead did not hide the misses: LRU's victims are
    // scattered frames, where FIFO's and clock's are consecutive).
    set_hint(recency_.back());
    return f;
  }
  // victim(key, t) then on_fill(victim, key, t) in one step, for FrameTable::place: the least
  // recent frame becomes the most recent (one move, not a removal and an insertion); the same
  // hint as victim() gives.
  uint32_t replace(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(!recency_.empty(), "LruPolicy::replace: no frame holds a page");
    const uint32_t f = recency_.cycle_prev(recency_.front());  // the back
    set_hint(recency_.prev(f));  // before the move: the frames victim() would leave, as it does
    recency_.rotate_back_to_front();
    return f;
  }
  // After a victim: the frame victim() will choose kHintAhead victims later if nothing is
  // referenced, filled or freed before (n when there is none): a hint for the pool to prefetch
  // that frame's metadata with.  Changes nothing.
  static constexpr uint32_t kHintAhead = 4;
  uint32_t next_victim_hint() const { return hint_; }
  void on_free(uint32_t frame) { recency_.remove(frame); }

  bool tracks(uint32_t frame) const { return recency_.contains(frame); }
  uint32_t used() const { return recency_.size(); }
  bool valid() const { return recency_.valid(); }

 private:
  // The frame kHintAhead - 1 places before x, the next victim (n if the list is shorter): its
  // links are fetched and it becomes the hint.
  // With more than kHintAhead frames listed, x (the back or the frame before it) has
  // kHintAhead - 1 frames before it: three loads with no test of the front.
  void set_hint(uint32_t x) {
    static_assert(kHintAhead == 4);
    if (HPMM_LIKELY(recency_.size() > kHintAhead))
      x = recency_.cycle_prev(recency_.cycle_prev(recency_.cycle_prev(x)));
    else
      for (uint32_t i = 1; i < kHintAhead && x != n_; ++i) x = recency_.prev(x);
    hint_ = x;
    recency_.prefetch(x);
  }

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "LruPolicy: nframes must be in [1, 2^31]");
    return n;
  }

  uint32_t n_;
  FrameRing recency_;
  uint32_t hint_ = n_;  // set by victim(): a frame, or n (none)
};

static_assert(PageReplacementPolicy<LruPolicy>);

}  // namespace hpmm::sim
