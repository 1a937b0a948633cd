// bench/alloc/steady_heap.cc: a heap of about 96 MiB held steady while it churns.
//
// Builds a live heap of 96 MiB (by requested bytes) of mixed sizes -- 70 % of blocks 16..512 B,
// 25 % 512 B..8 KiB, 5 % 8..64 KiB -- writing every byte of every block, as initialised data is.
// Then it churns: each step frees a random block (checking it) and allocates one from the same
// distribution, so the live size stays near 96 MiB.  This is the workload for hugepage
// coverage: a long-lived heap whose pages a hugepage-aware allocator should keep on 2 MiB pages.
//
// When ALLOC_BENCH_REPORT=FILE is set, after the churn (the heap is steady) the program copies
// the fields of /proc/self/smaps_rollup that say where its memory is -- Rss, Anonymous,
// AnonHugePages, Private_Hugetlb, Shared_Hugetlb (kB) -- and live_bytes (the requested bytes
// live at that moment) into FILE as "name value" lines.  Timing runs leave it unset, so the
// measurement never perturbs them (scripts/bench-alloc.sh makes one separate run for it).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "steady_heap";
constexpr size_t kHeapBytes = 96u << 20;

using Block = allocbench::StampedBlock;

size_t pick_size(allocbench::Rng &rng) {
  const uint64_t r = rng.below(100);
  if (r < 70) return rng.range(16, 512);
  if (r < 95) return rng.range(513, 8192);
  return rng.range(8193, 65536);
}

// Fills every byte: the first and last word and per-page words from stamp(), the rest a byte
// pattern, so the block is resident like initialised data.
void fill_block(Block &b) {
  std::memset(b.p, static_cast<int>(b.key & 0xff), b.size);
  allocbench::stamp(b.p, b.size, b.key);
}

void report(const char *path, size_t live_bytes) {
  FILE *in = std::fopen("/proc/self/smaps_rollup", "r");
  if (in == nullptr) allocbench::fail(kName, "cannot open /proc/self/smaps_rollup");
  FILE *out = std::fopen(path, "w");
  if (out == nullptr) allocbench::fail(kName, "cannot write ALLOC_BENCH_REPORT file '%s'", path);
  std::fprintf(out, "live_bytes %zu\n", live_bytes);
  char line[256];
  static const char *const kFields[] = {
      "Rss:", "Anonymous:", "AnonHugePages:", "Private_Hugetlb:", "Shared_Hugetlb:"};
  while (std::fgets(line, sizeof line, in) != nullptr) {
    for (const char *f : kFields) {
      const size_t n = std::strlen(f);
      unsigned long long kb = 0;
      if (std::strncmp(line, f, n) == 0 && std::sscanf(line + n, "%llu", &kb) == 1)
        std::fprintf(out, "%.*s_kB %llu\n", static_cast<int>(n - 1), f, kb);
    }
  }
  std::fclose(in);
  if (std::fclose(out) != 0) allocbench::fail(kName, "cannot write ALLOC_BENCH_REPORT '%s'", path);
}
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(1'500'000, scale_arg(kName, argc, argv));
  Rng rng(8);
  std::vector<Block> blocks;
  size_t live = 0;
  uint64_t key = 0;
  auto make = [&](Block &b) {
    b.size = pick_size(rng);
    b.p = must_malloc(kName, b.size);
    b.key = key++;
    fill_block(b);
    live += b.size;
  };
  auto drop = [&](Block &b) {
    check_block(kName, b);
    std::free(b.p);
    live -= b.size;
  };
  while (live < kHeapBytes) {
    blocks.emplace_back();
    make(blocks.back());
  }
  for (uint64_t i = 0; i < steps; i++) {
    Block &b = blocks[rng.below(blocks.size())];
    drop(b);
    make(b);
  }
  if (const char *path = std::getenv("ALLOC_BENCH_REPORT")) report(path, live);
  for (Block &b : blocks) drop(b);
  if (live != 0) fail(kName, "%zu bytes still counted live after freeing every block", live);
  return 0;
}
