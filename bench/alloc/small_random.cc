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
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(7'000'000, scale_arg(kName, argc, argv));
  Rng rng(2);
  std::vector<StampedBlock> slots(kSlots);
  uint64_t key = 0;
  churn(
      slots, steps, rng,
      [&](StampedBlock &b) { make_block(kName, b, rng.range(8, 256), &key, std::malloc); },
      [&](StampedBlock &b) {
        check_block(kName, b);
        std::free(b.p);
      });
  return 0;
}
