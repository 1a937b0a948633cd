// cache/thread_cache.hpp: a thread's cache of free objects (Go's mcache, TCMalloc's ThreadCache):
// one singly linked list per size class, threaded through the free objects' first words.  The
// owning thread allocates and frees here with no lock and no atomic instruction; batches move to
// and from the central lists (cache/central_free_list.hpp) when a list runs dry or grows too long.
//
// A list keeps one counter on the fast paths: room = max_length - length, the objects it may
// still take.  malloc adds 1, free subtracts 1 and calls the slow path when room goes negative;
// there is no byte count and no low-water mark per call.  The byte bound is a bound on capacity
// instead: capacity = sum(max_length * size) <= max_bytes, kept by the slow paths whenever a
// max_length changes (the allocator lowers other lists' bounds, round robin, to let one grow), so
// the bytes a cache holds never pass max_bytes by more than the one object whose free overflows.
// A list that must lower its bound for another gives up at least half of it, so such steals are
// rare; `bounded` (a bit per list with max_length > 0) finds the next one in a few instructions.
// Sizing (after TCMalloc's): a list's max_length starts at 0 and doubles (1, 2, 4, ...) per
// refill or overflow up to the class's batch, taking capacity from other lists if it must; past
// a batch it grows by a batch per refill, up to kMaxListLength, only while capacity is free.  A
// list found too long on free gives a batch back, and after kMaxOverages such events its
// max_length shrinks by a batch.
// One-way lists: a list whose last kOneWayStreak slow-path events were all refills (a thread
// that allocates a class another thread frees) or all overflows (one that frees what another
// allocated) gains nothing from a long list -- every object it holds is one the other side
// cannot have, so the class needs more spans -- and its bound is capped at one_way_length(c),
// 16 KiB of objects (1..batch; below a batch only for classes > 256 B).  Such a list refills at
// most that many and gives back runs of that many (ListBound::streak counts the events).
// Layout: the lists' hot fields (head, room, canary offset) are 16 bytes per class at offset 0,
// so malloc finds its list by one load from kListOffsetBySize (size -> byte offset of the list);
// the bounds (max_length, overages, streak) are in a separate array the fast paths never read.
// Invariants (valid()): length(c) = max_length - room == the number of objects on lists[c], and
// 0 <= length(c) <= max_length outside a call; |streak| <= kOneWayStreak;
// lists[c].canary_off == (size > 8 ? 8 : 0); capacity == sum(max_length * size) <= max_bytes;
// bit c of bounded == (max_length(c) > 0); each list is acyclic.
// Storage: the caller's (Allocator::create_cache's metadata block; attach_cache for others).  A
// cache not attached to an allocator is empty with every max_length 0 and is not in the
// registry: malloc finds every list empty and free finds no room, so both take a slow path, which
// never writes into it (the allocator's hook gives an attached cache, or the call goes to the
// central lists).  So one such cache, constexpr-constructed in read-only data, serves every
// thread of the shim that has no cache of its own (a thread's TLS pointer starts there).
// Synchronisation: only the owning thread touches a ThreadCache, except the statistics reader,
// which reads head/room/max_length racily (plain aligned loads; the numbers are advisory), and
// the registry links, which attach/detach write under the allocator's registry lock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/check.hpp"
#include "heap/size_classes.hpp"

namespace hpmm {

struct FreeList {
  void *head = nullptr;
  int32_t room = 0;  // max_length - length
  // Byte offset of the double-free canary word in a free object: 8 (its second word), or 0 for
  // 8-byte objects, which have no second word: there the canary is written and at once
  // overwritten by the list link, so the fast paths need no test of the class.
  uint32_t canary_off = 0;
};
static_assert(sizeof(FreeList) == 16);

// 4 bytes a list (read by the slow paths only).
struct ListBound {
  uint16_t max_length = 0;  // <= ThreadCache::kMaxListLength
  uint8_t overages = 0;     // <= ThreadCache::kMaxOverages + 1
  // Consecutive slow-path events of one kind: > 0 refills, < 0 overflows (saturating at
  // +-kOneWayStreak).
  int8_t streak = 0;
};
static_assert(sizeof(ListBound) == 4);

// Byte offset of size n's list in a ThreadCache (lists[] is its first member), n <= 1024: the
// fast path's size-class lookup, one load.
inline constexpr auto kListOffsetBySize = [] {
  std::array<uint16_t, 1025> t{};
  for (size_t n = 0; n <= 1024; ++n) t[n] = static_cast<uint16_t>(kClassBySmall[(n + 7) >> 3] * 16);
  return t;
}();

struct ThreadCache {
  static constexpr uint32_t kMaxListLength = 8192;
  static constexpr uint32_t kMaxOverages = 3;
  static constexpr int32_t kOneWayStreak = 8;
  static_assert(kMaxListLength <= UINT16_MAX && kMaxOverages < UINT8_MAX && kOneWayStreak < 128);
  static constexpr uint64_t kOneWayBytes = 16 * 1024;

  // The bound of a one-way list of class c: kOneWayBytes of objects, at least 1, at most a batch
  // (a table: the slow paths ask on every refill and overflow, and a divide is slow).
  static uint32_t one_way_length(uint32_t c) { return kOneWayLength[c]; }
  static constexpr auto kOneWayLength = [] {
    std::array<uint16_t, kNumClasses> t{};
    for (int c = 1; c < kNumClasses; ++c) {
      uint64_t m = kOneWayBytes / kSizeClasses[c].size;
      t[c] = static_cast<uint16_t>(m < 1                       ? 1
                                   : m > kSizeClasses[c].batch ? kSizeClasses[c].batch
                                                               : m);
    }
    return t;
  }();
  // Notes a refill (dir > 0) or an overflow (dir < 0) of list c; true when the list is one-way:
  // its last kOneWayStreak slow-path events were all of this kind.
  bool note(uint32_t c, int32_t dir) {
    int32_t s = bounds[c].streak;
    if ((s ^ dir) < 0) s = 0;
    if (s != dir * kOneWayStreak) s += dir;
    bounds[c].streak = static_cast<int8_t>(s);
    return s == dir * kOneWayStreak;
  }

  FreeList lists[kNumClasses];  // first member: kListOffsetBySize indexes from `this`
  ListBound bounds[kNumClasses];
  uint64_t capacity = 0;        // sum(max_length * size)
  uint64_t max_bytes;           // the bound on capacity
  uint32_t steal_next = 1;      // where the search for the next list to lower starts (round robin)
  uint64_t bounded[2] = {};     // bit c: max_length of list c > 0
  ThreadCache *prev = nullptr;  // the allocator's registry (its lock)
  ThreadCache *next = nullptr;
  // In the allocator's registry (Allocator::create_cache or attach_cache).  A cache that is not
  // has max_length 0 on every list, so each call reaches a slow path, which leaves it alone.
  bool attached = false;

  // constexpr: the shim's detached cache is read-only data.
  constexpr explicit ThreadCache(uint64_t max_bytes_ = 0) : max_bytes(max_bytes_) {
    for (uint32_t c = 0; c < kNumClasses; ++c)
      lists[c].canary_off = kSizeClasses[c].size > 8 ? 8 : 0;
  }

  // Objects on list c.  (Clamped at 0: the statistics reader may see room and max_length from
  // different moments.)
  uint32_t length(uint32_t c) const {
    int64_t n = static_cast<int64_t>(bounds[c].max_length) - lists[c].room;
    return n > 0 ? static_cast<uint32_t>(n) : 0;
  }
  uint64_t bytes() const {
    uint64_t b = 0;
    for (uint32_t c = 1; c < kNumClasses; ++c) b += uint64_t{length(c)} * kSizeClasses[c].size;
    return b;
  }

  // The list at byte offset off (kListOffsetBySize, or class * sizeof(FreeList)).
  FreeList &list_at(uint32_t off) {
    return *reinterpret_cast<FreeList *>(reinterpret_cast<char *>(this) + off);
  }

  // Pops an object from l, or nullptr when it is empty.  Its canary word is cleared (a live
  // object carries no canary; for 8-byte objects that is the stale link word).
  static void *pop(FreeList &l) {
    void *p = l.head;
    if (__builtin_expect(p == nullptr, 0)) return nullptr;
    uint32_t canary_off = l.canary_off;  // read before the stores (p's link could alias it)
    l.head = *static_cast<void **>(p);
    *reinterpret_cast<uintptr_t *>(static_cast<char *>(p) + canary_off) = 0;
    ++l.room;
    return p;
  }
  void *pop(uint32_t c) { return pop(lists[c]); }

  // Pushes p of class c; returns true when the list is now longer than its max_length (the
  // caller then calls the allocator's slow path).
  bool push(void *p, uint32_t c) {
    FreeList &l = lists[c];
    *static_cast<void **>(p) = l.head;
    l.head = p;
    return --l.room < 0;
  }

  // Pushes a linked run [head .. tail] of n objects.
  void push_range(void *head, void *tail, uint32_t n, uint32_t c) {
    FreeList &l = lists[c];
    *static_cast<void **>(tail) = l.head;
    l.head = head;
    l.room -= static_cast<int32_t>(n);
  }

  // The object k links after p (k of them exist).  Four links a round: the chase itself cannot
  // go faster, but the loop's count and test are paid once per four (a one-way list gives back
  // runs of up to a batch, 64 objects, this way at each overflow).
  static void *skip(void *p, uint32_t k) {
    for (; k >= 4; k -= 4) {
      p = *static_cast<void **>(p);
      p = *static_cast<void **>(p);
      p = *static_cast<void **>(p);
      p = *static_cast<void **>(p);
    }
    for (; k > 0; --k) p = *static_cast<void **>(p);
    return p;
  }

  // Unlinks the first n objects of list c (n <= length); returns their count, *head and *tail.
  uint32_t pop_range(uint32_t c, uint32_t n, void **head, void **tail) {
    FreeList &l = lists[c];
    uint32_t len = length(c);
    if (n > len) n = len;
    if (n == 0) return 0;
    void *h = l.head;
    void *t = skip(h, n - 1);
    l.head = *static_cast<void **>(t);
    l.room += static_cast<int32_t>(n);
    *head = h;
    *tail = t;
    return n;
  }

  // Sets list c's max_length to m, keeping room and capacity; the caller then gives back
  // length(c) - m objects if that is positive, and keeps capacity <= max_bytes.
  void set_max_length(uint32_t c, uint32_t m) {
    ListBound &b = bounds[c];
    HPMM_ASSERT(m <= kMaxListLength);
    lists[c].room += static_cast<int32_t>(m) - static_cast<int32_t>(b.max_length);
    capacity = capacity + uint64_t{m} * kSizeClasses[c].size -
               uint64_t{b.max_length} * kSizeClasses[c].size;
    b.max_length = static_cast<uint16_t>(m);
    if (m > 0) {
      bounded[c / 64] |= uint64_t{1} << (c % 64);
    } else {
      bounded[c / 64] &= ~(uint64_t{1} << (c % 64));
    }
  }

  // The next class from steal_next on (round robin) whose list has a bound, other than `keep`;
  // 0 when there is none.  Advances steal_next past it.
  uint32_t next_bounded(uint32_t keep) {
    static_assert(kNumClasses <= 128);
    uint64_t m[2] = {bounded[0], bounded[1]};
    m[keep / 64] &= ~(uint64_t{1} << (keep % 64));
    for (uint32_t pass = 0; pass < 2; ++pass) {
      uint32_t from = pass == 0 ? steal_next : 1;
      for (uint32_t w = from / 64; w < 2; ++w) {
        uint64_t bits = m[w];
        if (w == from / 64) bits &= ~uint64_t{0} << (from % 64);
        if (bits != 0) {
          uint32_t c = w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
          steal_next = c + 1 < kNumClasses ? c + 1 : 1;
          return c;
        }
      }
    }
    return 0;
  }

  bool valid() const {
    uint64_t cap = 0;
    for (uint32_t c = 1; c < kNumClasses; ++c) {
      const FreeList &l = lists[c];
      uint32_t n = 0, len = length(c);
      for (void *p = l.head; p != nullptr && n <= len; p = *static_cast<void **>(p)) ++n;
      if (n != len || l.room < 0 || l.canary_off != (kSizeClasses[c].size > 8 ? 8u : 0u))
        return false;
      cap += uint64_t{bounds[c].max_length} * kSizeClasses[c].size;
      if (((bounded[c / 64] >> (c % 64)) & 1) != (bounds[c].max_length > 0 ? 1u : 0u)) return false;
      if (bounds[c].streak > kOneWayStreak || bounds[c].streak < -kOneWayStreak) return false;
    }
    return cap == capacity && capacity <= max_bytes && steal_next >= 1 && steal_next < kNumClasses;
  }
};

}  // namespace hpmm
