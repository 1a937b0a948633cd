// tests/shim/progs/prog.hpp: what the helper programs of the preloaded-malloc suite share.
//
// The helper programs are plain -O2 programs, linked to no hpmm library; tests/shim/*.cc runs
// them with the malloc under test preloaded and checks their exit status and output.  On
// success a program prints one line "NAME: ok ..." with its counts; on the first wrong result it
// prints "NAME: FAILED: what" to stderr and exits 1.
//
// Block patterns.  fill(p, n) writes byte i of a block as pattern_byte(seed(p, n), i), a function
// of the block's address and size; verify(p, n, seed) re-derives every byte.  So a block that
// was handed out twice, overlaps another live block, or was moved by realloc without its
// contents, fails verify with the offset of the first wrong byte.  Blocks above kFullFill bytes
// are patterned in part (patterned_ranges), enough to catch overlap without making the test a
// memset benchmark.
#pragma once

#include <malloc.h>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace prog {

inline const char *g_name = "prog";

[[noreturn]] inline void fail(const char *fmt, ...) {
  std::fprintf(stderr, "%s: FAILED: ", g_name);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::_Exit(1);
}

#define PROG_CHECK(cond, ...)               \
  do {                                      \
    if (!(cond)) ::prog::fail(__VA_ARGS__); \
  } while (0)

struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((__uint128_t)next() * n >> 64); }
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
};

inline uint64_t seed_of(const void *p, size_t n) {
  uint64_t z = reinterpret_cast<uintptr_t>(p) * 0x9e3779b97f4a7c15ULL ^ (n * 0xc2b2ae3d27d4eb4fULL);
  return z ^ (z >> 31);
}

inline unsigned char pattern_byte(uint64_t seed, size_t i) {
  return static_cast<unsigned char>(seed + i * 0x9d + (i >> 8) * 0x3b);
}

constexpr size_t kFullFill = 1024;
constexpr size_t kStep = 512;

// Calls f(begin, end) for each byte range of a block of n bytes that carries the pattern: all of
// it up to kFullFill bytes; above, the first and last kStep bytes and 32 bytes every kStep bytes
// (so every 4 KiB page of a large block is written and checked).
template <class F>
void patterned_ranges(size_t n, F f) {
  if (n <= kFullFill) {
    f(size_t{0}, n);
    return;
  }
  f(size_t{0}, kStep);
  for (size_t off = kStep; off + kStep < n - kStep; off += kStep) f(off, off + 32);
  f(n - kStep, n);
}

inline void fill_with(void *p, size_t n, uint64_t seed) {
  auto *b = static_cast<unsigned char *>(p);
  patterned_ranges(n, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) b[i] = pattern_byte(seed, i);
  });
}

inline void fill(void *p, size_t n) {
  fill_with(p, n, seed_of(p, n));
}

// The first bad offset in [0, limit), or SIZE_MAX when the pattern holds there.
inline size_t first_bad(const void *p, size_t n, uint64_t seed, size_t limit) {
  const auto *b = static_cast<const unsigned char *>(p);
  size_t bad = SIZE_MAX;
  patterned_ranges(n, [&](size_t lo, size_t hi) {
    if (hi > limit) hi = limit;
    for (size_t i = lo; i < hi && bad == SIZE_MAX; i++)
      if (b[i] != pattern_byte(seed, i)) bad = i;
  });
  return bad;
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
