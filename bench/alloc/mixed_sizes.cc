// bench/alloc/mixed_sizes.cc: single thread, mixed sizes 8 B .. 32 KiB and a few larger ones.
//
// A table of 4 000 slots is kept full; each step replaces the block in a random slot.  Sizes are
// log-uniform over 8 B .. 32 KiB (every size-class band about equally often) and 2 % of blocks
// are 32 KiB .. 512 KiB, past the small-object limit of a Go/TCMalloc-style allocator.  Half the
// blocks come from operator new and go back through sized operator delete (what C++ code
// compiled with -fsized-deallocation calls), half from malloc/free.
#include <cstdlib>
#include <new>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "mixed_sizes";
constexpr size_t kSlots = 4'000;

struct Block {
  void *p = nullptr;
  size_t size = 0;
  uint64_t key = 0;
  bool from_new = false;
};
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(3'000'000, scale_arg(kName, argc, argv));
  Rng rng(3);
  std::vector<Block> slots(kSlots);
  uint64_t key = 0;
  auto fill = [&](Block &b) {
    b.size =
        rng.below(100) < 2 ? rng.log_range(32 * 1024 + 1, 512 * 1024) : rng.log_range(8, 32 * 1024);
    b.from_new = rng.below(2) == 0;
    b.p = b.from_new ? ::operator new(b.size) : must_malloc(kName, b.size);
    b.key = key++;
    stamp(b.p, b.size, b.key);
  };
  auto drop = [&](Block &b) {
    if (!intact(b.p, b.size, b.key))
      fail(kName, "block %llu of %zu bytes was overwritten while live", (unsigned long long)b.key,
           b.size);
    if (b.from_new)
      ::operator delete(b.p, b.size);
    else
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
