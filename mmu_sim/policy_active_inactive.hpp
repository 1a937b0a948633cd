// mmu_sim/policy_active_inactive.hpp: Linux-like page replacement with an active and an inactive
// list (the split LRU of mm/vmscan.c before multi-generational LRU, for mapped pages), simplified
// to one pool and no refault-distance (mm/workingset.c) heuristics.  References: Linux
// Documentation/mm (page reclaim), Gorman, "Understanding the Linux Virtual Memory Manager"
// ch. 10; the rules below are this simulator's statement of them.
//
// Each page holding a frame is on one list and has two bits: `young`, the hardware accessed bit
// (set by every reference, on_fill included: a fault accesses the page), and `referenced`
// (PG_referenced, software; set only by the scanner).  The scanner sees references only through
// young bits, so many references between two scans count as one, as in the kernel.
//   fill      the page goes to the head of the inactive list, young = 1, referenced = 0
//   reference young = 1 (nothing moves: the kernel learns of references only when scanning)
//   reclaim   (victim) first rebalance, then scan the inactive tail:
//               young and referenced   -> promoted: head of the active list, bits cleared
//               young, not referenced  -> second chance: referenced = 1, young = 0, head of the
//                                         inactive list
//               not young              -> the victim
//             so a page is promoted when it was referenced during two successive trips through
//             the inactive list (the fault counts as the first), and a page referenced only on
//             one trip (a scan) is reclaimed after at most two trips, without touching the
//             active list.
//   rebalance while inactive * ratio < active (the kernel's inactive_is_low()), take the active
//             tail: young -> young = 0, back to the active head (second chance on the active
//             list; the kernel keeps only referenced executable pages this way, the simulator
//             has no such distinction); not young -> demoted to the inactive head, referenced = 0
// Parameter: inactive_ratio >= 1 (default 1, the kernel's value below 1 GiB of memory); the
// active list is kept to at most inactive_ratio times the inactive list when reclaiming.
//
// Invariants (checked by valid()):
//   tracks(f) <=> f in inactive_ xor f in active_;   referenced(f) => f in inactive_
//   used() == |inactive_| + |active_|
//   right after a victim() with every frame full: active <= ratio * (inactive + 1)
// on_access is one byte store.  victim() is amortised O(1): every step of the scan either
// returns or clears a young bit that a reference set, apart from demotions, at most one per
// page promoted since.  Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/frame_list.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

class ActiveInactivePolicy {
 public:
  struct Params {
    uint32_t inactive_ratio = 1;  // keep active <= inactive_ratio * inactive
  };

  ActiveInactivePolicy(uint32_t nframes, uint64_t seed)
      : ActiveInactivePolicy(nframes, seed, Params{}) {}
  ActiveInactivePolicy(uint32_t nframes, uint64_t /*seed*/, Params p)
      : n_(checked(nframes)),
        ratio_(checked_ratio(p.inactive_ratio)),
        inactive_(n_),
        active_(n_),
        bits_(n_, 0) {}

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(frame < n_ && !tracks(frame), "ActiveInactivePolicy::on_fill: frame holds a page");
    inactive_.push_front(frame);
    bits_[frame] = kYoung;
  }
  void on_access(uint32_t frame, uint64_t /*t*/) {
    HPMM_ASSERT(frame < n_ && tracks(frame));
    bits_[frame] |= kYoung;
  }

  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(used() > 0, "ActiveInactivePolicy::victim: no frame holds a page");
    for (;;) {
      rebalance();
      uint32_t f = inactive_.back();
      uint8_t &b = bits_[f];
      if (!(b & kYoung)) {
        inactive_.remove(f);
        b = 0;
        return f;
      }
      inactive_.remove(f);
      if (b & kReferenced) {
        b = 0;
        active_.push_front(f);
        ++promotions_;
      } else {
        b = kReferenced;
        inactive_.push_front(f);
      }
    }
  }

  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < n_ && tracks(frame), "ActiveInactivePolicy::on_free: frame holds no page");
    if (active_.contains(frame))
      active_.remove(frame);
    else
      inactive_.remove(frame);
    bits_[frame] = 0;
  }

  bool tracks(uint32_t frame) const { return inactive_.contains(frame) || active_.contains(frame); }
  uint32_t used() const { return inactive_.size() + active_.size(); }

  // Reports and tests.
  uint32_t inactive_ratio() const { return ratio_; }
  uint32_t active_size() const { return active_.size(); }
  uint32_t inactive_size() const { return inactive_.size(); }
  bool is_active(uint32_t frame) const { return active_.contains(frame); }
  bool young(uint32_t frame) const { return bits_[frame] & kYoung; }
  bool referenced(uint32_t frame) const { return bits_[frame] & kReferenced; }
  uint64_t promotions() const { return promotions_; }
  uint64_t demotions() const { return demotions_; }

  bool valid() const {
    if (!inactive_.valid() || !active_.valid() || bits_.size() != n_) return false;
    for (uint32_t f = 0; f < n_; ++f) {
      bool in = inactive_.contains(f), act = active_.contains(f);
      if (in && act) return false;
      if (bits_[f] > (kYoung | kReferenced)) return false;
      if ((bits_[f] & kReferenced) && !in) return false;
      if (!in && !act && bits_[f] != 0) return false;
    }
    return true;
  }

 private:
  static constexpr uint8_t kYoung = 1, kReferenced = 2;

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "ActiveInactivePolicy: nframes must be in [1, 2^31]");
    return n;
  }
  static uint32_t checked_ratio(uint32_t r) {
    HPMM_CHECK(r >= 1 && r <= 1024, "ActiveInactivePolicy: inactive_ratio must be in [1, 1024]");
    return r;
  }

  void rebalance() {
    while (uint64_t{inactive_.size()} * ratio_ < active_.size()) {
      uint32_t f = active_.back();
      if (bits_[f] & kYoung) {
        bits_[f] = 0;
        active_.move_to_front(f);
      } else {
        active_.remove(f);
        inactive_.push_front(f);
        ++demotions_;
      }
    }
  }

  uint32_t n_;
  uint32_t ratio_;
  FrameList inactive_;         // front = head (newest), back = tail (scanned)
  FrameList active_;           // front = head, back = tail
  std::vector<uint8_t> bits_;  // frame -> kYoung | kReferenced
  uint64_t promotions_ = 0;
  uint64_t demotions_ = 0;
};

static_assert(PageReplacementPolicy<ActiveInactivePolicy>);

}  // namespace hpmm::sim
