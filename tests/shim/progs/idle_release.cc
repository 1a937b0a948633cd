// tests/shim/progs/idle_release.cc: free hugepages are kept for the release delay, then given
// back on the next allocator call (hpmm(3), "Hugepages": there is no background release thread).
//
// usage: idle_release DELAY_MS   (run with HPMM_RELEASE_DELAY_MS=DELAY_MS)
//
// Allocates 64 MiB of 64 KiB blocks and writes them, frees them all, and checks that the memory
// is still resident right after (not given back before the delay), sleeps DELAY_MS + 300 ms
// without calling the allocator, makes one malloc/free, and checks that at least 48 MiB went back.
// Resident = Rss + Private_Hugetlb from /proc/self/smaps_rollup (hugetlb pages are not in Rss).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "prog.hpp"

namespace {
constexpr size_t kBlock = 64 * 1024;
constexpr size_t kBlocks = 1024;  // 64 MiB
constexpr uint64_t kMiB = 1024;   // in KiB

uint64_t resident_kib() {
  FILE *f = std::fopen("/proc/self/smaps_rollup", "r");
  PROG_CHECK(f != nullptr, "cannot open /proc/self/smaps_rollup");
  char line[256];
  unsigned long long v, total = 0;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::sscanf(line, "Rss: %llu", &v) == 1 ||
        std::sscanf(line, "Private_Hugetlb: %llu", &v) == 1)
      total += v;
  std::fclose(f);
  return total;
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "idle_release";
  PROG_CHECK(argc == 2, "usage: idle_release DELAY_MS");
  const long delay_ms = std::atol(argv[1]);
  PROG_CHECK(delay_ms > 0 && delay_ms <= 10000, "DELAY_MS must be in 1..10000, got '%s'", argv[1]);
  std::vector<void *> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    void *p = malloc(kBlock);
    prog::check_new_block(p, kBlock, "malloc");
    std::memset(p, 0x5a, kBlock);
    blocks.push_back(p);
  }
  const uint64_t full = resident_kib();
  for (void *p : blocks) free(p);
  const uint64_t freed = resident_kib();
  PROG_CHECK(freed + 16 * kMiB > full,
             "resident fell from %llu to %llu KiB at once: released before the delay",
             (unsigned long long)full, (unsigned long long)freed);
  usleep(static_cast<useconds_t>(delay_ms + 300) * 1000);
  void *volatile q = malloc(100000);  // volatile: the compiler may not drop the pair
  free(q);
  const uint64_t after = resident_kib();
  PROG_CHECK(after + 48 * kMiB < full,
             "resident %llu KiB after the delay and one malloc, %llu KiB with the blocks live: "
             "not given back",
             (unsigned long long)after, (unsigned long long)full);
  std::printf("idle_release: ok resident_kib live=%llu freed=%llu after_delay=%llu\n",
              (unsigned long long)full, (unsigned long long)freed, (unsigned long long)after);
  return 0;
}
