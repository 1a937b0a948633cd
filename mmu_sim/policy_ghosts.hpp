// mmu_sim/policy_ghosts.hpp: ghost lists, the history of pages no longer resident that 2Q
// (A1out) and ARC (B1, B2) keep: only keys, in recency order, with O(1) lookup by key.
//
// GhostLists<L> holds up to `capacity` keys in L lists.  Entries live in one flat pool; each list
// is a doubly linked cycle through a sentinel (pool index capacity + l for list l), front = most
// recent.  A KeyMap<uint32_t> finds a key's entry; free entries form a stack.  Invariants
// (checked by valid()):
//   key k is in a list  <=>  map_.get(k) == e != kAbsent and list_[e] < L
//   size(0) + ... + size(L-1) == map_.size() <= capacity;   free_ holds the other entries
//   each cycle's links agree both ways and it holds size(l) entries
// Every operation is O(1) (expected, for the hash lookup); nothing allocates after construction.
// Not thread-safe (owned by one policy).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/key_map.hpp"

namespace hpmm::sim {

template <uint32_t L>
class GhostLists {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;  // find(): the key is in no list

  explicit GhostLists(uint32_t capacity)
      : cap_(capacity),
        key_(cap_, 0),
        link_(size_t{cap_} + L, Link{kNone, kNone}),
        list_(cap_, kFree),
        map_(cap_) {
    for (uint32_t l = 0; l < L; ++l) link_[cap_ + l] = Link{cap_ + l, cap_ + l};
    free_.reserve(cap_);
    for (uint32_t e = cap_; e-- > 0;) free_.push_back(e);
  }

  // The list holding key, or kNone.
  uint32_t find(uint64_t key) const {
    uint32_t e = map_.get(key);
    return e == KeyMap<uint32_t>::kAbsent ? kNone : list_[e];
  }

  // Adds key (in no list) at the front of list l; there must be room (size() < capacity()).
  void push_front(uint32_t l, uint64_t key) {
    HPMM_CHECK(l < L && !free_.empty(), "GhostLists::push_front: bad list or no room");
    uint32_t e = free_.back();
    free_.pop_back();
    HPMM_CHECK(map_.put(key, e) == KeyMap<uint32_t>::kAbsent,
               "GhostLists::push_front: key already a ghost");
    key_[e] = key;
    list_[e] = l;
    uint32_t s = cap_ + l, first = link_[s].next;
    link_[e] = Link{s, first};
    link_[first].prev = e;
    link_[s].next = e;
    ++size_[l];
  }

  // Removes key from whichever list holds it; returns that list, or kNone.
  uint32_t erase(uint64_t key) {
    uint32_t e = map_.erase(key);
    if (e == KeyMap<uint32_t>::kAbsent) return kNone;
    uint32_t l = list_[e];
    unlink(e);
    return l;
  }

  // Removes the least recent key of list l (not empty) and returns it.
  uint64_t pop_back(uint32_t l) {
    HPMM_CHECK(l < L && size_[l] > 0, "GhostLists::pop_back: empty list");
    uint32_t e = link_[cap_ + l].prev;
    uint64_t key = key_[e];
    map_.erase(key);
    unlink(e);
    return key;
  }

  // The least recent key of list l (not empty).
  uint64_t back(uint32_t l) const {
    HPMM_ASSERT(l < L && size_[l] > 0);
    return key_[link_[cap_ + l].prev];
  }

  uint32_t size(uint32_t l) const { return size_[l]; }
  uint32_t size() const { return static_cast<uint32_t>(map_.size()); }
  uint32_t capacity() const { return cap_; }

  // Keys of list l, most recent first (tests and reports; O(size)).
  std::vector<uint64_t> keys(uint32_t l) const {
    std::vector<uint64_t> out;
    for (uint32_t e = link_[cap_ + l].next; e != cap_ + l; e = link_[e].next)
      out.push_back(key_[e]);
    return out;
  }

  bool valid() const {
    if (!map_.valid() || map_.size() + free_.size() != cap_) return false;
    uint64_t total = 0;
    for (uint32_t l = 0; l < L; ++l) {
      uint32_t count = 0;
      for (uint32_t x = cap_ + l;;) {
        uint32_t y = link_[x].next;
        if (y >= cap_ + L || link_[y].prev != x) return false;
        if (y == cap_ + l) break;
        if (y >= cap_ || list_[y] != l || map_.get(key_[y]) != y) return false;
        if (++count > cap_) return false;
        x = y;
      }
      if (count != size_[l]) return false;
      total += count;
    }
    for (uint32_t e : free_)
      if (e >= cap_ || list_[e] != kFree) return false;
    return total == map_.size();
  }

 private:
  static constexpr uint32_t kFree = UINT32_MAX;
  struct Link {
    uint32_t prev;
    uint32_t next;
  };

  void unlink(uint32_t e) {
    Link &k = link_[e];
    link_[k.prev].next = k.next;
    link_[k.next].prev = k.prev;
    k = Link{kNone, kNone};
    --size_[list_[e]];
    list_[e] = kFree;
    free_.push_back(e);
  }

  uint32_t cap_;
  std::vector<uint64_t> key_;   // entry -> key
  std::vector<Link> link_;      // cap_ entries, then L sentinels
  std::vector<uint32_t> list_;  // entry -> its list, kFree if unused
  std::vector<uint32_t> free_;  // unused entries (a stack)
  std::array<uint32_t, L> size_{};
  KeyMap<uint32_t> map_;  // key -> entry
};

}  // namespace hpmm::sim
