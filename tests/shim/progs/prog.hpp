// tests/shim/progs/prog.hpp: what the helper programs of the preloaded-malloc suite share.
//
// The helper programs are plain -O2 programs, linked to no hpmm library; tests/shim/*.cc runs
// them with the malloc under test preloaded and checks their exit status and output.  On
// success a program prints one line "NAME: ok ..." with its counts; on the first wrong result it
// prints "NAME: FAILED: what" to stderr and exits 1.
//
// Block patterns (bench/alloc/block_pattern.hpp, shared with the allocator workloads).
// fill(p, n) writes byte i of a block as pattern_byte(seed_of(p, n), i), a function of the
// block's address and size; verify(p, n, what) re-derives every byte.  So a block that was handed
// out twice, overlaps another live block, or was moved by realloc without its contents, fails
// verify with the offset of the first wrong byte.  Blocks above kFullFill bytes are patterned in
// part (patterned_ranges), enough to catch overlap without making the test a memset benchmark.
#pragma once

#include <malloc.h>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench/alloc/block_pattern.hpp"

namespace prog {

inline const char *g_name = "prog";

[[noreturn]] inline void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  blockpat::vfail(g_name, fmt, ap);
}

#define PROG_CHECK(cond, ...)               \
  do {                                      \
    if (!(cond)) ::prog::fail(__VA_ARGS__); \
  } while (0)

using blockpat::fill_with;
using blockpat::first_bad;
using blockpat::pattern_byte;
using blockpat::Rng;
using blockpat::seed_of;

inline void fill(void *p, size_t n) {
  fill_with(p, n, seed_of(p, n));
}

inline void verify(const void *p, size_t n, const char *what) {
  size_t bad = first_bad(p, n, seed_of(p, n), n);
  PROG_CHECK(bad == SIZE_MAX, "%s: block %p of %zu bytes has a wrong byte at offset %zu", what, p,
             n, bad);
}

// Alignment malloc must give a block of n bytes: alignof(max_align_t), or the largest power of
// two <= n for smaller blocks (an object of n bytes needs no more).
inline size_t min_align(size_t n) {
  size_t a = alignof(std::max_align_t);
  while (a > 1 && a > n) a >>= 1;
  return a;
}

inline void check_new_block(void *p, size_t n, const char *what) {
  PROG_CHECK(p != nullptr, "%s(%zu) returned NULL", what, n);
  PROG_CHECK(reinterpret_cast<uintptr_t>(p) % min_align(n) == 0,
             "%s(%zu) returned %p, not aligned to %zu", what, n, p, min_align(n));
  PROG_CHECK(malloc_usable_size(p) >= n, "%s(%zu): malloc_usable_size is %zu", what, n,
             malloc_usable_size(p));
}

}  // namespace prog
