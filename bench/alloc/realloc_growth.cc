// bench/alloc/realloc_growth.cc: buffers grown by realloc, as vectors and strings grow.
//
// 1 000 buffers grow at once, interleaved (so the block after a buffer is usually taken and
// realloc cannot always extend in place).  A step appends 1..64 bytes to a random buffer:
// "vector" buffers double their capacity with realloc when full; "string" buffers realloc to
// the exact new length on every append, as naive C string code does.  A buffer that reaches its
// target length (log-uniform 16 B .. 256 KiB, 1 % up to 2 MiB) has every byte checked against
// the pattern it was written with, and is freed and started afresh.  Checks: byte i of buffer k
// is pattern(k, i) after any number of reallocs.
#include <cstdlib>
#include <vector>

#include "workload.hpp"

namespace {
constexpr const char *kName = "realloc_growth";
constexpr size_t kBuffers = 1'000;

struct Buffer {
  unsigned char *p = nullptr;
  size_t len = 0, cap = 0, target = 0;
  uint64_t key = 0;
  bool doubling = false;
};

inline unsigned char pattern(uint64_t key, size_t i) {
  return static_cast<unsigned char>(key * 131 + i * 7 + (i >> 9));
}
}  // namespace

int main(int argc, char **argv) {
  using namespace allocbench;
  const uint64_t steps = scaled(4'500'000, scale_arg(kName, argc, argv));
  Rng rng(4);
  std::vector<Buffer> bufs(kBuffers);
  uint64_t key = 0;
  auto start = [&](Buffer &b) {
    b.key = key++;
    b.len = 0;
    b.doubling = rng.below(2) == 0;
    b.target = rng.below(100) == 0 ? rng.log_range(256 * 1024, 2 * 1024 * 1024)
                                   : rng.log_range(16, 256 * 1024);
    b.cap = b.doubling ? 16 : 1;
    b.p = static_cast<unsigned char *>(must_malloc(kName, b.cap));
  };
  auto finish = [&](Buffer &b) {
    for (size_t i = 0; i < b.len; i++)
      if (b.p[i] != pattern(b.key, i))
        fail(kName, "buffer %llu lost byte %zu of %zu after realloc", (unsigned long long)b.key, i,
             b.len);
    std::free(b.p);
  };
  for (Buffer &b : bufs) start(b);
  for (uint64_t s = 0; s < steps; s++) {
    Buffer &b = bufs[rng.below(kBuffers)];
    const size_t add = static_cast<size_t>(rng.range(1, 64));
    const size_t need = b.len + add;
    if (need > b.cap) {
      size_t cap = b.doubling ? b.cap : need;
      while (cap < need) cap *= 2;
      void *q = std::realloc(b.p, cap);
      if (q == nullptr) fail(kName, "realloc(%zu) returned NULL", cap);
      b.p = static_cast<unsigned char *>(q);
      b.cap = cap;
    }
    for (size_t i = b.len; i < need; i++) b.p[i] = pattern(b.key, i);
    b.len = need;
    if (b.len >= b.target) {
      finish(b);
      start(b);
    }
  }
  for (Buffer &b : bufs) finish(b);
  return 0;
}
