// heap/size_class_gen.hpp: how the size classes are derived.  The generator
// (heap/tools/gen_size_classes.cc, `make size-classes`) prints the result into
// heap/size_class_table.inc; tests/heap re-derives it with this code and compares, and checks the
// bounds below independently.  Not used at run time.
//
// Derivation (Go's mksizeclasses.go, adapted to malloc's 16-byte alignment):
//   - class 0 is "no class" (large objects); class 1 is 8 bytes (the only 8-aligned class);
//   - then sizes step by `align`: 16 up to 128, size/8 from 128 to 2048 (16, 32, 64, 128), and
//     256 above 2048 (finer than size/8);
//   - each class takes the fewest 8 KiB pages P with a tail (P * 8192) mod size <= P * 8192 / 8
//     (Go's rule), except sizes in (4 KiB, 6 KiB] -- a page plus a header, the records of page
//     caches -- which take the fewest P <= 16 with a tail <= 1/32 where there is one.  A class's
//     memory beyond its objects is about tail * live + span / 2 (its last, partly used span), so
//     the tighter tail pays only for a class with many live objects: sqlite's page cache (4.1-5.9
//     KiB blocks) needs 12% more memory than glibc with Go's rule there, 10% with 1/32 (the
//     1/32 rule for every class made the spans of big classes 5-14 pages: in THP mode every page
//     of a span is resident, and such spans, partly used, cost mixed_sizes 4.2 MiB and
//     steady_heap 4.2 MiB of peak RSS, measured against this rule);
//   - a size replaces its predecessor (Go's merge) when both take the same pages and fit the same
//     number of objects: a span of the merged class holds as many objects as one of the smaller
//     size would, so the merge costs no memory and saves a class.
// Bounds (checked by the test for every class c > 0, s = size, B = span bytes, N = B / s):
//   tail waste     B - N * s <= B / 8
//   rounding waste for every request r > 128: the step size t(r) (the smallest size >= r of the
//                  stepping above, before merging) has t(r) - r <= t(r) / 8, and r's class spends
//                  exactly the memory t(r) would: same pages, N == B / t(r).  At or below 128
//                  bytes the 16-byte alignment quantum bounds it instead (t(r) - r < 16).
//   magic division (off * magic) >> 32 == off / s for every off < B, magic = 2^32 / s + 1
//   batch          objects moved between a thread cache and a central list at once:
//                  clamp(64 KiB / s, 2, 64)
#pragma once

#include <cstdint>

namespace hpmm::gen {

inline constexpr uint32_t kGenPageSize = 8192;
inline constexpr uint32_t kGenMaxSmall = 32768;
inline constexpr int kGenMaxClasses = 128;
inline constexpr uint32_t kGenMaxPages = 16;

struct GenClass {
  uint32_t size = 0;   // bytes per object
  uint32_t pages = 0;  // 8 KiB pages per span
};

struct GenResult {
  GenClass cls[kGenMaxClasses] = {};
  int count = 0;  // including class 0
};

constexpr bool gen_pow2(uint32_t x) {
  return x != 0 && (x & (x - 1)) == 0;
}

// Sizes of a 4 KiB page plus a header, (kGenTightLo, kGenTightHi]: spans with a tail <= 1/32.
inline constexpr uint32_t kGenTightLo = 4096;
inline constexpr uint32_t kGenTightHi = 6144;

// Pages per span: Go's rule, the fewest with a tail <= 1/8; for sizes in (kGenTightLo,
// kGenTightHi] the fewest (up to kGenMaxPages) with a tail <= 1/32 where there is such a count.
constexpr uint32_t gen_pages_for(uint32_t size) {
  if (size > kGenTightLo && size <= kGenTightHi) {
    for (uint32_t p = 1; p <= kGenMaxPages; ++p) {
      uint32_t alloc = p * kGenPageSize;
      if (alloc % size <= alloc / 32) return p;
    }
  }
  uint32_t alloc = kGenPageSize;
  while (alloc % size > alloc / 8) alloc += kGenPageSize;
  return alloc / kGenPageSize;
}

constexpr GenResult derive_size_classes() {
  GenResult r;
  r.cls[r.count++] = GenClass{0, 0};
  r.cls[r.count++] = GenClass{8, gen_pages_for(8)};
  uint32_t align = 16;
  for (uint32_t size = 16; size <= kGenMaxSmall; size += align) {
    if (gen_pow2(size)) {
      if (size >= 2048) {
        align = 256;
      } else if (size >= 128) {
        align = size / 8;
      }
    }
    uint32_t pages = gen_pages_for(size);
    GenClass &prev = r.cls[r.count - 1];
    uint32_t bytes = pages * kGenPageSize;
    if (r.count > 2 && pages == prev.pages &&
        bytes / size == (prev.pages * kGenPageSize) / prev.size) {
      prev.size = size;
      continue;
    }
    r.cls[r.count++] = GenClass{size, pages};
  }
  return r;
}

constexpr uint32_t gen_magic(uint32_t size) {
  return UINT32_MAX / size + 1;
}

constexpr uint32_t gen_batch(uint32_t size) {
  uint32_t b = 65536 / size;
  return b < 2 ? 2 : b > 64 ? 64 : b;
}

}  // namespace hpmm::gen
