// heap/span.hpp: a span (Go's mspan): a run of 8 KiB pages that is either one large object or is
// carved into objects of one size class.
//
// For a span of class c > 0 with N = kSizeClasses[c].objects objects of s bytes:
//   object i lives at start + i * s, 0 <= i < N;
//   free_bits bit i set  <=>  object i is in the span (not handed out to a thread cache or user);
//   nfree == popcount(free_bits) and allocated + nfree == N (allocated = N - nfree);
//   bits at or above N are clear; scan <= the first word with a set bit.
// The bitmap lives here, off the object pages; objects are only written when they are handed
// out (a batch is linked through its objects' first words).  A large span (c == 0) has no bitmap.
// Synchronised by the owner: its central list's lock (small) or the page heap's lock (large).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "heap/huge_page.hpp"
#include "heap/page_bitmap.hpp"
#include "heap/size_classes.hpp"

namespace hpmm {

struct Span {
  uintptr_t start = 0;
  uint32_t npages = 0;
  uint16_t nfree = 0;      // small: free objects
  uint8_t cls = 0;         // size class; 0 for a large object
  bool needzero = false;   // large: some page may hold old data (calloc must clear it)
  HugePage *hp = nullptr;  // the hugepage holding the first page
  Span *prev = nullptr;    // the central list's span list (small spans with free objects)
  Span *next = nullptr;
  uint32_t scan = 0;  // first bitmap word that may have a set bit
  uint32_t words = 0;
  uint64_t free_bits[];  // words = ceil(N / 64) words

  static size_t bytes_for(uint32_t cls) {
    return sizeof(Span) + (cls == 0 ? 0 : (kSizeClasses[cls].objects + 63) / 64 * 8);
  }
  size_t bytes() const { return size_t{npages} << kPageShift; }
  uintptr_t end() const { return start + bytes(); }
  bool is_large() const { return cls == 0; }
  uint32_t objects() const { return kSizeClasses[cls].objects; }

  // A fresh small span: every object free.
  void init_small() {
    uint32_t n = objects();
    words = (n + 63) / 64;
    for (uint32_t k = 0; k < words; ++k) {
      uint32_t bits = n - k * 64 >= 64 ? 64 : n - k * 64;
      free_bits[k] = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    }
    nfree = static_cast<uint16_t>(n);
    scan = 0;
  }

  // Takes up to n free objects, lowest addresses first, linked through their first word
  // (*tail's link is left unset).  Returns how many; *head and *tail are the ends.
  uint32_t take(uint32_t n, void **head, void **tail) {
    uint32_t got = 0, size = kSizeClasses[cls].size;
    void *first = nullptr, *last = nullptr;
    while (got < n && scan < words) {
      uint64_t w = free_bits[scan];
      if (w == 0) {
        ++scan;
        continue;
      }
      uint32_t b = static_cast<uint32_t>(std::countr_zero(w));
      free_bits[scan] = w & (w - 1);
      void *obj = reinterpret_cast<void *>(start + uintptr_t{scan * 64 + b} * size);
      if (last != nullptr) {
        *static_cast<void **>(last) = obj;
      } else {
        first = obj;
      }
      last = obj;
      ++got;
    }
    nfree = static_cast<uint16_t>(nfree - got);
    *head = first;
    *tail = last;
    return got;
  }

  // Index of the object at p, or UINT32_MAX when p is not the start of an object of this span.
  uint32_t index_of(const void *p) const {
    uintptr_t off = reinterpret_cast<uintptr_t>(p) - start;
    if (off >= bytes()) return UINT32_MAX;
    uint32_t i = object_index(static_cast<uint32_t>(off), cls);
    if (uintptr_t{i} * kSizeClasses[cls].size != off || i >= objects()) return UINT32_MAX;
    return i;
  }

  // Puts object i back.  False (nothing changed) when it is already free: a double free.
  bool give(uint32_t i) {
    uint64_t bit = uint64_t{1} << (i % 64);
    if (free_bits[i / 64] & bit) return false;
    free_bits[i / 64] |= bit;
    if (i / 64 < scan) scan = i / 64;
    ++nfree;
    return true;
  }
  bool is_free(uint32_t i) const { return (free_bits[i / 64] >> (i % 64)) & 1; }

  bool valid() const {
    if (cls == 0) return npages > 0;
    uint32_t n = objects(), c = 0;
    if (npages != kSizeClasses[cls].pages || words != (n + 63) / 64) return false;
    for (uint32_t k = 0; k < words; ++k) {
      c += popcount64(free_bits[k]);
      if (k < scan && free_bits[k] != 0) return false;
    }
    if (n % 64 != 0 && (free_bits[words - 1] >> (n % 64)) != 0) return false;
    return c == nfree && nfree <= n;
  }
};

}  // namespace hpmm
