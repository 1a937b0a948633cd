// mmu_sim/frame_list.hpp: an intrusive doubly linked list over frame numbers, kept in one flat
// array, with O(1) push at either end, removal and move-to-front.  The order of the lists of
// FifoPolicy (fill order) and LruPolicy (recency order).
//
// Representation: link_[0, n) are the frames' links, link_[n] is the sentinel S, so the list is
// the cycle S -> link_[S].next -> ... -> S.  Invariants:
//   f in the list  <=>  link_[f].next != kOut
//   for every x on the cycle: link_[link_[x].next].prev == x
//   size_ == number of frames on the cycle (excluding S) <= n
// Not thread-safe (owned by one policy).
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"

namespace hpmm::sim {

class FrameList {
 public:
  static constexpr uint32_t kOut = UINT32_MAX;  // link value of a frame not in the list

  explicit FrameList(uint32_t n) : n_(n), link_(size_t{n} + 1, Link{kOut, kOut}) {
    link_[n].prev = link_[n].next = n;
  }

  bool contains(uint32_t f) const { return link_[f].next != kOut; }
  bool empty() const { return size_ == 0; }
  uint32_t size() const { return size_; }
  uint32_t front() const { return link_[n_].next; }  // == n (the sentinel) when empty
  uint32_t back() const { return link_[n_].prev; }
  // The neighbours of a frame in the list (for walks; the sentinel n marks either end).
  uint32_t next(uint32_t f) const { return link_[f].next; }
  uint32_t prev(uint32_t f) const { return link_[f].prev; }
  // Starts loading the links of f (f <= n), for an operation on it a little later.
  void prefetch(uint32_t f) const { __builtin_prefetch(&link_[f], 1); }

  void push_front(uint32_t f) { insert_after(n_, f); }
  void push_back(uint32_t f) { insert_after(link_[n_].prev, f); }

  // remove and insert run once per fault or unmap, so their checks are always on: a frame that
  // is not in the list (or already is) would corrupt the links.
  void remove(uint32_t f) {
    HPMM_CHECK(f < n_ && contains(f), "FrameList::remove: frame out of range or not in the list");
    Link &l = link_[f];
    link_[l.prev].next = l.next;
    link_[l.next].prev = l.prev;
    l.prev = l.next = kOut;
    --size_;
  }

  // f is in the list: make it the front.  The hot path of LRU.
  void move_to_front(uint32_t f) {
    HPMM_ASSERT(f < n_ && contains(f));
    Link *k = link_.data();
    if (k[n_].next == f) return;
    uint32_t p = k[f].prev, x = k[f].next;
    k[p].next = x;
    k[x].prev = p;
    uint32_t first = k[n_].next;
    k[f].prev = n_;
    k[f].next = first;
    k[first].prev = f;
    k[n_].next = f;
  }

  // f is in the list: make it the back.  FIFO's replace (its front, refilled, goes last).
  void move_to_back(uint32_t f) {
    HPMM_ASSERT(f < n_ && contains(f));
    Link *k = link_.data();
    if (k[n_].prev == f) return;
    const uint32_t p = k[f].prev, x = k[f].next;
    k[p].next = x;
    k[x].prev = p;
    const uint32_t last = k[n_].prev;
    k[f].prev = last;
    k[f].next = n_;
    k[last].next = f;
    k[n_].prev = f;
  }

  // Walks the cycle: links agree both ways, it holds size_ frames, and exactly those frames
  // have links.  O(n).
  bool valid() const {
    if (link_[n_].next == kOut || link_[n_].prev == kOut) return false;
    uint64_t count = 0;
    for (uint32_t x = n_;;) {
      uint32_t y = link_[x].next;
      if (y > n_ || link_[y].prev != x) return false;
      if (y == n_) break;
      if (++count > n_) return false;  // a cycle that misses the sentinel
      x = y;
    }
    if (count != size_) return false;
    uint64_t linked = 0;
    for (uint32_t f = 0; f < n_; ++f) {
      bool in = link_[f].next != kOut;
      if (in != (link_[f].prev != kOut)) return false;
      linked += in;
    }
    return linked == size_;
  }

 private:
  struct Link {
    uint32_t prev;
    uint32_t next;
  };

  void insert_after(uint32_t at, uint32_t f) {
    HPMM_CHECK(f < n_ && !contains(f), "FrameList: frame out of range or already in the list");
    uint32_t x = link_[at].next;
    link_[f].prev = at;
    link_[f].next = x;
    link_[x].prev = f;
    link_[at].next = f;
    ++size_;
  }

  uint32_t n_;
  uint32_t size_ = 0;
  std::vector<Link> link_;  // n_ + 1 entries; [n_] is the sentinel
};

}  // namespace hpmm::sim
