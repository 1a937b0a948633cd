// mmu_sim/policy_2q.hpp: 2Q page replacement, the full version of Johnson and Shasha, "2Q: A Low
// Overhead High Performance Buffer Management Replacement Algorithm", VLDB 1994.
//
// Three queues: A1in, a FIFO of resident pages referenced once (recently filled); Am, an LRU list
// of resident pages referenced again after they left A1in; A1out, a FIFO of the keys (ghosts, no
// frame) of pages paged out of A1in.  On a reference to page X:
//   X in Am             move X to the head of Am
//   X in A1in           nothing (a correlated reference: the page is still on probation)
//   X in A1out (a miss) reclaimfor(X), X goes to the head of Am   (a ghost hit)
//   otherwise (a miss)  reclaimfor(X), X goes to the head of A1in
// reclaimfor(X): a free frame if any (FrameTable fills those first); else if |A1in| > Kin (or Am
// is empty) page out the tail of A1in and put its key at the head of A1out, dropping A1out's tail
// if |A1out| would pass Kout; else page out the tail of Am (not remembered).
// Parameters (the paper's recommendations are the defaults): Kin = floor(nframes / 4),
// Kout = max(1, floor(nframes / 2)); both <= nframes (checked), so the ghosts are bounded by the
// frame count.  A page hit in A1out leaves A1out (it is resident again), so A1out never holds a
// resident page; an unmapped page (on_free) is forgotten, not made a ghost.
// A one-time scan goes through A1in only and cannot displace Am: the scan resistance of 2Q.
//
// Invariants (checked by valid()):
//   tracks(f) <=> f in a1in_ xor f in am_;   used() == |a1in_| + |am_|
//   ghosts_ holds |A1out| <= Kout keys, none of them resident (ghosts_.find(key_[f]) == kNone)
// Every operation O(1) (expected, for the ghost lookup on a fault).  Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/frame_list.hpp"
#include "mmu_sim/page_replacement.hpp"
#include "mmu_sim/policy_ghosts.hpp"

namespace hpmm::sim {

class TwoQPolicy {
 public:
  struct Params {
    uint32_t kin = UINT32_MAX;   // max |A1in| before it is reclaimed from; default nframes / 4
    uint32_t kout = UINT32_MAX;  // max |A1out|; default max(1, nframes / 2)
  };

  TwoQPolicy(uint32_t nframes, uint64_t seed) : TwoQPolicy(nframes, seed, Params{}) {}
  TwoQPolicy(uint32_t nframes, uint64_t /*seed*/, Params p)
      : n_(checked(nframes)),
        kin_(p.kin == UINT32_MAX ? n_ / 4 : p.kin),
        kout_(p.kout == UINT32_MAX ? (n_ / 2 > 0 ? n_ / 2 : 1) : p.kout),
        a1in_(n_),
        am_(n_),
        key_(n_, 0),
        ghosts_(checked_kout(kout_, kin_, n_)) {}

  void on_fill(uint32_t frame, uint64_t key, uint64_t /*t*/) {
    HPMM_CHECK(frame < n_ && !tracks(frame), "TwoQPolicy::on_fill: frame holds a page");
    bool ghost = pending_ && pending_key_ == key ? pending_ghost_
                                                 : ghosts_.erase(key) != GhostLists<1>::kNone;
    pending_ = false;
    key_[frame] = key;
    if (ghost) {
      ++ghost_hits_;
      am_.push_front(frame);
    } else {
      a1in_.push_front(frame);
    }
  }

  void on_access(uint32_t frame, uint64_t /*t*/) {
    HPMM_ASSERT(frame < n_ && tracks(frame));
    if (am_.contains(frame)) am_.move_to_front(frame);  // A1in: a correlated reference, nothing
  }

  uint32_t victim(uint64_t key, uint64_t /*t*/) {
    HPMM_CHECK(used() > 0, "TwoQPolicy::victim: no frame holds a page");
    // Is the incoming page a ghost?  Asked before A1out takes the victim's key (which could push
    // the incoming page's key out of A1out).
    pending_ = true;
    pending_key_ = key;
    pending_ghost_ = ghosts_.erase(key) != GhostLists<1>::kNone;
    if (a1in_.size() > kin_ || am_.empty()) {
      uint32_t f = a1in_.back();
      a1in_.remove(f);
      if (kout_ > 0) {
        if (ghosts_.size() >= kout_) ghosts_.pop_back(0);
        ghosts_.push_front(0, key_[f]);
      }
      return f;
    }
    uint32_t f = am_.back();
    am_.remove(f);
    return f;
  }

  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < n_ && tracks(frame), "TwoQPolicy::on_free: frame holds no page");
    if (am_.contains(frame))
      am_.remove(frame);
    else
      a1in_.remove(frame);
  }

  bool tracks(uint32_t frame) const { return a1in_.contains(frame) || am_.contains(frame); }
  uint32_t used() const { return a1in_.size() + am_.size(); }

  // Reports and tests.
  uint32_t kin() const { return kin_; }
  uint32_t kout() const { return kout_; }
  uint32_t a1in_size() const { return a1in_.size(); }
  uint32_t am_size() const { return am_.size(); }
  uint32_t a1out_size() const { return ghosts_.size(); }
  uint64_t ghost_hits() const { return ghost_hits_; }  // faults on a page found in A1out
  bool in_am(uint32_t frame) const { return am_.contains(frame); }
  std::vector<uint64_t> a1out_keys() const { return ghosts_.keys(0); }  // newest first

  bool valid() const {
    if (!a1in_.valid() || !am_.valid() || !ghosts_.valid()) return false;
    if (ghosts_.size() > kout_) return false;
    for (uint32_t f = 0; f < n_; ++f) {
      if (a1in_.contains(f) && am_.contains(f)) return false;
      if (tracks(f) && ghosts_.find(key_[f]) != GhostLists<1>::kNone) return false;
    }
    return true;
  }

 private:
  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "TwoQPolicy: nframes must be in [1, 2^31]");
    return n;
  }
  static uint32_t checked_kout(uint32_t kout, uint32_t kin, uint32_t n) {
    HPMM_CHECK(kin <= n, "TwoQPolicy: Kin must be <= nframes");
    HPMM_CHECK(kout <= n, "TwoQPolicy: Kout must be <= nframes (ghosts are bounded by frames)");
    return kout;
  }

  uint32_t n_;
  uint32_t kin_;
  uint32_t kout_;
  FrameList a1in_;             // front = newest
  FrameList am_;               // front = most recent
  std::vector<uint64_t> key_;  // frame -> key of its page
  GhostLists<1> ghosts_;       // A1out, front = newest
  uint64_t ghost_hits_ = 0;
  // Set by victim() for the on_fill that must follow it: the incoming page was in A1out.
  bool pending_ = false;
  bool pending_ghost_ = false;
  uint64_t pending_key_ = 0;
};

static_assert(PageReplacementPolicy<TwoQPolicy>);

}  // namespace hpmm::sim
