// bench/mrc_policies.cc: what the scan-resistant policies cost beside the textbook ones, on the
// strings the fault curves describe, and what their ghost lookups cost with KeyMap against
// std::unordered_map.
//
//   make MODE=release -j2 build/release/bench/mrc_policies && build/release/bench/mrc_policies
//
// Part 1: each policy through FrameTable (page -> frame in a flat array, so no lookup is
// timed) on 16M references: zipf(0.8) over 2^18 pages, and the same with a one-time scan of
// 2^17 fresh pages every 2M references; 32768 frames.  Prints ns per reference (thread CPU
// time) and the fault rate, with the LRU and OPT rates from the exact curves (mrc.hpp) for
// comparison.
// Part 2: the ghost-list pattern, a FIFO of 32768 keys under churn (look up the incoming key,
// erase it or the oldest, insert): ns per fault with KeyMap and with std::unordered_map.
// Peers: none in the tree.  Run it alone (the machine is shared).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <unordered_map>
#include <vector>

#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/key_map.hpp"
#include "mmu_sim/mrc.hpp"
#include "mmu_sim/policy_2q.hpp"
#include "mmu_sim/policy_active_inactive.hpp"
#include "mmu_sim/policy_arc.hpp"
#include "mmu_sim/policy_clock.hpp"
#include "mmu_sim/policy_fifo.hpp"
#include "mmu_sim/policy_lirs.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "mmu_sim/policy_random.hpp"
#include "pal/clock.hpp"

using namespace hpmm::sim;

namespace {

constexpr uint32_t kFrames = 32768;
constexpr uint64_t kPages = uint64_t{1} << 18;

// Page numbers (small integers, so a flat array maps them to frames).
std::vector<uint64_t> make_string(bool scans, uint64_t n) {
  std::vector<double> cdf(kPages);
  double z = 0;
  for (uint64_t i = 0; i < kPages; ++i) cdf[i] = z += 1 / std::pow(static_cast<double>(i + 1), 0.8);
  const uint64_t kTable = uint64_t{1} << 20;
  std::vector<uint32_t> table(kTable);
  for (uint64_t q = 0, p = 0; q < kTable; ++q) {
    double u = (static_cast<double>(q) + 0.5) / static_cast<double>(kTable) * z;
    while (p + 1 < kPages && cdf[p] < u) ++p;
    table[q] = static_cast<uint32_t>((p * 0x9E3779B1u) % kPages);
  }
  Xoshiro256 rng(7);
  std::vector<uint64_t> s;
  s.reserve(n);
  uint64_t fresh = kPages;
  while (s.size() < n) {
    if (scans && s.size() % (uint64_t{2} << 20) == 0 && !s.empty())
      for (uint64_t i = 0; i < kPages / 2 && s.size() < n; ++i) s.push_back(fresh++);
    s.push_back(table[rng.next() >> 44]);
  }
  return s;
}

template <class P>
void run(const char *name, const std::vector<uint64_t> &s, uint64_t pages) {
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> frame_of(pages, kNone);
  FrameTable<P> ft(kFrames, 1);
  uint64_t faults = 0;
  double t0 = hpmm::pal::thread_cpu_seconds();
  for (uint64_t t = 0; t < s.size(); ++t) {
    uint32_t f = frame_of[s[t]];
    if (f != kNone) {
      ft.touch(f, t);
      continue;
    }
    ++faults;
    auto p = ft.place(s[t], t);
    if (p.evicted) frame_of[p.victim_key] = kNone;
    frame_of[s[t]] = p.frame;
  }
  double t1 = hpmm::pal::thread_cpu_seconds();
  if (!ft.valid()) std::fprintf(stderr, "%s: table invalid\n", name);
  std::printf("  %-7s %7.1f ns/ref  fault rate %.4f\n", name,
              (t1 - t0) * 1e9 / static_cast<double>(s.size()),
              static_cast<double>(faults) / static_cast<double>(s.size()));
}

void policies(const char *title, bool scans) {
  auto s = make_string(scans, uint64_t{16} << 20);
  uint64_t pages = 0;
  for (uint64_t k : s) pages = k + 1 > pages ? k + 1 : pages;
  std::printf("%s, %u frames:\n", title, kFrames);
  run<FifoPolicy>("fifo", s, pages);
  run<LruPolicy>("lru", s, pages);
  run<ClockPolicy>("clock", s, pages);
  run<TwoQPolicy>("2q", s, pages);
  run<ArcPolicy>("arc", s, pages);
  run<LirsPolicy>("lirs", s, pages);
  run<ActiveInactivePolicy>("linux", s, pages);
  FaultCurve lru = lru_fault_curve(s);
  FaultCurve opt = opt_fault_curve(s, kFrames);
  std::printf("  curves: lru %.4f  opt %.4f\n", lru.miss_ratio(kFrames), opt.miss_ratio(kFrames));
}

// A FIFO of `size` ghost keys, as A1out or B1 on a fault: look up the incoming key (present
// one time in four), drop the oldest key, insert the victim's key.
template <class Map>
double ghost_churn(Map &m, uint64_t size, uint64_t steps) {
  std::deque<uint64_t> fifo;
  uint64_t next = 0;
  for (; next < size; ++next) {
    m.insert_key(next << 12);
    fifo.push_back(next << 12);
  }
  Xoshiro256 rng(3);
  uint64_t hits = 0;
  double t0 = hpmm::pal::thread_cpu_seconds();
  for (uint64_t i = 0; i < steps; ++i) {
    uint64_t probe = rng.next() % 4 == 0 ? fifo[rng.next() % fifo.size()] : (next + size) << 12;
    hits += m.has_key(probe);
    m.erase_key(fifo.front());
    fifo.pop_front();
    m.insert_key(next << 12);
    fifo.push_back(next++ << 12);
  }
  double ns = (hpmm::pal::thread_cpu_seconds() - t0) * 1e9 / static_cast<double>(steps);
  if (hits == 0) std::fprintf(stderr, "ghost churn: no hits\n");
  return ns;
}

struct FlatMap {
  KeyMap<uint32_t> m{65536};
  void insert_key(uint64_t k) { m.put(k, 1); }
  bool has_key(uint64_t k) const { return m.contains(k); }
  void erase_key(uint64_t k) { m.erase(k); }
};
struct StdMap {
  std::unordered_map<uint64_t, uint32_t> m;
  StdMap() { m.reserve(65536); }
  void insert_key(uint64_t k) { m.emplace(k, 1); }
  bool has_key(uint64_t k) const { return m.count(k) != 0; }
  void erase_key(uint64_t k) { m.erase(k); }
};

}  // namespace

int main() {
  policies("zipf(0.8) over 2^18 pages, 16M references", false);
  policies("the same with a scan of 2^17 fresh pages every 2M references", true);
  FlatMap flat;
  StdMap std_map;
  double a = ghost_churn(flat, 32768, 20000000), b = ghost_churn(std_map, 32768, 20000000);
  std::printf("ghost churn (32768 keys): KeyMap %.1f ns/step, std::unordered_map %.1f ns/step\n", a,
              b);
  return 0;
}
