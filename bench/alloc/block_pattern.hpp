// bench/alloc/block_pattern.hpp: what the programs that check a malloc from outside share -- the
// allocator workloads (bench/alloc/workload.hpp) and the helper programs of the preloaded-malloc
// suite (tests/shim/progs/prog.hpp): a small RNG, the failure report, and two ways to mark a block
// so that a block handed out twice, overlapping another live block, or not copied by realloc is
// caught.  Header only, no allocation of its own; plain C++ (the programs link no hpmm library).
//
// Sparse stamps (workloads: cheap enough not to turn a benchmark into a memset benchmark):
//   stamp(p, n, key) writes words derived from key at offset 0, at n - 8 (n >= 16) and one word
//   in every 4 KiB page between them, so the block is touched on every page it spans;
//   intact(p, n, key) holds iff those words read back.
// Byte patterns (tests: every wrong byte is found, with its offset):
//   fill_with(p, n, seed) writes byte i as pattern_byte(seed, i) over patterned_ranges(n) -- the
//   whole block up to kFullFill bytes, above that the first and last kStep bytes and 32 bytes every
//   kStep -- and first_bad(p, n, seed, limit) re-derives them.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace blockpat {

// splitmix64: tiny, fast, and good enough that sizes and slots do not correlate.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; the tiny bias is irrelevant here).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((__uint128_t)next() * n >> 64); }
  // Uniform in [lo, hi].
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  // Log-uniform in [lo, hi]: a power-of-two band chosen uniformly, then uniform inside it, so
  // every size class range is exercised about as often as the next.
  uint64_t log_range(uint64_t lo, uint64_t hi) {
    int lo_bit = 63 - __builtin_clzll(lo), hi_bit = 63 - __builtin_clzll(hi);
    int band = lo_bit + static_cast<int>(below(static_cast<uint64_t>(hi_bit - lo_bit + 1)));
    uint64_t a = uint64_t{1} << band, b = (a << 1) - 1;
    if (a < lo) a = lo;
    if (b > hi) b = hi;
    return range(a, b);
  }
};

// "NAME: FAILED: message" on stderr, then exit status 1 without running atexit handlers or
// destructors (the heap may be corrupt).
[[noreturn]] inline void vfail(const char *name, const char *fmt, va_list ap) {
  std::fprintf(stderr, "%s: FAILED: ", name);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::_Exit(1);
}

// ---- sparse stamps ----
inline uint64_t mix(uint64_t key, uint64_t salt) {
  uint64_t z = key * 0x9e3779b97f4a7c15ULL + salt;
  return z ^ (z >> 29);
}
inline void put_word(void *p, size_t off, uint64_t v) {
  std::memcpy(static_cast<char *>(p) + off, &v, sizeof v);
}
inline uint64_t get_word(const void *p, size_t off) {
  uint64_t v;
  std::memcpy(&v, static_cast<const char *>(p) + off, sizeof v);
  return v;
}

constexpr size_t kStampPage = 4096;

inline void stamp(void *p, size_t n, uint64_t key) {
  if (n < 8) {
    uint64_t v = mix(key, 0);
    std::memcpy(p, &v, n);
    return;
  }
  put_word(p, 0, mix(key, 0));
  for (size_t off = kStampPage; off + 8 <= n - 8; off += kStampPage) put_word(p, off, key + off);
  if (n >= 16) put_word(p, n - 8, mix(key, n));
}

inline bool intact(const void *p, size_t n, uint64_t key) {
  if (n < 8) {
    uint64_t v = mix(key, 0);
    return std::memcmp(p, &v, n) == 0;
  }
  if (get_word(p, 0) != mix(key, 0)) return false;
  for (size_t off = kStampPage; off + 8 <= n - 8; off += kStampPage)
    if (get_word(p, off) != key + off) return false;
  return n < 16 || get_word(p, n - 8) == mix(key, n);
}

// ---- byte patterns ----
inline uint64_t seed_of(const void *p, size_t n) {
  uint64_t z = reinterpret_cast<uintptr_t>(p) * 0x9e3779b97f4a7c15ULL ^ (n * 0xc2b2ae3d27d4eb4fULL);
  return z ^ (z >> 31);
}

inline unsigned char pattern_byte(uint64_t seed, size_t i) {
  return static_cast<unsigned char>(seed + i * 0x9d + (i >> 8) * 0x3b);
}

constexpr size_t kFullFill = 1024;
constexpr size_t kStep = 512;

// Calls f(begin, end) for each byte range of a block of n bytes that carries the pattern.
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

}  // namespace blockpat
