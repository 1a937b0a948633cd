// bench/alloc/small_random.cc: single thread, small blocks (8..256 B), freed in random order.
//
// A table of 200 000 slots (about 26 MiB live) is filled, then each step picks a random slot,
// checks and frees its block and puts a new block of a random size there.  Frees land all over
// the heap, so spans fill and drain unevenly: this measures the allocator's free path away
// from its thread cache's top and the fragmentation it tolerates (peak RSS).
#include <cstdlib>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "small_random";
constexpr size_t kSlots = 200'000;

struct Block {
  void *p;
  uint32_t size;
  uint64_t key;
};
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(7'000'000, scale_arg(kName, argc, argv));
  Rng rng(2);
  std::vector<Block> slots(kSlots);
  uint64_t key = 0;
  auto fill = [&](Block &b) {
    b.size = static_cast<uint32_t>(rng.range(8, 256));
    b.p = must_malloc(kName, b.size);
    b.key = key++;
    stamp(b.p, b.size, b.key);
  };
  auto drop = [&](Block &b) {
    if (!intact(b.p, b.size, b.key))
      fail(kName, "block %llu of %u bytes was overwritten while live", (unsigned long long)b.key,
           b.size);
    std::free(b.p);
  };
  for (Block &b : slots) fill(b);
  for (uint64_t i = 0; i < steps; i++) {
    Block &b = slots[rng.below(kSlots)];
    drop(b);
    fill(b);
  }
  for (Block &b : slots) drop(b);
  return 0;
}
