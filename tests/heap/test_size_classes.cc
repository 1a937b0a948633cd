// tests/heap/test_size_classes.cc: the checked-in table equals a fresh derivation, and every bound
// heap/size_class_gen.hpp states holds, checked here from first principles.
#include <criterion/criterion.h>

#include "heap/size_class_gen.hpp"
#include "heap/size_classes.hpp"

using namespace hpmm;

Test(size_classes, table_matches_derivation) {
  constexpr gen::GenResult r = gen::derive_size_classes();
  cr_assert_eq(r.count, kNumClasses);
  for (int c = 0; c < kNumClasses; ++c) {
    const SizeClassInfo &k = kSizeClasses[c];
    cr_assert_eq(k.size, r.cls[c].size, "class %d", c);
    cr_assert_eq(k.pages, r.cls[c].pages, "class %d", c);
    if (c == 0) continue;
    cr_assert_eq(k.objects, k.pages * kPageSize / k.size, "class %d", c);
    cr_assert_eq(k.magic, gen::gen_magic(k.size), "class %d", c);
    cr_assert_eq(k.batch, gen::gen_batch(k.size), "class %d", c);
  }
}

Test(size_classes, sizes_aligned_increasing_and_span_the_range) {
  cr_assert_eq(kSizeClasses[1].size, 8u);
  cr_assert_eq(kSizeClasses[kNumClasses - 1].size, kMaxSmallSize);
  for (int c = 2; c < kNumClasses; ++c) {
    cr_assert_gt(kSizeClasses[c].size, kSizeClasses[c - 1].size);
    cr_assert_eq(kSizeClasses[c].size % 16, 0u, "class %d is not 16-aligned", c);
    cr_assert_geq(kSizeClasses[c].objects, 1u);
  }
}

Test(size_classes, tail_waste_at_most_one_eighth) {
  for (int c = 1; c < kNumClasses; ++c) {
    size_t bytes = class_span_bytes(c);
    size_t tail = bytes - size_t{kSizeClasses[c].objects} * kSizeClasses[c].size;
    cr_assert_leq(tail * 8, bytes, "class %d (%u B): tail %zu of %zu", c, kSizeClasses[c].size,
                  tail, bytes);
  }
}

// The stepping before merging, re-derived independently: the smallest step size >= r.
static uint32_t step_size(uint32_t r) {
  if (r <= 8) return 8;
  uint32_t t = 16, align = 16;
  while (t < r) {
    if (t >= 2048 && (t & (t - 1)) == 0)
      align = 256;
    else if (t >= 128 && t < 2048 && (t & (t - 1)) == 0)
      align = t / 8;
    t += align;
  }
  return t;
}

Test(size_classes, rounding_waste_bounded_for_every_request) {
  for (uint32_t r = 1; r <= kMaxSmallSize; ++r) {
    uint32_t c = size_class_of(r);
    const SizeClassInfo &k = kSizeClasses[c];
    cr_assert_geq(k.size, r, "request %u", r);
    cr_assert(c == 1 || kSizeClasses[c - 1].size < r, "request %u: class %u is not the smallest", r,
              c);
    uint32_t t = step_size(r);
    if (r > 128) {
      cr_assert_leq((t - r) * 8, t, "request %u: step %u wastes more than 1/8", r, t);
    } else {
      cr_assert_lt(t - r, 16u, "request %u", r);
    }
    // The class serving r costs exactly what a class of size t would: merging is free.
    cr_assert_eq(k.objects, class_span_bytes(c) / t, "request %u (step %u, class %u)", r, t, c);
  }
  cr_assert_eq(size_class_of(0), 1u);
}

Test(size_classes, magic_division_exact_for_every_offset) {
  for (int c = 1; c < kNumClasses; ++c) {
    uint32_t bytes = static_cast<uint32_t>(class_span_bytes(c)), s = kSizeClasses[c].size;
    for (uint32_t off = 0; off < bytes; ++off) {
      if (object_index(off, c) != off / s) cr_assert_fail("class %d offset %u", c, off);
    }
    uint32_t last = kSizeClasses[c].objects - 1u;
    uint32_t got = object_index(last * s, c);
    cr_assert_eq(got, last, "class %d", c);
  }
}

Test(size_classes, object_start_check_exact_for_every_offset) {
  for (int c = 1; c < kNumClasses; ++c) {
    uint32_t bytes = static_cast<uint32_t>(class_span_bytes(c)), s = kSizeClasses[c].size;
    for (uint32_t off = 0; off < bytes; ++off) {
      bool want = off % s == 0 && off / s < kSizeClasses[c].objects;
      if (is_object_start(off, c) != want) cr_assert_fail("class %d offset %u", c, off);
    }
    // Past the span (pages it does not have, up to kMaxSpanPages) nothing is an object start.
    for (uint32_t off = bytes; off < kMaxSpanPages * kPageSize; off += kPageSize / 4)
      cr_assert_not(is_object_start(off, c), "class %d offset %u past the span", c, off);
    cr_assert_not(is_object_start(kMaxSpanPages * kPageSize, c), "class %d", c);
  }
}
