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

struct Slot {
  allocbench::StampedBlock b;
  bool from_new = false;
};
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(3'000'000, scale_arg(kName, argc, argv));
  Rng rng(3);
  std::vector<Slot> slots(kSlots);
  uint64_t key = 0;
  churn(
      slots, steps, rng,
      [&](Slot &s) {
        size_t size = rng.below(100) < 2 ? rng.log_range(32 * 1024 + 1, 512 * 1024)
                                         : rng.log_range(8, 32 * 1024);
        s.from_new = rng.below(2) == 0;
        if (s.from_new) {
          make_block(kName, s.b, size, &key, [](size_t n) { return ::operator new(n); });
        } else {
          make_block(kName, s.b, size, &key, std::malloc);
        }
      },
      [&](Slot &s) {
        check_block(kName, s.b);
        if (s.from_new) {
          ::operator delete(s.b.p, s.b.size);
        } else {
          std::free(s.b.p);
        }
      });
  return 0;
}
