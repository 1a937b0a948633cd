// mmu_sim/frame_table.hpp: one pool of simulated physical frames and its replacement policy.
//
// The table knows which frames hold a page and which page (an opaque 64-bit key; the MMU uses
// vpn | size bits); it does not know where pages live (the MMU checks residency in its page
// table and keeps its own per-frame flags).  place() puts a page in the lowest free frame, or,
// when every frame is full, in the frame the policy chooses, and reports the evicted page.
//
// Free frames: frames [fresh_, n_) have never held a page since construction; freed frames
// below fresh_ wait in a min-heap released_.  So the lowest free frame is released_'s top if
// any, else fresh_, in O(log r) for r released frames and O(1) on the fill-up path.
// Invariants (checked by valid()):
//   used_ + released_.size() + (n_ - fresh_) == n_
//   in_use(f) <=> f < fresh_ and f not in released_      (every f in released_ is < fresh_)
//   used_ == #{f : in_use(f)};   policy_.tracks(f) <=> in_use(f);   policy_.used() == used_
//   owner(f) is the key last placed in f, for every in_use(f);  owner(f) == 0 for every free f
// Per-frame record: the owner and a caller's payload X (FramePool's PTE pointer, swap slot and
// dirty flag) in one struct, so that an eviction reads one record -- one cache line -- for the
// victim's key and its payload.  The table never reads or writes X: extra(f) is the caller's.
// Not thread-safe: one FrameTable per frame pool, owned by one Mmu.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

// The payload of a table whose caller keeps nothing per frame.
struct NoFrameExtra {};

template <PageReplacementPolicy P, class X = NoFrameExtra>
class FrameTable {
 public:
  // One frame: its owner's key (0 when free) and the caller's payload, value-initialised.  A
  // record with a payload is aligned to its size rounded up to a power of two (at most 64), so
  // that a record of up to 64 bytes never straddles two cache lines.
  static constexpr size_t kRecordAlign =
      std::is_empty_v<X> ? alignof(uint64_t)
                         : std::min<size_t>(64, std::bit_ceil(sizeof(uint64_t) + sizeof(X)));
  struct alignas(kRecordAlign) Record {
    uint64_t owner;
    [[no_unique_address]] X extra;
  };

  struct Placement {
    uint32_t frame;       // where the page now is
    bool evicted;         // the frame held a page, which was evicted
    uint64_t victim_key;  // that page's key (0 when !evicted)
  };

  // nframes in [1, 2^31] (checked); seed, and the policy's parameters if any, are passed to the
  // policy: P(nframes, seed, policy_args...).
  template <class... A>
  FrameTable(uint32_t nframes, uint64_t seed, A &&...policy_args)
      : n_(checked(nframes)),
        rec_(n_, Record{0, X{}}),
        in_use_((size_t{n_} + 63) / 64, 0),
        policy_(n_, seed, std::forward<A>(policy_args)...) {}

  // Places page_key, referenced at position t, in the lowest free frame or else in the policy's
  // victim (chosen for page_key); records the new owner and calls the policy's on_fill.  The caller
  // must not place a key that is already resident (the table does not look keys up).
  [[gnu::always_inline]] Placement place(uint64_t page_key, uint64_t t) {
    Placement p{0, false, 0};
    if (HPMM_LIKELY(used_ == n_)) {  // every frame full: no released and no fresh frame
      // A policy with replace() does victim() and on_fill() in one step.
      if constexpr (kReplaces)
        p.frame = policy_.replace(page_key, t);
      else
        p.frame = policy_.victim(page_key, t);
      // The bound guards rec_; a policy's own tests check that it names a used frame.
      HPMM_CHECK(p.frame < n_, "FrameTable: the policy chose a frame out of range");
      HPMM_ASSERT(in_use(p.frame));
      p.evicted = true;
      Record *const r = rec_.data();
      p.victim_key = r[p.frame].owner;
      const uint32_t next = next_victim_hint();
      if (next < n_) __builtin_prefetch(&r[next]);  // read at the next eviction
      r[p.frame].owner = page_key;
      if constexpr (!kReplaces) policy_.on_fill(p.frame, page_key, t);
      return p;
    }
    if (!released_.empty()) {
      std::pop_heap(released_.begin(), released_.end(), std::greater<uint32_t>());
      p.frame = released_.back();
      released_.pop_back();
      ++used_;
      in_use_[p.frame / 64] |= uint64_t{1} << (p.frame % 64);
    } else {  // used_ < n_ with none released: fresh_ < n_
      HPMM_ASSERT(fresh_ < n_);
      p.frame = fresh_++;
      ++used_;
      in_use_[p.frame / 64] |= uint64_t{1} << (p.frame % 64);
    }
    rec_[p.frame].owner = page_key;
    policy_.on_fill(p.frame, page_key, t);
    return p;
  }

  // A frame the policy will evict soon (the next victim, or one a few victims later: LRU names
  // the fourth), if the policy can tell cheaply (an optional next_victim_hint() on the policy),
  // else frames(): only a hint to prefetch with.
  uint32_t next_victim_hint() const {
    if constexpr (requires { policy_.next_victim_hint(); })
      return policy_.next_victim_hint();
    else
      return n_;
  }

  // A reference at position t to the page in frame (which holds one).  The hot path.
  void touch(uint32_t frame, uint64_t t) {
    HPMM_ASSERT(frame < n_ && in_use(frame));
    policy_.on_access(frame, t);
  }

  // The page in frame was unmapped: the frame becomes free (and is reused lowest first).
  void release(uint32_t frame) {
    HPMM_CHECK(frame < n_ && in_use(frame), "FrameTable::release: frame out of range or free");
    in_use_[frame / 64] &= ~(uint64_t{1} << (frame % 64));
    rec_[frame].owner = 0;
    --used_;
    released_.push_back(frame);
    std::push_heap(released_.begin(), released_.end(), std::greater<uint32_t>());
    policy_.on_free(frame);
  }

  uint64_t owner(uint32_t frame) const {
    HPMM_ASSERT(frame < n_ && in_use(frame));
    return rec_[frame].owner;
  }
  // The caller's payload of frame (any frame < frames(), free or not).
  X &extra(uint32_t frame) {
    HPMM_ASSERT(frame < n_);
    return rec_[frame].extra;
  }
  const X &extra(uint32_t frame) const {
    HPMM_ASSERT(frame < n_);
    return rec_[frame].extra;
  }
  // The records, for a caller that indexes them on its hot path (frames() of them).
  Record *records() { return rec_.data(); }
  const Record *records() const { return rec_.data(); }
  bool in_use(uint32_t frame) const { return (in_use_[frame / 64] >> (frame % 64)) & 1; }
  uint32_t frames() const { return n_; }
  uint32_t used() const { return used_; }
  P &policy() { return policy_; }
  const P &policy() const { return policy_; }

  // The invariants above; O(n).
  bool valid() const {
    if (used_ + released_.size() + (n_ - fresh_) != n_) return false;
    if (!std::is_heap(released_.begin(), released_.end(), std::greater<uint32_t>())) return false;
    std::vector<bool> is_released(n_, false);
    for (uint32_t f : released_) {
      if (f >= fresh_ || is_released[f]) return false;
      is_released[f] = true;
    }
    uint64_t held = 0;
    for (uint32_t f = 0; f < n_; ++f) {
      bool used = in_use(f);
      if (used != (f < fresh_ && !is_released[f])) return false;
      if (used != policy_.tracks(f)) return false;
      if (!used && rec_[f].owner != 0) return false;
      held += used;
    }
    for (size_t bit = n_; bit < in_use_.size() * 64; ++bit)  // bits past the last frame stay 0
      if ((in_use_[bit / 64] >> (bit % 64)) & 1) return false;
    return held == used_ && policy_.used() == used_ && policy_.valid();
  }

 private:
  // The policy offers replace(key, t): victim(key, t) and on_fill(that frame, key, t) in one.
  static constexpr bool kReplaces = requires(P & p) {
    { p.replace(uint64_t{}, uint64_t{}) } -> std::same_as<uint32_t>;
  };

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "FrameTable: nframes must be in [1, 2^31]");
    return n;
  }

  uint32_t n_;
  uint32_t used_ = 0;
  uint32_t fresh_ = 0;              // frames >= fresh_ have never held a page
  std::vector<Record> rec_;         // frame -> key of its page (0 when free) and payload
  std::vector<uint64_t> in_use_;    // bitmap: frame holds a page
  std::vector<uint32_t> released_;  // min-heap of freed frames < fresh_
  P policy_;
};

}  // namespace hpmm::sim
