// heap/size_classes.hpp: the heap's page unit and its size classes (the table is generated:
// heap/size_class_gen.hpp states the derivation and its waste bounds; `make size-classes`).
//
// Invariants (tests/heap/test_size_classes.cc checks each):
//   size_class_of(n) == the smallest class c >= 1 with kSizeClasses[c].size >= n, for 0 < n <= 32
//   KiB objects == pages * kPageSize / size;  object_index(off, c) == off / size for off < span
//   bytes every class size >= 16 is a multiple of 16 (malloc's alignment); class 1 is 8 bytes
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/check.hpp"

namespace hpmm {

inline constexpr unsigned kPageShift = 13;  // the heap's page: 8 KiB
inline constexpr size_t kPageSize = size_t{1} << kPageShift;
inline constexpr size_t kMaxSmallSize = 32768;  // larger requests are large objects

struct SizeClassInfo {
  uint32_t size;     // bytes per object
  uint16_t pages;    // 8 KiB pages per span
  uint16_t objects;  // objects per span
  uint32_t magic;    // off / size == (off * magic) >> 32 for off < pages * kPageSize
  uint16_t batch;    // objects moved between a thread cache and a central list at once
};

#include "heap/size_class_table.inc"

// Class for a request of n bytes, n <= kMaxSmallSize (n == 0 gets the 8-byte class).
// The two halves (malloc's fast path tests the bounds itself): n <= 1024, and 1024 < n <= 32 KiB.
inline uint32_t size_class_of_upto_1k(size_t n) {
  HPMM_ASSERT(n <= 1024);
  return kClassBySmall[(n + 7) >> 3];
}
inline uint32_t size_class_of_above_1k(size_t n) {
  HPMM_ASSERT(n > 1024 && n <= kMaxSmallSize);
  return kClassByLarge[(n - 1024 + 127) >> 7];
}
inline uint32_t size_class_of(size_t n) {
  HPMM_ASSERT(n <= kMaxSmallSize);
  if (HPMM_LIKELY(n <= 1024)) return size_class_of_upto_1k(n);
  return size_class_of_above_1k(n);
}

inline uint32_t class_size(uint32_t c) {
  return kSizeClasses[c].size;
}
inline size_t class_span_bytes(uint32_t c) {
  return size_t{kSizeClasses[c].pages} << kPageShift;
}

// Index of the object at byte offset off in a span of class c (exact: the table's magic).
inline uint32_t object_index(uint32_t off, uint32_t c) {
  return static_cast<uint32_t>((uint64_t{off} * kSizeClasses[c].magic) >> 32);
}

// The object-start check of free(), per (class, page of the span): a "slot" c * 16 + page (the
// page map entry carries it, heap/page_map.hpp), so free() needs one table record and the offset
// q of p in its 8 KiB page.  With off = page * 8192 + q the offset in the span, s the class size,
// N its objects:
//   mult = ceil(2^64 / s), plus 1 when s divides 2^64, so e = mult * s - 2^64 is in [1, s];
//   off = k * s        ->  off * mult == k * e (mod 2^64), which is < N * e  iff  k < N;
//   off = k * s + r, 0 < r < s  ->  off * mult == k * e + r * mult lies in [mult, 2^64) (no wrap:
//     k * e <= off < 2^17 and r * mult <= 2^64 + e - mult), and mult >= 2^49 > N * e;
// so off is an object start  iff  off * mult mod 2^64 < limit = N * e  iff
//   q * mult + base < limit (mod 2^64) with base = page * 8192 * mult mod 2^64.
// (The division-free remainder test of Lemire, Kaser, Kurz, with the bound folded in.)  One
// multiply, one add, one compare.  Slots of pages a class's span does not have, and slots 0..15
// (class 0: large objects and empty entries), have limit 0: nothing there starts a small object.
inline constexpr uint32_t kMaxSpanPages = 16;  // slot = class * kMaxSpanPages + page in span
struct ObjectStartCheck {
  uint64_t mult = 0;
  uint64_t base = 0;
  uint64_t limit = 0;
};
inline constexpr auto kObjectStartChecks = [] {
  struct Table {
    ObjectStartCheck s[kNumClasses * kMaxSpanPages];
  } t{};
  for (int c = 1; c < kNumClasses; ++c) {
    uint64_t size = kSizeClasses[c].size;
    uint64_t mult = UINT64_MAX / size + 1 + ((size & (size - 1)) == 0 ? 1 : 0);
    uint64_t e = mult * size;  // mod 2^64
    for (uint32_t pg = 0; pg < kSizeClasses[c].pages; ++pg) {
      ObjectStartCheck &k = t.s[c * kMaxSpanPages + pg];
      k.mult = mult;
      k.base = uint64_t{pg} * kPageSize * mult;
      k.limit = uint64_t{kSizeClasses[c].objects} * e;
    }
  }
  return t;
}();
static_assert([] {
  for (int c = 1; c < kNumClasses; ++c)
    if (kSizeClasses[c].pages > kMaxSpanPages) return false;
  return true;
}());

// Whether byte q (< kPageSize) of the page whose slot is `slot` starts an object.
inline bool is_object_start_in_page(uint32_t q, uint32_t slot) {
  const ObjectStartCheck &k = kObjectStartChecks.s[slot];
  return q * k.mult + k.base < k.limit;
}
// Whether byte offset off of a span of class c is the start of one of its objects.
inline bool is_object_start(uint32_t off, uint32_t c) {
  uint32_t pg = off >> kPageShift;
  if (pg >= kMaxSpanPages) return false;
  return is_object_start_in_page(off & (kPageSize - 1), c * kMaxSpanPages + pg);
}

}  // namespace hpmm
