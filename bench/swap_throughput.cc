// bench/swap_throughput.cc: write-back throughput of the swap file against the file system's own
// sequential 4 KiB write rate, measured in the same run on the same file system.
//
//   fio-style baselines  a fresh file written sequentially in 4 KiB blocks: a pwrite loop, and an
//                        io_uring loop with 32 writes per submission (fio --rw=write --bs=4k,
//                        psync and io_uring engines); pages per second
//   store                FileSwap alone: allocate + write of a 4 KiB page per eviction, drained
//   mmu                  hpmm-sim's MMU in data mode with --swap: a sequential store to each of
//                        N pages through 256 frames, LRU: every access past the first 256 evicts
//                        a dirty page (an eviction = the page's zero fill, its copy into a
//                        write-back buffer and its write); evictions per second, drained
// Each figure is the median of R runs (files removed between runs); the ratio printed is
// baseline / mmu (target: <= 2).  Wall-clock time: the I/O is the point.
// Run:  make MODE=release build/release/bench/swap_throughput &&
//       build/release/bench/swap_throughput [DIR (default /var/tmp)] [pages (default 32768)]
//       [runs (default 5)] [uring|sync (default uring)]
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hpmm/mmu.hpp"
#include "mmu_sim/swap_file.hpp"
#include "pal/clock.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

constexpr uint32_t kBlock = 4096;

double seconds_since(uint64_t t0) {
  return static_cast<double>(pal::now_ns() - t0) / 1e9;
}

std::string fresh(const std::string &dir, const char *tag) {
  std::string p = dir + "/hpmm_swapbench_" + tag + "_" + std::to_string(getpid());
  unlink(p.c_str());
  return p;
}

double pwrite_loop(const std::string &dir, uint64_t pages) {
  const std::string path = fresh(dir, "pwrite");
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return 0;
  std::vector<char> buf(kBlock, 'x');
  const uint64_t t0 = pal::now_ns();
  for (uint64_t i = 0; i < pages; ++i)
    if (pwrite(fd, buf.data(), kBlock, static_cast<off_t>(i * kBlock)) != kBlock) return 0;
  const double s = seconds_since(t0);
  close(fd);
  unlink(path.c_str());
  return static_cast<double>(pages) / s;
}

double uring_loop(const std::string &dir, uint64_t pages) {
  const std::string path = fresh(dir, "uring");
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  io_uring ring;
  if (fd < 0 || io_uring_queue_init(64, &ring, 0) != 0) return 0;
  std::vector<char> buf(32 * kBlock, 'x');
  const uint64_t t0 = pal::now_ns();
  for (uint64_t i = 0; i < pages; i += 32) {
    const uint64_t n = std::min<uint64_t>(32, pages - i);
    for (uint64_t k = 0; k < n; ++k)
      io_uring_prep_write(io_uring_get_sqe(&ring), fd, buf.data() + k * kBlock, kBlock,
                          (i + k) * kBlock);
    io_uring_submit_and_wait(&ring, static_cast<unsigned>(n));
    for (uint64_t k = 0; k < n; ++k) {
      io_uring_cqe *c;
      io_uring_wait_cqe(&ring, &c);
      if (c->res != kBlock) return 0;
      io_uring_cqe_seen(&ring, c);
    }
  }
  const double s = seconds_since(t0);
  io_uring_queue_exit(&ring);
  close(fd);
  unlink(path.c_str());
  return static_cast<double>(pages) / s;
}

double store_loop(const std::string &dir, uint64_t pages, pal::IoMode io) {
  SwapFileOptions o;
  o.path = fresh(dir, "store");
  o.io = io;
  FileSwap s(kBlock, uint64_t{1} << 30, o);
  if (!s.error().empty()) {
    std::fprintf(stderr, "swap_throughput: %s\n", s.error().c_str());
    return 0;
  }
  std::vector<std::byte> page(kBlock, std::byte{'x'});
  const uint64_t t0 = pal::now_ns();
  for (uint64_t i = 0; i < pages; ++i)
    if (!s.write(s.allocate(), page)) return 0;
  if (!s.drain()) return 0;
  return static_cast<double>(pages) / seconds_since(t0);
}

class SeqStores final : public AccessSource {
 public:
  explicit SeqStores(uint64_t pages) : pages_(pages) {}
  size_t next(std::span<Access> out) override {
    size_t n = 0;
    for (; n < out.size() && i_ < pages_; ++n, ++i_)
      out[n] = {0x40000000 + i_ * kBlock, 8, AccessKind::kStore};
    return n;
  }
  const std::string &error() const override { return error_; }
  std::string describe() const override { return "seq stores"; }

 private:
  uint64_t pages_, i_ = 0;
  std::string error_;
};

double mmu_loop(const std::string &dir, uint64_t pages, SwapIo io, uint64_t *evictions) {
  SimConfig c;
  c.frames[0] = 256;
  c.replacement = PageReplacement::kLru;
  c.data = true;
  c.swap.path = fresh(dir, "mmu");
  c.swap.io = io;
  std::string err;
  auto m = Mmu::create(c, &err);
  if (!m) {
    std::fprintf(stderr, "swap_throughput: %s\n", err.c_str());
    return 0;
  }
  SeqStores src(pages + 256);
  const uint64_t t0 = pal::now_ns();
  err = m->run(src);  // drains at the end
  const double s = seconds_since(t0);
  if (!err.empty()) {
    std::fprintf(stderr, "swap_throughput: %s\n", err.c_str());
    return 0;
  }
  *evictions = m->stats().writebacks;
  return static_cast<double>(*evictions) / s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  const std::string dir = argc > 1 ? argv[1] : "/var/tmp";
  const uint64_t pages = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 32768;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  const bool sync = argc > 4 && std::strcmp(argv[4], "sync") == 0;
  if (pages == 0 || runs < 1) {
    std::fprintf(stderr, "usage: swap_throughput [DIR] [pages] [runs] [uring|sync]\n");
    return 2;
  }
  std::vector<double> pw, ur, st, mm;
  uint64_t evictions = 0;
  for (int r = 0; r < runs; ++r) {  // interleaved, so that drift hits every figure alike
    pw.push_back(pwrite_loop(dir, pages));
    ur.push_back(uring_loop(dir, pages));
    st.push_back(store_loop(dir, pages, sync ? pal::IoMode::kSync : pal::IoMode::kUring));
    mm.push_back(mmu_loop(dir, pages, sync ? SwapIo::kSync : SwapIo::kUring, &evictions));
    if (pw.back() == 0 || ur.back() == 0 || st.back() == 0 || mm.back() == 0) {
      std::fprintf(stderr, "swap_throughput: a run failed (is %s writable?)\n", dir.c_str());
      return 1;
    }
  }
  const double base = std::max(median(pw), median(ur));
  std::printf("dir %s, %llu pages of 4 KiB (%llu MiB) per run, median of %d runs, %s\n",
              dir.c_str(), static_cast<unsigned long long>(pages),
              static_cast<unsigned long long>(pages * kBlock >> 20), runs,
              sync ? "pread/pwrite" : "io_uring");
  std::printf("fio-style pwrite loop     %10.0f pages/s\n", median(pw));
  std::printf("fio-style io_uring loop   %10.0f pages/s  (32 per submission)\n", median(ur));
  std::printf("FileSwap write+drain      %10.0f pages/s\n", median(st));
  std::printf("MMU evictions to swap     %10.0f evictions/s  (%llu per run)\n", median(mm),
              static_cast<unsigned long long>(evictions));
  std::printf("ratio best baseline / MMU evictions: %.2f (target <= 2)\n", base / median(mm));
  return 0;
}
