// bench/alloc/workload.hpp: what every allocator workload in bench/alloc/ shares.
//
// The workloads are plain programs: they call malloc/free/realloc/new/delete and are linked to no
// hpmm library, so the allocator under test is whatever LD_PRELOAD names (scripts/bench-alloc.sh).
// Each one checks its own results and exits 1 with a message on stderr when a block's contents
// are wrong, so a broken allocator fails instead of winning; on success it prints nothing.
//
// Block stamps: stamp(p, n, key) and intact(p, n, key) from block_pattern.hpp (shared with the
// test programs of tests/shim/progs/) write and check a few words per 4 KiB page of a block, so
// a block is touched on every page it spans without the benchmark turning into a memset
// benchmark.  Most workloads keep a table of StampedBlocks and replace random slots (churn()).
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
#include <vector>

#include "block_pattern.hpp"

namespace allocbench {

using blockpat::get_word;
using blockpat::intact;
using blockpat::put_word;
using blockpat::Rng;
using blockpat::stamp;

[[noreturn]] inline void fail(const char *workload, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  blockpat::vfail(workload, fmt, ap);
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

// Allocation that must succeed: a workload cannot go on without its block.
inline void *must_malloc(const char *workload, size_t n) {
  void *p = std::malloc(n);
  if (p == nullptr) fail(workload, "malloc(%zu) returned NULL", n);
  return p;
}

// A live block and the key it was stamped with.
struct StampedBlock {
  void *p = nullptr;
  size_t size = 0;
  uint64_t key = 0;
};

// Allocates b (size bytes) with alloc(size) and stamps it with the next key.
template <class Alloc>
inline void make_block(const char *workload, StampedBlock &b, size_t size, uint64_t *key,
                       Alloc alloc) {
  b.p = alloc(size);
  if (b.p == nullptr) fail(workload, "allocating %zu bytes returned NULL", size);
  b.size = size;
  b.key = (*key)++;
  stamp(b.p, b.size, b.key);
}

// Fails unless b's stamp is intact.
inline void check_block(const char *workload, const StampedBlock &b) {
  if (!intact(b.p, b.size, b.key))
    fail(workload, "block %llu of %zu bytes was overwritten while live",
         static_cast<unsigned long long>(b.key), b.size);
}

// The slot-table churn most workloads run: fill(slot) every slot, then `steps` times drop(slot)
// and fill(slot) a random one, then drop(slot) every slot.
template <class T, class Fill, class Drop>
void churn(std::vector<T> &slots, uint64_t steps, Rng &rng, Fill fill, Drop drop) {
  for (T &b : slots) fill(b);
  for (uint64_t i = 0; i < steps; i++) {
    T &b = slots[rng.below(slots.size())];
    drop(b);
    fill(b);
  }
  for (T &b : slots) drop(b);
}

}  // namespace allocbench
