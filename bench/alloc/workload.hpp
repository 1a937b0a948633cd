// bench/alloc/workload.hpp: what every allocator workload in bench/alloc/ shares.
//
// The workloads are plain programs: they call malloc/free/realloc/new/delete and are linked to no
// hpmm library, so the allocator under test is whatever LD_PRELOAD names (scripts/bench-alloc.sh).
// Each one checks its own results and exits 1 with a message on stderr when a block's contents
// are wrong, so a broken allocator fails instead of winning; on success it prints nothing.
//
// Block stamps.  stamp(p, n, key) writes words derived from key at offset 0, at offset n - 8
// (when n >= 16) and one word in every 4 KiB page between them, so a block is touched on every
// page it spans (as a program that uses its memory does) without the benchmark turning into a
// memset benchmark.  intact(p, n, key) holds iff those words still read back; a block handed out
// twice, or overlapping another live block at its ends, fails it.
//
// Arguments: every workload accepts an optional positive SCALE (default 1) that multiplies its
// operation count (never its live-set size), so a short run for valgrind or a smoke test is
// `prog 0.05`.  ALLOC_BENCH_REPORT=FILE makes steady_heap write its hugepage figures to FILE.
#pragma once

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace allocbench {

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

[[noreturn]] inline void fail(const char *workload, const char *fmt, ...) {
  std::fprintf(stderr, "%s: FAILED: ", workload);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::exit(1);
}

// Parses the optional SCALE argument; a bad one is an error that names it.
inline double scale_arg(const char *workload, int argc, char **argv) {
  if (argc < 2) return 1.0;
  char *end = nullptr;
  errno = 0;
  double s = std::strtod(argv[1], &end);
  if (argc > 2 || errno != 0 || end == argv[1] || *end != '\0' || !(s > 0.0) || s > 1000.0)
    fail(workload, "usage: %s [SCALE]; SCALE must be a number in (0, 1000], got '%s'", workload,
         argv[1]);
  return s;
}

inline uint64_t scaled(uint64_t ops, double scale) {
  uint64_t n = static_cast<uint64_t>(static_cast<double>(ops) * scale);
  return n == 0 ? 1 : n;
}

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

// Allocation that must succeed: a workload cannot go on without its block.
inline void *must_malloc(const char *workload, size_t n) {
  void *p = std::malloc(n);
  if (p == nullptr) fail(workload, "malloc(%zu) returned NULL", n);
  return p;
}

}  // namespace allocbench
