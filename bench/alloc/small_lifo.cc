// bench/alloc/small_lifo.cc: single thread, small blocks (8..256 B), freed in LIFO order.
//
// Each round allocates a batch of 1..2048 blocks of random sizes and frees them newest first,
// the pattern of a recursive parser or a request's scratch objects.  This is the thread cache's
// best case: the block just freed is the next one handed out.  Every block is stamped on
// allocation and checked before it is freed (workload.hpp).
#include <cstdlib>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "small_lifo";
constexpr size_t kMaxBatch = 2048;

struct Block {
  void *p;
  uint32_t size;
};
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t total = scaled(24'000'000, scale_arg(kName, argc, argv));
  Rng rng(1);
  std::vector<Block> stack(kMaxBatch);
  uint64_t done = 0, key = 0;
  while (done < total) {
    const size_t batch = static_cast<size_t>(rng.range(1, kMaxBatch));
    const uint64_t first = key;
    for (size_t i = 0; i < batch; i++) {
      const uint32_t size = static_cast<uint32_t>(rng.range(8, 256));
      void *p = must_malloc(kName, size);
      stamp(p, size, key++);
      stack[i] = {p, size};
    }
    for (size_t i = batch; i-- > 0;) {
      if (!intact(stack[i].p, stack[i].size, first + i))
        fail(kName, "block %zu of %zu bytes was overwritten while live", i, (size_t)stack[i].size);
      std::free(stack[i].p);
    }
    done += batch;
  }
  if (key != done)
    fail(kName, "allocated %llu blocks, freed %llu", (unsigned long long)key,
         (unsigned long long)done);
  return 0;
}
