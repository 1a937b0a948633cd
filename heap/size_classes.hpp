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
inline uint32_t size_class_of(size_t n) {
  HPMM_ASSERT(n <= kMaxSmallSize);
  if (HPMM_LIKELY(n <= 1024)) return kClassBySmall[(n + 7) >> 3];
  return kClassByLarge[(n - 1024 + 127) >> 7];
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

// Whether byte offset off (< 2^32) of a span of class c is the start of one of its objects:
// off % size == 0 (Lemire, Kaser, Kurz: n % d == 0 iff n * ceil(2^64 / d) mod 2^64 < that
// constant, exact for 32-bit n) and off < objects * size.  One multiply, for free()'s check.
// The entry also carries the class size, so free() reads one 16-byte record per class.
struct ObjectStartCheck {
  uint64_t divisible = 0;  // ceil(2^64 / size)
  uint32_t end = 0;        // objects * size
  uint32_t size = 0;       // kSizeClasses[c].size
};
inline constexpr auto kObjectStartChecks = [] {
  struct Table {
    ObjectStartCheck c[kNumClasses];
  } t{};
  for (int c = 1; c < kNumClasses; ++c) {
    t.c[c].divisible = UINT64_MAX / kSizeClasses[c].size + 1;
    t.c[c].end = uint32_t{kSizeClasses[c].objects} * kSizeClasses[c].size;
    t.c[c].size = kSizeClasses[c].size;
  }
  return t;
}();
inline bool is_object_start(uint32_t off, uint32_t c) {
  const ObjectStartCheck &k = kObjectStartChecks.c[c];
  return off * k.divisible < k.divisible && off < k.end;
}

}  // namespace hpmm
