// tests/shim/progs/thread_churn.cc: threads that exit with live thread caches, hundreds of times.
//
// usage: thread_churn [ROUNDS]   (default 300 rounds of 2 threads)
//
// Each round starts two threads.  Each allocates 1 500 blocks (1 B .. 1 KiB, 2 % to 32 KiB),
// fills them with the address pattern, frees all but 64 of them (so its thread cache is full of
// free blocks when it exits) and returns the 64 to the main thread, which checks and frees them
// after the join: frees of blocks whose allocating thread is gone.  A malloc that loses a dead
// thread's cache, or never reuses it, grows by what the caches held each round; the resident size
// after the last round must be within kMaxGrowthKib of the size after round kWarmup (checked,
// from VmRSS).  Every block's pattern is checked before every free.
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "prog.hpp"

namespace {
constexpr int kWarmup = 30;
constexpr uint64_t kMaxGrowthKib = 24 * 1024;
constexpr size_t kBlocks = 1500, kKept = 64;

struct Block {
  void *p;
  size_t n;
};

uint64_t rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  prog::fail("no VmRSS in /proc/self/status");
}

void work(uint64_t seed, std::vector<Block> &kept, uint64_t &bytes) {
  prog::Rng rng(seed);
  std::vector<Block> mine;
  mine.reserve(kBlocks);
  for (size_t i = 0; i < kBlocks; i++) {
    const size_t n = rng.below(50) == 0 ? rng.range(1025, 32 * 1024) : rng.range(1, 1024);
    void *p = std::malloc(n);
    prog::check_new_block(p, n, "malloc");
    prog::fill(p, n);
    bytes += n;
    mine.push_back({p, n});
  }
  for (size_t i = 0; i < kBlocks; i++) {
    if (i % (kBlocks / kKept) == 0 && kept.size() < kKept) {
      kept.push_back(mine[i]);
      continue;
    }
    prog::verify(mine[i].p, mine[i].n, "local free");
    std::free(mine[i].p);
  }
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "thread_churn";
  const long rounds = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 300;
  PROG_CHECK(rounds > kWarmup && rounds <= 100000, "usage: thread_churn [ROUNDS > %d]", kWarmup);
  uint64_t warm_rss = 0, bytes[2] = {0, 0}, threads = 0;
  for (long r = 0; r < rounds; r++) {
    std::vector<Block> kept[2];
    std::thread a(work, 2 * r, std::ref(kept[0]), std::ref(bytes[0]));
    std::thread b(work, 2 * r + 1, std::ref(kept[1]), std::ref(bytes[1]));
    a.join();
    b.join();
    threads += 2;
    for (auto &k : kept) {
      PROG_CHECK(k.size() == kKept, "a thread returned %zu blocks, not %zu", k.size(), kKept);
      for (const Block &blk : k) {
        prog::verify(blk.p, blk.n, "free after the allocating thread exited");
        std::free(blk.p);
      }
    }
    if (r == kWarmup) warm_rss = rss_kib();
  }
  const uint64_t end_rss = rss_kib();
  const uint64_t growth = end_rss > warm_rss ? end_rss - warm_rss : 0;
  PROG_CHECK(growth <= kMaxGrowthKib,
             "RSS grew by %llu KiB (from %llu to %llu) over %ld rounds of threads that exit with "
             "live caches; bound %llu KiB",
             (unsigned long long)growth, (unsigned long long)warm_rss, (unsigned long long)end_rss,
             rounds - kWarmup, (unsigned long long)kMaxGrowthKib);
  std::printf("thread_churn: ok threads=%llu allocated_mib=%llu rss_growth_kib=%llu\n",
              (unsigned long long)threads, (unsigned long long)((bytes[0] + bytes[1]) >> 20),
              (unsigned long long)growth);
  return 0;
}
