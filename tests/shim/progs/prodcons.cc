// tests/shim/progs/prodcons.cc: blocks allocated by one thread and freed by another.
//
// usage: prodcons [PAIRS [BLOCKS_PER_PAIR]]   (default 2 pairs x 100 000 blocks)
//
// Each producer allocates blocks (90 % 1 B .. 4 KiB, 9.5 % up to 64 KiB, 0.5 % up to 1 MiB), fills
// them with the address pattern (prog.hpp) and passes them to its consumer in batches of 64 through
// a bounded queue (at most 16 batches in flight); the consumer checks each block and frees it in an
// order shuffled within the batch.  So every free is a remote free, and the memory those frees
// return must be reused: at most 16 x 64 blocks are ever in flight per pair, so the peak RSS
// (VmHWM) must stay under a bound far below the total allocated (checked; a malloc that never
// reuses remotely freed memory exceeds it by an order of magnitude).
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "prog.hpp"

namespace {
constexpr size_t kBatch = 64, kMaxInFlight = 16;
constexpr uint64_t kMaxHwmKib = 256 * 1024;

struct Block {
  void *p;
  size_t n;
};

struct Channel {
  std::mutex mu;  // guards batches, closed
  std::condition_variable cv;
  std::deque<std::vector<Block>> batches;
  bool closed = false;
};

uint64_t status_kib(const char *field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(std::strlen(field)));
  prog::fail("no %s in /proc/self/status", field);
}

void produce(Channel &ch, uint64_t blocks, uint64_t seed, uint64_t &bytes) {
  prog::Rng rng(seed);
  for (uint64_t made = 0; made < blocks;) {
    std::vector<Block> batch;
    for (size_t i = 0; i < kBatch && made < blocks; i++, made++) {
      const uint64_t r = rng.below(1000);
      const size_t n = r < 5     ? rng.range(64 * 1024, 1024 * 1024)
                       : r < 100 ? rng.range(4096, 64 * 1024)
                                 : rng.range(1, 4096);
      void *p = std::malloc(n);
      prog::check_new_block(p, n, "malloc");
      prog::fill(p, n);
      bytes += n;
      batch.push_back({p, n});
    }
    std::unique_lock lock(ch.mu);
    ch.cv.wait(lock, [&] { return ch.batches.size() < kMaxInFlight; });
    ch.batches.push_back(std::move(batch));
    ch.cv.notify_all();
  }
  std::lock_guard lock(ch.mu);
  ch.closed = true;
  ch.cv.notify_all();
}

void consume(Channel &ch, uint64_t seed, uint64_t &freed) {
  prog::Rng rng(seed);
  for (;;) {
    std::vector<Block> batch;
    {
      std::unique_lock lock(ch.mu);
      ch.cv.wait(lock, [&] { return !ch.batches.empty() || ch.closed; });
      if (ch.batches.empty()) return;
      batch = std::move(ch.batches.front());
      ch.batches.pop_front();
      ch.cv.notify_all();
    }
    for (size_t i = batch.size(); i > 1; i--) std::swap(batch[i - 1], batch[rng.below(i)]);
    for (const Block &b : batch) {
      prog::verify(b.p, b.n, "remote free");
      std::free(b.p);
      freed++;
    }
  }
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "prodcons";
  const uint64_t pairs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2;
  const uint64_t blocks = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100'000;
  PROG_CHECK(pairs >= 1 && pairs <= 16 && blocks >= 1, "usage: prodcons [PAIRS 1..16 [BLOCKS]]");
  std::vector<Channel> chans(pairs);
  std::vector<uint64_t> bytes(pairs, 0), freed(pairs, 0);
  std::vector<std::thread> ts;
  for (uint64_t i = 0; i < pairs; i++) {
    ts.emplace_back(produce, std::ref(chans[i]), blocks, 10 + i, std::ref(bytes[i]));
    ts.emplace_back(consume, std::ref(chans[i]), 20 + i, std::ref(freed[i]));
  }
  for (std::thread &t : ts) t.join();
  uint64_t total_bytes = 0, total_freed = 0;
  for (uint64_t i = 0; i < pairs; i++) total_bytes += bytes[i], total_freed += freed[i];
  PROG_CHECK(total_freed == pairs * blocks, "%llu blocks made, %llu freed",
             (unsigned long long)(pairs * blocks), (unsigned long long)total_freed);
  const uint64_t hwm = status_kib("VmHWM:");
  PROG_CHECK(hwm < kMaxHwmKib,
             "peak RSS %llu KiB for at most %zu blocks in flight (%llu MiB allocated in all): "
             "remotely freed memory is not reused",
             (unsigned long long)hwm, pairs * kBatch * kMaxInFlight,
             (unsigned long long)(total_bytes >> 20));
  std::printf("prodcons: ok pairs=%llu blocks=%llu allocated_mib=%llu\n", (unsigned long long)pairs,
              (unsigned long long)(pairs * blocks), (unsigned long long)(total_bytes >> 20));
  return 0;
}
