// mmu_sim/frame_ring.hpp: an ordered list of frame numbers kept as a doubly linked cycle with a
// head, in one flat array: the order of LruPolicy (recency) and FifoPolicy (fill order).  Unlike
// FrameList (a cycle through a sentinel), the cycle holds only the listed frames, so that the
// replacement step of a full pool -- the back becomes the front (LRU) or the front becomes the
// back (FIFO) -- is a rotation: head = prev[head] or head = next[head], one load and one store,
// where a move through a sentinel rewrites six links.
//
// Representation: link_[0, n) are the frames' links; link_[n] is never written (a frame number n
// names "none", and prefetch(n) stays in the array).  head_ == n when empty, else the front.
// Invariants (valid()):
//   f listed  <=>  link_[f].next != kOut  <=>  link_[f].prev != kOut
//   for every listed x: link_[link_[x].next].prev == x, and following next from head_ visits
//   exactly size_ frames before it returns to head_
//   back() == link_[head_].prev (the front itself when size_ == 1)
// The neighbours next()/prev() are those of the list, not of the cycle: n past either end.
// Not thread-safe (owned by one policy).
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"

namespace hpmm::sim {

class FrameRing {
 public:
  static constexpr uint32_t kOut = UINT32_MAX;  // link value of a frame not in the list

  explicit FrameRing(uint32_t n) : n_(n), head_(n), link_(size_t{n} + 1, Link{kOut, kOut}) {}

  bool contains(uint32_t f) const { return link_[f].next != kOut; }
  bool empty() const { return size_ == 0; }
  uint32_t size() const { return size_; }
  uint32_t front() const { return head_; }  // n when empty
  uint32_t back() const { return size_ == 0 ? n_ : link_[head_].prev; }
  // The neighbours of a listed frame in the list (n past the back or before the front).
  uint32_t next(uint32_t f) const {
    const uint32_t x = link_[f].next;
    return x == head_ ? n_ : x;
  }
  uint32_t prev(uint32_t f) const { return f == head_ ? n_ : link_[f].prev; }
  // The frame before f on the cycle (f listed): the back when f is the front.  No test.
  uint32_t cycle_prev(uint32_t f) const { return link_[f].prev; }
  // Starts loading the links of f (f <= n), for an operation on it a little later.
  void prefetch(uint32_t f) const { __builtin_prefetch(&link_[f], 1); }

  void push_front(uint32_t f) {
    insert_before_head(f);
    head_ = f;
  }
  void push_back(uint32_t f) { insert_before_head(f); }

  // remove and insert run once per fault or unmap, so their checks are always on: a frame that
  // is not in the list (or already is) would corrupt the links.
  void remove(uint32_t f) {
    HPMM_CHECK(f < n_ && contains(f), "FrameRing::remove: frame out of range or not in the list");
    Link &l = link_[f];
    if (--size_ == 0) {
      head_ = n_;
    } else {
      link_[l.prev].next = l.next;
      link_[l.next].prev = l.prev;
      if (head_ == f) head_ = l.next;
    }
    l.prev = l.next = kOut;
  }

  // f is listed: make it the front.  The hot path of LRU.
  void move_to_front(uint32_t f) {
    HPMM_ASSERT(f < n_ && contains(f));
    Link *k = link_.data();
    const uint32_t h = head_;
    if (f == h) return;
    const uint32_t b = k[h].prev;
    if (f != b) {  // unlink f and put it between the back and the head
      const uint32_t p = k[f].prev, x = k[f].next;
      k[p].next = x;
      k[x].prev = p;
      k[f].prev = b;
      k[f].next = h;
      k[b].next = f;
      k[h].prev = f;
    }  // else f already sits before the head: the rotation below is the whole move
    head_ = f;
  }

  // Rotations of a non-empty list: the back becomes the front (LRU's replacement of its least
  // recent frame) or the front becomes the back (FIFO's refill of its oldest); both return the
  // frame moved.
  uint32_t rotate_back_to_front() {
    HPMM_ASSERT(size_ != 0);
    head_ = link_[head_].prev;
    return head_;
  }
  uint32_t rotate_front_to_back() {
    HPMM_ASSERT(size_ != 0);
    const uint32_t f = head_;
    head_ = link_[f].next;
    return f;
  }

  // The invariants above; O(n).
  bool valid() const {
    uint64_t linked = 0;
    for (uint32_t f = 0; f < n_; ++f) {
      const bool in = link_[f].next != kOut;
      if (in != (link_[f].prev != kOut)) return false;
      linked += in;
    }
    if (linked != size_ || link_[n_].next != kOut || link_[n_].prev != kOut) return false;
    if (size_ == 0) return head_ == n_;
    if (head_ >= n_ || !contains(head_)) return false;
    uint64_t count = 0;
    uint32_t x = head_;
    do {
      const uint32_t y = link_[x].next;
      if (y >= n_ || link_[y].prev != x) return false;
      if (++count > size_) return false;  // a cycle that misses the head
      x = y;
    } while (x != head_);
    return count == size_;
  }

 private:
  struct Link {
    uint32_t prev;
    uint32_t next;
  };

  // Inserts f between the back and the head (the new back; the head when the list was empty).
  void insert_before_head(uint32_t f) {
    HPMM_CHECK(f < n_ && !contains(f), "FrameRing: frame out of range or already in the list");
    if (size_++ == 0) {
      link_[f] = {f, f};
      head_ = f;
      return;
    }
    const uint32_t h = head_, b = link_[h].prev;
    link_[f] = {b, h};
    link_[b].next = f;
    link_[h].prev = f;
  }

  uint32_t n_;
  uint32_t size_ = 0;
  uint32_t head_;           // the front, n when empty
  std::vector<Link> link_;  // n_ + 1 entries; [n_] unused (a valid prefetch target)
};

}  // namespace hpmm::sim
