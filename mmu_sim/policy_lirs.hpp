// mmu_sim/policy_lirs.hpp: LIRS page replacement, Jiang and Zhang, "LIRS: An Efficient Low
// Inter-reference Recency Set Replacement Policy to Improve Buffer Cache Performance",
// SIGMETRICS 2002, with the number of non-resident entries bounded.
//
// Chosen over CLOCK-Pro (Jiang, Chen, Zhang, USENIX 2005), which approximates LIRS with three
// clock hands: LIRS is specified exactly (a stack and a queue, no hand interplay left open), so
// the simulator's numbers are those of the published algorithm and can be checked against a
// plain model; the clock-style reference-bit approximation is what the active/inactive policy
// already provides.
//
// A page's IRR is the number of other distinct pages referenced between its last two references.
// LIR pages (low IRR) are resident and never evicted while LIR; HIR pages hold the remaining
// L_hirs frames (L_lirs = nframes - L_hirs).  Structures:
//   S  a recency stack (top = most recent reference) of LIR pages, resident HIR pages and
//      non-resident HIR pages ("ghosts", keys only) whose recency is below that of the bottom
//      LIR page; the bottom of S is always LIR ("stack pruning" drops HIR entries from the
//      bottom until it is)
//   Q  the resident HIR pages, front = next to evict
// On a reference to page X:
//   X is LIR            move X to the top of S; prune if it was the bottom
//   X is resident HIR   X in S: X becomes LIR (leaves Q), the bottom LIR page becomes a resident
//                       HIR page at the end of Q, prune.  X not in S: X goes to the top of S and
//                       to the end of Q
//   X not resident      evict the front of Q (it stays in S as a ghost if it was in S); then X
//                       goes to the top of S, and becomes LIR (with the same demotion) if it was
//                       a ghost in S, else a resident HIR page at the end of Q
// While fewer than L_lirs pages are LIR (the start, or after unmaps), a referenced page becomes
// LIR without demoting any page.
// Parameters: L_hirs = hir_frames, default max(1, nframes / 100) (the paper's 1%), in
// [1, nframes]; max_ghosts, default nframes, at most nframes: when S would hold more ghosts the
// oldest (deepest) ghost leaves S, as the paper suggests bounding S in practice.  An unmapped
// page (on_free) leaves S and Q without becoming a ghost.
//
// Representation: S is a doubly linked list over entries [0, n) (the resident pages, by frame)
// and [n, n + max_ghosts) (ghost slots), sentinel at n + max_ghosts.  Ghosts are also in a FIFO in
// the order they were made, which is their order in S (a resident HIR page in S entered Q when it
// was last referenced, so Q's order among them is S's), so the oldest ghost is found in O(1); a
// KeyMap finds a ghost by key.  Invariants (checked by valid()):
//   S's bottom is LIR (or S is empty);   LIR => in S;   resident HIR <=> in Q
//   lir_ == #LIR <= L_lirs;   used() == lir_ + |Q|
//   ghosts: in S, in the FIFO, in the map; #ghosts <= max_ghosts; FIFO order == S order
//   no ghost key is resident
// Every operation is O(1) amortised (each pruned entry was pushed once), expected for the hash.
// A reference repeated at the same t as the fill that placed the page is not a second
// reference (the protocol's idempotence).  Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/frame_list.hpp"
#include "mmu_sim/key_map.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

class LirsPolicy {
 public:
  struct Params {
    uint32_t hir_frames = 0;           // L_hirs; 0 = max(1, nframes / 100)
    uint32_t max_ghosts = UINT32_MAX;  // non-resident entries kept in S; default nframes
  };

  LirsPolicy(uint32_t nframes, uint64_t seed) : LirsPolicy(nframes, seed, Params{}) {}
  LirsPolicy(uint32_t nframes, uint64_t /*seed*/, Params p)
      : n_(checked(nframes)),
        lhir_(checked_hir(p.hir_frames == 0 ? (n_ / 100 > 0 ? n_ / 100 : 1) : p.hir_frames, n_)),
        llir_(n_ - lhir_),
        gmax_(checked_ghosts(p.max_ghosts == UINT32_MAX ? n_ : p.max_ghosts, n_)),
        s_(n_ + gmax_ + 1, Link{kOut, kOut}),
        key_(size_t{n_} + gmax_, 0),
        status_(n_, kFree),
        q_(n_),
        fifo_(gmax_ + 1, Link{kOut, kOut}),
        map_(gmax_) {
    s_[sentinel()] = Link{sentinel(), sentinel()};
    fifo_[gmax_] = Link{gmax_, gmax_};
    free_.reserve(gmax_);
    for (uint32_t g = gmax_; g-- > 0;) free_.push_back(n_ + g);
  }

  void on_fill(uint32_t frame, uint64_t key, uint64_t t) {
    HPMM_CHECK(frame < n_ && status_[frame] == kFree, "LirsPolicy::on_fill: frame holds a page");
    bool ghost = pending_ && pending_key_ == key ? pending_ghost_ : take_ghost(key);
    pending_ = false;
    key_[frame] = key;
    ghost_hits_ += ghost;
    s_push_top(frame);
    if (lir_ < llir_) {
      status_[frame] = kLir;
      ++lir_;
    } else if (ghost) {
      make_lir(frame);
    } else {
      status_[frame] = kHir;
      q_.push_back(frame);
      prune();  // S held no LIR page: the new HIR entry cannot stay at its bottom
    }
    fill_frame_ = frame;
    fill_t_ = t;
  }

  void on_access(uint32_t frame, uint64_t t) {
    HPMM_ASSERT(frame < n_ && status_[frame] != kFree);
    if (frame == fill_frame_ && t == fill_t_) return;  // the fill's own reference
    if (status_[frame] == kLir) {
      bool bottom = s_[sentinel()].prev == frame;
      s_move_top(frame);
      if (bottom) prune();
      return;
    }
    // A resident HIR page.
    bool was_in_s = in_s(frame);
    s_move_top(frame);
    q_.remove(frame);
    if (was_in_s || lir_ < llir_) {
      make_lir(frame);
    } else {
      q_.push_back(frame);
      prune();  // S held no LIR page: the HIR entry cannot stay at its bottom
    }
  }

  uint32_t victim(uint64_t key, uint64_t /*t*/) {
    HPMM_CHECK(used() > 0, "LirsPolicy::victim: no frame holds a page");
    pending_ = true;
    pending_key_ = key;
    pending_ghost_ = take_ghost(key);  // before the victim's ghost could push it out
    if (q_.empty()) demote_bottom();   // only when asked with frames free and every page LIR
    uint32_t f = q_.front();
    q_.remove(f);
    status_[f] = kFree;
    if (in_s(f)) {
      if (gmax_ == 0) {
        s_remove(f);
      } else {
        if (free_.empty()) drop_oldest_ghost();
        uint32_t g = free_.back();
        free_.pop_back();
        key_[g] = key_[f];
        s_replace(f, g);
        map_.put(key_[g], g);
        fifo_push_back(g);
      }
    }
    return f;
  }

  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < n_ && status_[frame] != kFree, "LirsPolicy::on_free: frame holds no page");
    if (status_[frame] == kLir) {
      s_remove(frame);
      --lir_;
      prune();
    } else {
      q_.remove(frame);
      if (in_s(frame)) s_remove(frame);
    }
    status_[frame] = kFree;
  }

  bool tracks(uint32_t frame) const { return status_[frame] != kFree; }
  uint32_t used() const { return lir_ + q_.size(); }

  // Reports and tests.
  uint32_t hir_frames() const { return lhir_; }
  uint32_t lir_capacity() const { return llir_; }
  uint32_t max_ghosts() const { return gmax_; }
  uint32_t lir_count() const { return lir_; }
  uint32_t q_size() const { return q_.size(); }
  uint32_t ghosts() const { return static_cast<uint32_t>(map_.size()); }
  uint64_t ghost_hits() const { return ghost_hits_; }  // faults on a page still in S as a ghost
  bool is_lir(uint32_t frame) const { return status_[frame] == kLir; }
  bool in_stack(uint32_t frame) const { return in_s(frame); }
  // S from top to bottom as (key, kind) with kind 'L' LIR, 'H' resident HIR, 'G' ghost.
  std::vector<std::pair<uint64_t, char>> stack() const {
    std::vector<std::pair<uint64_t, char>> out;
    for (uint32_t e = s_[sentinel()].next; e != sentinel(); e = s_[e].next)
      out.emplace_back(key_[e], e >= n_ ? 'G' : status_[e] == kLir ? 'L' : 'H');
    return out;
  }

  bool valid() const {
    if (!q_.valid() || !map_.valid() || lir_ > llir_) return false;
    // S: links, count, bottom LIR, ghosts in S order.
    std::vector<uint32_t> ghost_order;
    uint64_t count = 0;
    for (uint32_t x = sentinel();;) {
      uint32_t y = s_[x].next;
      if (y > sentinel() || s_[y].prev != x) return false;
      if (y == sentinel()) break;
      if (++count > sentinel()) return false;
      if (y >= n_) {
        ghost_order.push_back(y);
      } else if (status_[y] == kFree) {
        return false;
      }
      x = y;
    }
    uint32_t bottom = s_[sentinel()].prev;
    if (bottom != sentinel() && (bottom >= n_ || status_[bottom] != kLir)) return false;
    // Ghost FIFO (oldest first) is S from the bottom up, restricted to ghosts.
    std::vector<uint32_t> fifo;
    for (uint32_t x = gmax_;;) {
      uint32_t y = fifo_[x].next;
      if (y > gmax_ || fifo_[y].prev != x) return false;
      if (y == gmax_) break;
      if (fifo.size() > gmax_) return false;
      fifo.push_back(n_ + y);
      x = y;
    }
    if (fifo.size() != ghost_order.size() || fifo.size() != map_.size()) return false;
    for (size_t i = 0; i < fifo.size(); ++i) {
      uint32_t g = fifo[i];
      if (ghost_order[ghost_order.size() - 1 - i] != g || map_.get(key_[g]) != g) return false;
    }
    if (fifo.size() + free_.size() != gmax_) return false;
    uint32_t lir = 0;
    for (uint32_t f = 0; f < n_; ++f) {
      if (status_[f] > kFree) return false;
      if (status_[f] == kLir && !in_s(f)) return false;
      if ((status_[f] == kHir) != q_.contains(f)) return false;
      if (status_[f] == kFree && in_s(f)) return false;
      if (status_[f] != kFree && map_.contains(key_[f])) return false;
      lir += status_[f] == kLir;
    }
    return lir == lir_;
  }

 private:
  static constexpr uint8_t kLir = 0, kHir = 1, kFree = 2;
  static constexpr uint32_t kOut = UINT32_MAX;
  struct Link {
    uint32_t prev;
    uint32_t next;
  };

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "LirsPolicy: nframes must be in [1, 2^31]");
    return n;
  }
  static uint32_t checked_hir(uint32_t h, uint32_t n) {
    HPMM_CHECK(h >= 1 && h <= n, "LirsPolicy: hir_frames must be in [1, nframes]");
    return h;
  }
  static uint32_t checked_ghosts(uint32_t g, uint32_t n) {
    HPMM_CHECK(g <= n, "LirsPolicy: max_ghosts must be <= nframes (ghosts are bounded by frames)");
    return g;
  }

  uint32_t sentinel() const { return n_ + gmax_; }
  bool in_s(uint32_t e) const { return s_[e].next != kOut; }

  void s_push_top(uint32_t e) {
    uint32_t s = sentinel(), first = s_[s].next;
    s_[e] = Link{s, first};
    s_[first].prev = e;
    s_[s].next = e;
  }
  void s_remove(uint32_t e) {
    Link &l = s_[e];
    s_[l.prev].next = l.next;
    s_[l.next].prev = l.prev;
    l = Link{kOut, kOut};
  }
  void s_move_top(uint32_t e) {
    if (in_s(e)) s_remove(e);
    s_push_top(e);
  }
  void s_replace(uint32_t old_e, uint32_t new_e) {
    Link l = s_[old_e];
    s_[new_e] = l;
    s_[l.prev].next = new_e;
    s_[l.next].prev = new_e;
    s_[old_e] = Link{kOut, kOut};
  }

  void fifo_push_back(uint32_t g) {
    uint32_t i = g - n_, last = fifo_[gmax_].prev;
    fifo_[i] = Link{last, gmax_};
    fifo_[last].next = i;
    fifo_[gmax_].prev = i;
  }
  // Forgets ghost entry g entirely (S, FIFO, map, slot).
  void drop_ghost(uint32_t g) {
    s_remove(g);
    Link &l = fifo_[g - n_];
    fifo_[l.prev].next = l.next;
    fifo_[l.next].prev = l.prev;
    l = Link{kOut, kOut};
    map_.erase(key_[g]);
    free_.push_back(g);
  }
  void drop_oldest_ghost() { drop_ghost(n_ + fifo_[gmax_].next); }

  // If key is a ghost, forgets the ghost and returns true.
  bool take_ghost(uint64_t key) {
    uint32_t g = map_.get(key);
    if (g == KeyMap<uint32_t>::kAbsent) return false;
    drop_ghost(g);
    return true;
  }

  // Drops HIR entries (resident ones stay in Q) from the bottom of S until it is LIR.
  void prune() {
    for (;;) {
      uint32_t b = s_[sentinel()].prev;
      if (b == sentinel() || (b < n_ && status_[b] == kLir)) return;
      if (b >= n_)
        drop_ghost(b);
      else
        s_remove(b);
    }
  }

  // frame (resident, on top of S, not in Q) becomes LIR; if that makes too many, the bottom LIR
  // page becomes a resident HIR page at the end of Q.
  void make_lir(uint32_t frame) {
    status_[frame] = kLir;
    if (++lir_ > llir_) demote_bottom();
  }
  void demote_bottom() {
    uint32_t b = s_[sentinel()].prev;
    HPMM_CHECK(b < n_ && status_[b] == kLir, "LirsPolicy: the bottom of S is not LIR");
    s_remove(b);
    status_[b] = kHir;
    --lir_;
    q_.push_back(b);
    prune();
  }

  uint32_t n_;
  uint32_t lhir_;                // L_hirs
  uint32_t llir_;                // L_lirs = n_ - lhir_
  uint32_t gmax_;                // max ghosts in S
  std::vector<Link> s_;          // S: entries [0, n_ + gmax_), sentinel n_ + gmax_; top = next
  std::vector<uint64_t> key_;    // entry -> key
  std::vector<uint8_t> status_;  // frame -> kLir, kHir (resident), kFree
  FrameList q_;                  // resident HIR pages, front = next victim
  std::vector<Link> fifo_;       // ghost slots (index g - n_) in S order, oldest first
  std::vector<uint32_t> free_;   // free ghost slots (entry numbers)
  KeyMap<uint32_t> map_;         // ghost key -> entry
  uint32_t lir_ = 0;
  uint64_t ghost_hits_ = 0;
  bool pending_ = false;  // set by victim() for the on_fill that follows it
  bool pending_ghost_ = false;
  uint64_t pending_key_ = 0;
  uint32_t fill_frame_ = kOut;  // the latest fill, for the idempotence of its own reference
  uint64_t fill_t_ = 0;
};

static_assert(PageReplacementPolicy<LirsPolicy>);

}  // namespace hpmm::sim
