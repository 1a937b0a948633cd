// cache/thread_cache.hpp: a thread's cache of free objects (Go's mcache, TCMalloc's ThreadCache):
// one singly linked list per size class, threaded through the free objects' first words.  The
// owning thread allocates and frees here with no lock and no atomic instruction; batches move to
// and from the central lists (cache/central_free_list.hpp) when a list runs dry or grows too long.
//
// Sizing (TCMalloc's): a list's max_length starts at 1 and grows by one per refill up to the
// class's batch, then by a batch at a time up to kMaxListLength; a list found too long on free
// gives a batch back, and after kMaxOverages such events its max_length shrinks by a batch.  When
// the whole cache holds more than max_bytes, every list gives back half of its low-water mark
// (the objects it did not need since the last such scavenge; TCMalloc's rule), and at least the
// list that overflowed gives back half of what it holds.
// The byte bound is kept as headroom = max_bytes - bytes (signed: negative once over), so that a
// free tests both bounds with one branch: (int32(max_length - length) | headroom) < 0
// (gperftools' trick).
// Invariants (valid()): lists[c].length == the number of objects on lists[c];
// lists[c].size == kSizeClasses[c].size; lists[c].canary_off == (size > 8 ? 8 : 0);
// bytes() == max_bytes - headroom == sum(length * size); each list is acyclic.
// Synchronisation: only the owning thread touches a ThreadCache, except the statistics reader,
// which reads `length` racily (plain aligned loads; the numbers are advisory).
#pragma once

#include <cstdint>

#include "base/check.hpp"
#include "heap/size_classes.hpp"

namespace hpmm {

struct FreeList {
  void *head = nullptr;
  uint32_t length = 0;
  uint32_t max_length = 1;
  uint32_t overages = 0;
  uint32_t low_water = 0;  // the least length since the last scavenge: objects nobody needed
  uint32_t size = 0;       // kSizeClasses[class].size, next to head: malloc and free need both
  // Byte offset of the double-free canary word in a free object: 8 (its second word), or 0 for
  // 8-byte objects, which have no second word: there the canary is written and at once
  // overwritten by the list link, so the fast paths need no test of the class.
  uint32_t canary_off = 0;
};

struct ThreadCache {
  static constexpr uint32_t kMaxListLength = 8192;
  static constexpr uint32_t kMaxOverages = 3;

  FreeList lists[kNumClasses];
  int64_t headroom = 0;         // max_bytes - bytes held in the lists
  uint64_t max_bytes = 0;       // the scavenge threshold (set_max_bytes)
  ThreadCache *prev = nullptr;  // the allocator's registry (its lock)
  ThreadCache *next = nullptr;

  ThreadCache() {
    for (uint32_t c = 0; c < kNumClasses; ++c) {
      lists[c].size = kSizeClasses[c].size;
      lists[c].canary_off = kSizeClasses[c].size > 8 ? 8 : 0;
    }
  }

  uint64_t bytes() const {
    return static_cast<uint64_t>(static_cast<int64_t>(max_bytes) - headroom);
  }
  bool over_bytes() const { return headroom < 0; }
  void set_max_bytes(uint64_t m) {
    headroom += static_cast<int64_t>(m) - static_cast<int64_t>(max_bytes);
    max_bytes = m;
  }

  // Pops an object of class c, or nullptr when the list is empty.  Its canary word is cleared
  // (a live object carries no canary; for 8-byte objects that is the stale link word).
  void *pop(uint32_t c) {
    FreeList &l = lists[c];
    void *p = l.head;
    if (__builtin_expect(p == nullptr, 0)) return nullptr;
    uint32_t size = l.size;  // read before the stores below (p's link could alias it for gcc)
    uint32_t canary_off = l.canary_off;
    l.head = *static_cast<void **>(p);
    *reinterpret_cast<uintptr_t *>(static_cast<char *>(p) + canary_off) = 0;
    --l.length;
    if (l.length < l.low_water) l.low_water = l.length;
    headroom += size;
    return p;
  }

  // Pushes p of class c; returns true when the list or the cache is now over its bound (the
  // caller then calls the allocator's slow path).
  bool push(void *p, uint32_t c) {
    FreeList &l = lists[c];
    *static_cast<void **>(p) = l.head;
    l.head = p;
    ++l.length;
    headroom -= l.size;
    return (static_cast<int64_t>(static_cast<int32_t>(l.max_length - l.length)) | headroom) < 0;
  }

  // Pushes a linked run [head .. tail] of n objects.
  void push_range(void *head, void *tail, uint32_t n, uint32_t c) {
    FreeList &l = lists[c];
    *static_cast<void **>(tail) = l.head;
    l.head = head;
    l.length += n;
    headroom -= int64_t{n} * kSizeClasses[c].size;
  }

  // Unlinks the first n objects of list c (n <= length); returns their count, *head and *tail.
  uint32_t pop_range(uint32_t c, uint32_t n, void **head, void **tail) {
    FreeList &l = lists[c];
    if (n > l.length) n = l.length;
    if (n == 0) return 0;
    void *h = l.head, *t = h;
    for (uint32_t i = 1; i < n; ++i) t = *static_cast<void **>(t);
    l.head = *static_cast<void **>(t);
    l.length -= n;
    headroom += int64_t{n} * kSizeClasses[c].size;
    *head = h;
    *tail = t;
    return n;
  }

  bool valid() const {
    uint64_t b = 0;
    for (uint32_t c = 1; c < kNumClasses; ++c) {
      uint32_t n = 0;
      for (void *p = lists[c].head; p != nullptr && n <= lists[c].length;
           p = *static_cast<void **>(p))
        ++n;
      const FreeList &l = lists[c];
      if (n != l.length || l.size != kSizeClasses[c].size || l.canary_off != (l.size > 8 ? 8u : 0u))
        return false;
      b += uint64_t{n} * kSizeClasses[c].size;
    }
    return b == bytes();
  }
};

}  // namespace hpmm
