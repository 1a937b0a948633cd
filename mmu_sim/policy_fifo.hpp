// mmu_sim/policy_fifo.hpp: FIFO page replacement: evict the page resident longest.
//
// The frames holding a page form a FrameRing in fill order (front = filled earliest).  A
// reference does not change the order, so on_access is a no-op; the refill of a full pool's
// oldest frame is a rotation of the ring (one store).  Invariants:
//   tracks(f) <=> f is in fill_order_;   fill_order_ is ordered by the time of on_fill
//   victim() == fill_order_.front()
// All operations O(1).  Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>

#include "base/check.hpp"
#include "mmu_sim/frame_ring.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

class FifoPolicy {
 public:
  FifoPolicy(uint32_t nframes, uint64_t /*seed*/) : fill_order_(checked(nframes)) {}

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t /*t*/) { fill_order_.push_back(frame); }
  void on_access(uint32_t /*frame*/, uint64_t /*t*/) {}
  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(!fill_order_.empty(), "FifoPolicy::victim: no frame holds a page");
    uint32_t f = fill_order_.front();
    fill_order_.remove(f);
    // The next victim is the new front; its removal will write the links of the frame after it,
    // a cold line under a fault-heavy load: fetch it now.
    if (!fill_order_.empty()) fill_order_.prefetch(fill_order_.next(fill_order_.front()));
    return f;
  }
  // victim(key, t) then on_fill(victim, key, t) in one step, for FrameTable::place: the front,
  // refilled, becomes the back (one move, not a removal and an insertion).
  // The next replace reads the links of the new front: fetch them now.
  uint32_t replace(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(!fill_order_.empty(), "FifoPolicy::replace: no frame holds a page");
    const uint32_t f = fill_order_.rotate_front_to_back();
    fill_order_.prefetch(fill_order_.front());
    return f;
  }
  void on_free(uint32_t frame) { fill_order_.remove(frame); }
  // The frame victim() would choose next (n when none holds a page): a hint for the pool to
  // prefetch that frame's metadata.  Changes nothing.
  uint32_t next_victim_hint() const { return fill_order_.front(); }

  bool tracks(uint32_t frame) const { return fill_order_.contains(frame); }
  uint32_t used() const { return fill_order_.size(); }
  bool valid() const { return fill_order_.valid(); }

 private:
  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "FifoPolicy: nframes must be in [1, 2^31]");
    return n;
  }

  FrameRing fill_order_;
};

static_assert(PageReplacementPolicy<FifoPolicy>);

}  // namespace hpmm::sim
