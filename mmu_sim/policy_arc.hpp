// mmu_sim/policy_arc.hpp: ARC page replacement, Megiddo and Modha, "ARC: A Self-Tuning, Low
// Overhead Replacement Cache", FAST 2003 (the algorithm of its Figure 4), with c = nframes.
//
// Resident pages are in T1 (seen once recently) or T2 (seen at least twice recently), each an LRU
// list; B1 and B2 hold the keys (ghosts) of pages evicted from T1 and T2.  p in [0, c] is the
// target size of T1, adapted on ghost hits.  On a reference to page x:
//   I   x in T1 or T2 (a hit)  move x to the MRU end of T2
//   II  x in B1 (a miss)       p = min(c, p + d1), d1 = 1 if |B1| >= |B2| else |B2| / |B1|;
//                              REPLACE; x goes to the MRU end of T2
//   III x in B2 (a miss)       p = max(0, p - d2), d2 = 1 if |B2| >= |B1| else |B1| / |B2|;
//                              REPLACE; x goes to the MRU end of T2
//   IV  x new (a miss)         if |T1| + |B1| == c: if |T1| < c drop B1's LRU key and REPLACE,
//                              else evict T1's LRU page without a ghost;
//                              else if |T1|+|T2|+|B1|+|B2| >= c: drop B2's LRU key if that sum
//                              is 2c, and REPLACE;  then x goes to the MRU end of T1
// REPLACE: if |T1| >= 1 and (|T1| > p or (x in B2 and |T1| == p)) evict T1's LRU page, its key to
// the MRU end of B1; else evict T2's LRU page, its key to the MRU end of B2.
// Integer p and integer division for d1, d2 (the paper leaves their rounding open).  The paper's
// cache is always full once ghosts exist; here pages can also be unmapped (on_free: the page is
// forgotten, no ghost), so REPLACE and the T1 eviction of case IV happen only when no frame is
// free, i.e. when FrameTable calls victim(x); the ghost bookkeeping of II-IV happens in any case.
// victim(x) needs x (the REPLACE rule and p's update depend on it): it does the whole miss up to
// the eviction; the on_fill that follows places x.
//
// Invariants (the paper's, checked by valid()):
//   |T1| + |T2| <= c;   |T1| + |B1| <= c;   |T1| + |T2| + |B1| + |B2| <= 2c;   0 <= p <= c
//   hence |B1| + |B2| <= c: the ghosts are bounded by the frame count
//   tracks(f) <=> f in t1_ xor f in t2_;   no ghost key is resident
// Every operation O(1) (expected, for the ghost lookup on a fault).  A reference repeated at the
// same t as the fill that placed its page is not a second reference (the protocol's idempotence).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/frame_list.hpp"
#include "mmu_sim/page_replacement.hpp"
#include "mmu_sim/policy_ghosts.hpp"

namespace hpmm::sim {

class ArcPolicy {
 public:
  ArcPolicy(uint32_t nframes, uint64_t /*seed*/)
      : c_(checked(nframes)), t1_(c_), t2_(c_), key_(c_, 0), ghosts_(c_) {}

  void on_fill(uint32_t frame, uint64_t key, uint64_t t) {
    HPMM_CHECK(frame < c_ && !tracks(frame), "ArcPolicy::on_fill: frame holds a page");
    Case k = pending_ && pending_key_ == key ? pending_case_ : miss(key, false);
    pending_ = false;
    key_[frame] = key;
    if (k == Case::kNew)
      t1_.push_front(frame);
    else
      t2_.push_front(frame);
    fill_frame_ = frame;
    fill_t_ = t;
  }

  void on_access(uint32_t frame, uint64_t t) {
    HPMM_ASSERT(frame < c_ && tracks(frame));
    if (t2_.contains(frame)) {
      t2_.move_to_front(frame);
    } else if (frame != fill_frame_ || t != fill_t_) {  // not the fill's own reference
      t1_.remove(frame);
      t2_.push_front(frame);
    }
  }

  uint32_t victim(uint64_t key, uint64_t /*t*/) {
    HPMM_CHECK(used() > 0, "ArcPolicy::victim: no frame holds a page");
    pending_ = true;
    pending_key_ = key;
    pending_case_ = miss(key, true);
    if (evicted_ == kNoFrame) replace(false);  // asked while frames are free (FrameTable never is)
    uint32_t f = evicted_;
    evicted_ = kNoFrame;
    return f;
  }

  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < c_ && tracks(frame), "ArcPolicy::on_free: frame holds no page");
    if (t1_.contains(frame))
      t1_.remove(frame);
    else
      t2_.remove(frame);
  }

  bool tracks(uint32_t frame) const { return t1_.contains(frame) || t2_.contains(frame); }
  uint32_t used() const { return t1_.size() + t2_.size(); }

  // Reports and tests.
  uint32_t p() const { return p_; }
  uint32_t t1_size() const { return t1_.size(); }
  uint32_t t2_size() const { return t2_.size(); }
  uint32_t b1_size() const { return ghosts_.size(kB1); }
  uint32_t b2_size() const { return ghosts_.size(kB2); }
  uint64_t b1_hits() const { return b1_hits_; }  // faults on a page found in B1 (case II)
  uint64_t b2_hits() const { return b2_hits_; }  // faults on a page found in B2 (case III)
  bool in_t2(uint32_t frame) const { return t2_.contains(frame); }
  std::vector<uint64_t> b1_keys() const { return ghosts_.keys(kB1); }  // MRU first
  std::vector<uint64_t> b2_keys() const { return ghosts_.keys(kB2); }

  bool valid() const {
    if (!t1_.valid() || !t2_.valid() || !ghosts_.valid() || p_ > c_) return false;
    uint64_t t1 = t1_.size(), t2 = t2_.size(), b1 = b1_size(), b2 = b2_size();
    if (t1 + t2 > c_ || t1 + b1 > c_ || t1 + t2 + b1 + b2 > 2 * uint64_t{c_}) return false;
    for (uint32_t f = 0; f < c_; ++f) {
      if (t1_.contains(f) && t2_.contains(f)) return false;
      if (tracks(f) && ghosts_.find(key_[f]) != GhostLists<2>::kNone) return false;
    }
    return true;
  }

 private:
  enum class Case : uint8_t { kNew, kB1, kB2 };
  static constexpr uint32_t kB1 = 0, kB2 = 1;
  static constexpr uint32_t kNoFrame = UINT32_MAX;

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "ArcPolicy: nframes must be in [1, 2^31]");
    return n;
  }

  // Cases II-IV for the missing page x; when `full`, also the eviction (into evicted_).  x leaves
  // its ghost list before REPLACE (REPLACE only needs to know whether x was in B2), so that the
  // ghosts never exceed c, not even for a moment.
  Case miss(uint64_t x, bool full) {
    const uint32_t in = ghosts_.find(x);
    const uint64_t b1 = ghosts_.size(kB1), b2 = ghosts_.size(kB2);
    if (in == kB1) {
      ++b1_hits_;
      uint64_t d = b1 >= b2 ? 1 : b2 / b1;
      p_ = static_cast<uint32_t>(p_ + d < c_ ? p_ + d : c_);
      ghosts_.erase(x);
      if (full) replace(false);
      return Case::kB1;
    }
    if (in == kB2) {
      ++b2_hits_;
      uint64_t d = b2 >= b1 ? 1 : b1 / b2;
      p_ = static_cast<uint32_t>(p_ > d ? p_ - d : 0);
      ghosts_.erase(x);
      if (full) replace(true);
      return Case::kB2;
    }
    const uint64_t t1 = t1_.size(), t2 = t2_.size();
    if (t1 + b1 == c_) {
      if (t1 < c_) {
        ghosts_.pop_back(kB1);
        if (full) replace(false);
      } else {  // |T1| == c: the cache is full of pages seen once; B1 is empty
        evicted_ = t1_.back();
        t1_.remove(evicted_);
      }
    } else if (t1 + t2 + b1 + b2 >= c_) {
      if (t1 + t2 + b1 + b2 == 2 * uint64_t{c_}) ghosts_.pop_back(kB2);
      if (full) replace(false);
    }
    return Case::kNew;
  }

  void replace(bool x_in_b2) {
    const uint32_t t1 = t1_.size();
    if (ghosts_.size() == c_)  // only when victim is asked with frames free, after unmaps
      ghosts_.pop_back(ghosts_.size(kB1) >= ghosts_.size(kB2) ? kB1 : kB2);
    // T2 is never empty when the paper's rule picks it with the cache full (|T1| + |B1| <= c and
    // x in B1 or |T1| < c); with free frames (victim asked early) T1 is the fallback.
    if ((t1 >= 1 && (t1 > p_ || (x_in_b2 && t1 == p_))) || t2_.empty()) {
      evicted_ = t1_.back();
      t1_.remove(evicted_);
      ghosts_.push_front(kB1, key_[evicted_]);
    } else {
      evicted_ = t2_.back();
      t2_.remove(evicted_);
      ghosts_.push_front(kB2, key_[evicted_]);
    }
  }

  uint32_t c_;
  uint32_t p_ = 0;
  FrameList t1_;  // front = MRU
  FrameList t2_;
  std::vector<uint64_t> key_;  // frame -> key of its page
  GhostLists<2> ghosts_;       // B1 (list 0) and B2 (list 1), front = MRU
  uint64_t b1_hits_ = 0;
  uint64_t b2_hits_ = 0;
  uint32_t evicted_ = kNoFrame;  // the frame miss() freed, for victim()
  // Set by victim() for the on_fill that must follow it.
  bool pending_ = false;
  Case pending_case_ = Case::kNew;
  uint64_t pending_key_ = 0;
  // The latest fill: on_access at the same (frame, t) is the fill's own reference.
  uint32_t fill_frame_ = kNoFrame;
  uint64_t fill_t_ = 0;
};

static_assert(PageReplacementPolicy<ArcPolicy>);

}  // namespace hpmm::sim
