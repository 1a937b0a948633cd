// bench/alloc/larson.cc: a larson-like server: threads replace random slots of a shared table.
//
// 4 threads share a table of 20 000 slots.  Each step a thread makes a block of a random size
// (16..1024 B, new char[]), stamps it, swaps it into a random slot with an atomic exchange,
// checks the block it took out and deletes it.  The block taken out was usually made by another
// thread, so most frees are remote and blocks migrate between threads' caches, as in a server
// where a request is answered on a different thread than the one that read it (Larson and
// Krishnan, 1998).  Four threads on a two-core machine also exercise preemption inside malloc.
// Each block carries its size and key in its first two words, so the thread that frees it can
// check it.
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "larson";
constexpr size_t kSlots = 20'000;
constexpr int kThreads = 4;

// Layout: word 0 = size, word 1 = key, stamp(key) over bytes [16, size).
char *make(allocbench::Rng &rng, uint64_t key) {
  const size_t size = static_cast<size_t>(rng.range(16, 1024));
  char *p = new char[size];
  allocbench::put_word(p, 0, size);
  allocbench::put_word(p, 8, key);
  allocbench::stamp(p + 16, size - 16, key);
  return p;
}

void check_and_delete(char *p) {
  const uint64_t size = allocbench::get_word(p, 0), key = allocbench::get_word(p, 8);
  if (size < 16 || size > 1024 || !allocbench::intact(p + 16, size - 16, key))
    allocbench::fail(kName, "a block (size word %llu, key %llu) was overwritten while live",
                     (unsigned long long)size, (unsigned long long)key);
  delete[] p;
}
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(2'500'000, scale_arg(kName, argc, argv));
  std::vector<std::atomic<char *>> slots(kSlots);
  {
    Rng rng(6);
    for (size_t i = 0; i < kSlots; i++) slots[i].store(make(rng, i), std::memory_order_relaxed);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Rng rng(100 + static_cast<uint64_t>(t));
      uint64_t key = (static_cast<uint64_t>(t) + 1) << 40;
      for (uint64_t i = 0; i < steps; i++) {
        char *p = make(rng, key++);
        // acq_rel: the taker must see the maker's stamp, and the maker's later writes to a
        // reused address must not be reordered before this exchange.
        char *old = slots[rng.below(kSlots)].exchange(p, std::memory_order_acq_rel);
        check_and_delete(old);
      }
    });
  }
  for (std::thread &t : threads) t.join();
  for (auto &s : slots) check_and_delete(s.load(std::memory_order_relaxed));
  return 0;
}
