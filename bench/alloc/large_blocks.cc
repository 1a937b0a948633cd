// bench/alloc/large_blocks.cc: large blocks, 64 KiB .. 4 MiB: allocate, touch, free.
//
// 16 slots are kept full; each step frees the block in a random slot (after checking it) and
// allocates a new one of a log-uniform size in 64 KiB .. 4 MiB, writing one word in each of
// its 4 KiB pages, as a program filling an I/O buffer or a matrix would.  This is the page heap's
// and the OS interface's workload: whether freed large blocks are kept and reused, unmapped and
// faulted in again, or coalesced; page faults dominate when memory goes back to the OS eagerly.
#include <cstdlib>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "large_blocks";
constexpr size_t kSlots = 16;
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(12'000, scale_arg(kName, argc, argv));
  Rng rng(7);
  std::vector<StampedBlock> slots(kSlots);
  uint64_t key = 0;
  churn(
      slots, steps, rng,
      [&](StampedBlock &b) {
        make_block(kName, b, rng.log_range(64 * 1024, 4 * 1024 * 1024), &key, std::malloc);
      },
      [&](StampedBlock &b) {
        check_block(kName, b);
        std::free(b.p);
      });
  return 0;
}
