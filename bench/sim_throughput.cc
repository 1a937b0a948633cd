// bench/sim_throughput.cc: how fast the simulated MMU replays accesses (translations per second
// on one core).  Workloads are generated here, into a buffer served in batches, so the figure is
// the MMU's own cost:
//   tlb-hit   random 8-byte loads/stores over 32 pages (fits the 64-entry L1): L1 hits, set search
//   seq       sequential 8-byte loads over 16 MiB (the last-translation memo's case)
//   mixed     4 KiB and 2 MiB regions interleaved, random within each
//   fault     uniform random over 1 Mi pages with 64 Ki frames, LRU: nearly every access faults
// Run:  make MODE=release build/release/bench/sim_throughput && build/release/bench/sim_throughput
//       [accesses-in-millions (default 100)] [workload: tlb-hit|seq|mixed|fault (default all)]
//       SIM_PAGE_POLICY=fifo|lru sets tlb-hit's page policy (default clock; fifo's on_access does
//       nothing, which isolates the TLB path).  fault-<policy> runs one fault-heavy case.
// Times are the thread's CPU time (the machine may be shared).  Writes no files.
// Targets (issue): tlb-hit >= 300 M translations/s; fault >= 20 M accesses/s.  Where they stand
// and what bounds them (callgrind, README's figures):
//   tlb-hit  lru ~335 M/s, plru ~325, fifo ~400 and random ~400 reach it (medians of 3, load
//            ~2-6).  callgrind: 51 (fifo, random), 58 (lru, plru) instructions per
//            translation: the batch loop, the kind/page-cross test, the memo test, set index, one
//            SSE2 compare of a set's 4 low tag halves (a set of the usual L1 is one 64-byte line:
//            low halves, high halves, 32-bit data) and a test of the candidate's high half, the TLB
//            policy's update, the dirty test, the page policy's touch.  In locals for a batch (the
//            one-size loop): the L1's geometry, the memo, lru's stamp clock, plru's paths, clock's
//            reference array; the source's buffer is lent, not copied (next_view).  What remains:
//            register pressure (values spill to the stack and are reloaded per access: wall time
//            follows that chain more than the instruction count -- inlining the general set
//            search into the loop's rare path cost lru ~20 %), lru's stamp store and plru's
//            one 32-bit store of a 4-way set's tree bytes.
//   fault    ~22 M accesses/s with LRU pages (clock ~20, fifo ~23, random ~20; medians of 3, load
//            ~1-2), 466 instructions per access (callgrind of `4 fault-lru` minus `0 fault-lru`,
//            over the 0.8 M measured accesses): the TLB ~130 (a one-size 4 KiB machine's miss
//            and walk have the size, pool, offset mask and fill path as constants; a fill takes
//            victim and policy update in one step; a shootdown tests the frame's held-levels byte
//            inline and searches only when a level holds the victim: ~2 % of victims are still
//            cached), the walk caches ~85 (caches of <= 64 entries: an SSE2 search of tag low
//            halves and an exact LRU kept as a cycle; the 32-entry PDE cache misses on ~98 % of
//            walks here and a counting filter answers most of those misses with no search), the
//            fault ~105 (one 32-byte record per frame, LRU's order a cycle whose replacement is a
//            rotation, PTEs built from per-pool flag bits), miss()/walk()'s own lines and the
//            batch loop ~115 (register saves around the miss call, the PTE prefetch 8 ahead),
//            the generator 20 (two accesses per xorshift64 step); plus cache misses on the PTEs
//            of 1 Mi pages (8 MiB) and on the victims' records, which LRU scatters (fifo and
//            clock evict frames in address order).  What would take more: an L2 probe and fill
//            that share the set and tag (computed in both today), the PDPTE cache's hit without
//            a 16-lane search, fewer live values across miss() so it saves fewer registers.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "hpmm/mmu.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

// Serves `total` accesses cycling over a pre-generated buffer.
class BufferSource final : public AccessSource {
 public:
  BufferSource(std::vector<Access> buf, uint64_t total, std::string name)
      : buf_(std::move(buf)), total_(total), name_(std::move(name)) {}
  size_t next(std::span<Access> out) override {
    size_t n = 0;
    while (n < out.size() && done_ < total_) {
      size_t k =
          std::min({out.size() - n, buf_.size() - pos_, static_cast<size_t>(total_ - done_)});
      std::memcpy(out.data() + n, buf_.data() + pos_, k * sizeof(Access));
      n += k;
      done_ += k;
      pos_ = (pos_ + k) % buf_.size();
    }
    return n;
  }
  // The buffer itself, up to its end (the next call continues from there): no copy.
  std::span<const Access> next_view(std::span<Access> scratch) override {
    const size_t k =
        std::min({scratch.size(), buf_.size() - pos_, static_cast<size_t>(total_ - done_)});
    const std::span<const Access> v(buf_.data() + pos_, k);
    done_ += k;
    pos_ = (pos_ + k) % buf_.size();
    return v;
  }
  const std::string &error() const override { return error_; }
  std::string describe() const override { return name_; }

 private:
  std::vector<Access> buf_;
  uint64_t total_, done_ = 0;
  size_t pos_ = 0;
  std::string name_, error_;
};

// Uniform random 8-byte loads and stores over `pages` 4 KiB pages, generated as they are pulled
// (a cycled buffer would repeat a small working set).
class UniformSource final : public AccessSource {
 public:
  UniformSource(uint64_t pages, uint64_t total, uint64_t seed)
      : pages_(pages),
        mask_(std::has_single_bit(pages) ? pages - 1 : 0),
        total_(total),
        state_(seed * 0x9E3779B97F4A7C15ull) {}
  // The generator's state in a local and the count fixed before the loop, so the loop is the
  // xorshift and the stores.  While a page number fits in 20 bits (pages a power of two, <= 2^20,
  // as the fault runs' 1 Mi pages), one 64-bit step draws two accesses, one from each 32-bit half
  // (half()): each half of a xorshift64 output is uniform, so every access is still uniform over
  // the pages and the offsets.
  size_t next(std::span<Access> out) override {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), total_ - done_));
    uint64_t x = state_;
    Access *o = out.data();
    if (mask_ != 0 && mask_ < (uint64_t{1} << 20)) {
      const uint64_t m = mask_;
      size_t i = 0;
      for (; i + 2 <= n; i += 2) {
        step(x);
        half(o + i, x, m);
        half(o + i + 1, x >> 32, m);
      }
      if (i < n) {
        step(x);
        half(o + i, x, m);
      }
    } else {
      const uint64_t p = pages_;
      for (size_t i = 0; i < n; ++i) {
        step(x);
        put(o + i, kBase + (mask_ ? x & mask_ : x % p) * 4096 + ((x >> 52) << 3), x >> 63);
      }
    }
    state_ = x;
    done_ += n;
    return n;
  }
  const std::string &error() const override { return error_; }
  std::string describe() const override { return "uniform"; }

 private:
  static void step(uint64_t &x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  // The access a 32-bit half h draws: page h mod 2^20 (masked to the pages), 8-byte offset from
  // bits 20..28, a store when bit 31 is set.
  static void half(Access *o, uint64_t h, uint64_t mask) {
    put(o, kBase + (h & mask) * 4096 + ((h >> 17) & (511 << 3)), (h >> 31) & 1);
  }
  // An 8-byte access: two 8-byte stores (addr; size and kind, the padding zeroed).
  static void put(Access *o, uint64_t addr, uint64_t store) {
    static_assert(sizeof(Access) == 16 && offsetof(Access, size) == 8 &&
                  offsetof(Access, kind) == 12 && std::endian::native == std::endian::little);
    const uint64_t w[2] = {addr, 8 | store << 32};  // AccessKind::kStore == 1, kLoad == 0
    std::memcpy(o, w, sizeof w);
  }
  static constexpr uint64_t kBase = 0x10000000000ull;
  uint64_t pages_, mask_, total_, done_ = 0, state_;  // mask_: pages - 1 for a power of two
  std::string error_;
};

uint64_t rng_state = 88172645463325252ull;
uint64_t rnd() {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

constexpr uint64_t kBase = 0x10000000000ull;  // 1 TiB: a user-space-like address

void bench(const char *name, const SimConfig &c, AccessSource &src, AccessSource *warm = nullptr) {
  std::string err;
  auto mmu = Mmu::create(c, &err);
  if (!mmu) {
    std::fprintf(stderr, "%s: %s\n", name, err.c_str());
    std::exit(1);
  }
  SimStats w;
  if (warm) {
    mmu->run(*warm);
    w = mmu->stats();
  }
  // CPU time of this thread: the machine may be shared, and wall time would count other work.
  const double t0 = cpu_seconds();
  std::string e = mmu->run(src);
  const double sec = cpu_seconds() - t0;
  SimStats s = mmu->stats();
  s.translations -= w.translations;
  s.accesses -= w.accesses;
  s.l1.hits -= w.l1.hits;
  s.faults_minor -= w.faults_minor;
  s.faults_major -= w.faults_major;
  if (!e.empty() || !mmu->stats().valid()) {
    std::fprintf(stderr, "%s: run failed: %s\n", name, e.c_str());
    std::exit(1);
  }
  std::printf(
      "%-8s tlb=%-6s page=%-6s %6.1f M translations/s %6.1f M accesses/s  (%.2f ns/translation; "
      "L1 hit %.4f, faults %.4f per access, %.2f s cpu)\n",
      name, name_of(c.tlb_replacement), name_of(c.replacement), s.translations / sec / 1e6,
      s.accesses / sec / 1e6, sec * 1e9 / s.translations,
      static_cast<double>(s.l1.hits) / s.translations, static_cast<double>(s.faults()) / s.accesses,
      sec);
  std::fflush(stdout);
}

std::vector<Access> random_over(uint64_t pages, uint64_t page_bytes, size_t n, bool writes) {
  std::vector<Access> v(n);
  for (Access &a : v) {
    uint64_t r = rnd();
    a.addr = kBase + (r % pages) * page_bytes + ((r >> 40) % (page_bytes / 8)) * 8;
    a.size = 8;
    a.kind = writes && (r >> 63) ? AccessKind::kStore : AccessKind::kLoad;
  }
  return v;
}

}  // namespace

int main(int argc, char **argv) {
  const uint64_t m = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100;
  const uint64_t total = m * 1000000;
  const size_t kBuf = 1 << 16;  // 1 MiB of accesses: stays in cache
  const std::string only = argc > 2 ? argv[2] : "";
  auto want = [&](const std::string &w) { return only.empty() || only == w; };

  for (TlbReplacement tr : {TlbReplacement::kLru, TlbReplacement::kPlru, TlbReplacement::kFifo,
                            TlbReplacement::kRandom}) {
    if (!want("tlb-hit")) break;
    SimConfig c;
    c.tlb_replacement = tr;
    if (const char *p = std::getenv("SIM_PAGE_POLICY"))  // e.g. fifo: on_access does nothing
      c.replacement = std::string(p) == "fifo" ? PageReplacement::kFifo : PageReplacement::kLru;
    BufferSource src(random_over(32, 4096, kBuf, true), total, "tlb-hit");
    bench("tlb-hit", c, src);
  }
  if (want("seq")) {
    SimConfig c;
    c.replacement = PageReplacement::kLru;
    std::vector<Access> v(kBuf);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = {kBase + (i * 8) % (16 << 20), 8, AccessKind::kLoad};
    c.frames[0] = 4096;
    BufferSource src(std::move(v), total, "seq");
    bench("seq", c, src);
  }
  if (want("mixed")) {
    SimConfig c;
    c.regions.push_back({VirtAddr(kBase + (1ull << 30)), Bytes(64ull << 21), PageSize::k2M});
    c.frames[1] = 64;
    std::vector<Access> v(kBuf);
    for (size_t i = 0; i < v.size(); ++i) {
      uint64_t r = rnd();
      v[i] = {(r & 1) ? kBase + ((r >> 8) % 32) * 4096
                      : kBase + (1ull << 30) + ((r >> 8) % (32ull << 21)),
              8, AccessKind::kLoad};
    }
    BufferSource src(std::move(v), total, "mixed");
    bench("mixed", c, src);
  }
  for (PageReplacement pr : {PageReplacement::kLru, PageReplacement::kClock, PageReplacement::kFifo,
                             PageReplacement::kRandom}) {
    if (!want("fault") && !want(std::string("fault-") + name_of(pr))) continue;
    SimConfig c;
    c.replacement = pr;
    c.frames[0] = 64 << 10;
    // Steady state: first touch every page (page-table nodes built, frames full), untimed.
    UniformSource warm(1 << 20, 4 << 20, 7), src(1 << 20, total / 5, 1);
    bench("fault", c, src, &warm);
  }
  return 0;
}
