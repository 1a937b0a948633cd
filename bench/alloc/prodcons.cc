// bench/alloc/prodcons.cc: one thread allocates, another frees (cross-thread frees).
//
// The producer allocates blocks (90 % 16..512 B, 10 % 512 B..8 KiB), stamps each with its
// sequence number and hands them over in batches of 256 through a bounded queue (at most 32
// batches in flight); the consumer checks every block and frees it.  Every free is remote: the
// freeing thread never allocated the block, the case a thread-caching allocator must route back
// to its owner (or to a central list) without a lock per object.  Batches and a condition
// variable rather than a spinning ring, so the figure does not depend on both threads owning a
// core (the machine may be shared).  Checks: blocks arrive in order, intact, all of them.
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "prodcons";
constexpr size_t kBatch = 256;
constexpr size_t kMaxBatchesInFlight = 32;

struct Block {
  void *p;
  uint32_t size;
};
using Batch = std::vector<Block>;

struct Queue {
  std::mutex mu;  // guards batches and closed
  std::condition_variable not_empty, not_full;
  std::deque<Batch> batches;
  bool closed = false;

  void push(Batch b) {
    std::unique_lock lock(mu);
    not_full.wait(lock, [&] { return batches.size() < kMaxBatchesInFlight; });
    batches.push_back(std::move(b));
    not_empty.notify_one();
  }
  void close() {
    std::lock_guard lock(mu);
    closed = true;
    not_empty.notify_one();
  }
  // False once the queue is closed and drained.
  bool pop(Batch &out) {
    std::unique_lock lock(mu);
    not_empty.wait(lock, [&] { return !batches.empty() || closed; });
    if (batches.empty()) return false;
    out = std::move(batches.front());
    batches.pop_front();
    not_full.notify_one();
    return true;
  }
};
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t total = scaled(8'000'000, scale_arg(kName, argc, argv)) / kBatch * kBatch + kBatch;
  Queue q;
  std::thread producer([&] {
    Rng rng(5);
    uint64_t key = 0;
    while (key < total) {
      Batch b;
      b.reserve(kBatch);
      for (size_t i = 0; i < kBatch; i++) {
        const uint32_t size =
            static_cast<uint32_t>(rng.below(10) == 0 ? rng.range(513, 8192) : rng.range(16, 512));
        void *p = must_malloc(kName, size);
        stamp(p, size, key++);
        b.push_back({p, size});
      }
      q.push(std::move(b));
    }
    q.close();
  });
  uint64_t expect = 0;
  Batch b;
  while (q.pop(b)) {
    for (const Block &blk : b) {
      if (!intact(blk.p, blk.size, expect))
        fail(kName, "block %llu of %u bytes arrived overwritten", (unsigned long long)expect,
             blk.size);
      std::free(blk.p);
      expect++;
    }
  }
  producer.join();
  if (expect != total)
    fail(kName, "consumer freed %llu blocks, producer made %llu", (unsigned long long)expect,
         (unsigned long long)total);
  return 0;
}
