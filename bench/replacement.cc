// bench/replacement.cc: cost of the page-replacement policies through FrameTable.
//
//   make MODE=release -j2 build/release/bench/replacement && build/release/bench/replacement
//
// For each policy and pool size n (4096 and 2^20 frames) it prints:
//   touch ns   FrameTable::touch (the policy's on_access) on uniformly random resident frames,
//              the per-reference hot path of the simulator
//   ref ns     one reference in a replay of a simulation of a uniformly random string over 2n
//              pages: the recorded calls (touch on a hit, place on a fault) replayed on a fresh
//              table, so no page lookup is timed; the replay makes the same calls, since every
//              policy is deterministic for its seed
//   faults     the fault rate of that string
//   place ns   derived: (replay time - hits x touch ns) / faults; one place() = victim + fill
// Peers: none; these are the simulator's own costs.  Run it alone (the machine is shared).
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/policy_clock.hpp"
#include "mmu_sim/policy_fifo.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "mmu_sim/policy_opt.hpp"
#include "mmu_sim/policy_random.hpp"
#include "pal/clock.hpp"

using namespace hpmm::sim;

namespace {

template <class P>
void give_future(FrameTable<P> &ft, const std::vector<uint64_t> &next_use) {
  if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); })
    ft.policy().set_future(next_use);
}

// touch ns: pages 0..n-1 fill frames 0..n-1, then `length` references to random resident pages.
template <class P>
double touch_ns(uint32_t n, uint64_t length) {
  std::vector<uint64_t> string(n + length);
  Xoshiro256 rng(11);
  for (uint64_t t = 0; t < string.size(); ++t) string[t] = t < n ? t : rng.below32(n);
  std::vector<uint64_t> next_use;
  if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); })
    next_use = compute_next_use(string);
  FrameTable<P> ft(n, 1);
  give_future(ft, next_use);
  for (uint32_t f = 0; f < n; ++f) ft.place(f, f);
  double start = hpmm::pal::thread_cpu_seconds();
  for (uint64_t t = n; t < string.size(); ++t) ft.touch(static_cast<uint32_t>(string[t]), t);
  double s = hpmm::pal::thread_cpu_seconds() - start;
  if (!ft.valid()) std::fprintf(stderr, "touch: table invalid\n");
  return s * 1e9 / static_cast<double>(length);
}

struct Replay {
  double ref_ns;
  double fault_rate;
  double place_ns;
};

// A simulation of `length` uniformly random references over 2n pages, recorded as calls, then
// replayed on a fresh table and timed.
template <class P>
Replay replay(uint32_t n, uint64_t length, double touch) {
  const uint64_t pages = uint64_t{2} * n;
  std::vector<uint64_t> string(length);
  Xoshiro256 rng(23);
  for (uint64_t &k : string) k = rng.next() % pages;
  std::vector<uint64_t> next_use;
  if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); })
    next_use = compute_next_use(string);

  // Record: the frame touched on a hit, or kPlace on a fault.
  constexpr uint32_t kPlace = UINT32_MAX;
  std::vector<uint32_t> calls(length);
  std::vector<uint32_t> frame_of(pages, kPlace);
  uint64_t faults = 0;
  {
    FrameTable<P> ft(n, 1);
    give_future(ft, next_use);
    for (uint64_t t = 0; t < length; ++t) {
      uint32_t f = frame_of[string[t]];
      if (f != kPlace) {
        ft.touch(f, t);
        calls[t] = f;
        continue;
      }
      auto p = ft.place(string[t], t);
      if (p.evicted) frame_of[p.victim_key] = kPlace;
      frame_of[string[t]] = p.frame;
      calls[t] = kPlace;
      ++faults;
    }
  }
  FrameTable<P> ft(n, 1);
  give_future(ft, next_use);
  double start = hpmm::pal::thread_cpu_seconds();
  for (uint64_t t = 0; t < length; ++t) {
    if (calls[t] != kPlace)
      ft.touch(calls[t], t);
    else
      ft.place(string[t], t);
  }
  double s = hpmm::pal::thread_cpu_seconds() - start;
  if (!ft.valid()) std::fprintf(stderr, "replay: table invalid\n");
  double total_ns = s * 1e9;
  double hits = static_cast<double>(length - faults);
  return Replay{total_ns / static_cast<double>(length),
                static_cast<double>(faults) / static_cast<double>(length),
                (total_ns - hits * touch) / static_cast<double>(faults)};
}

template <class P>
void row(const char *name, uint32_t n, uint64_t length) {
  double t = touch_ns<P>(n, length);
  Replay r = replay<P>(n, length, t);
  std::printf("%-7s %8u %9.2f %9.2f %7.3f %9.1f\n", name, n, t, r.ref_ns, r.fault_rate, r.place_ns);
}

}  // namespace

int main() {
  std::printf("%-7s %8s %9s %9s %7s %9s\n", "policy", "frames", "touch ns", "ref ns", "faults",
              "place ns");
  for (uint32_t n : {uint32_t{4096}, uint32_t{1} << 20}) {
    const uint64_t length = uint64_t{8} << 20;
    row<FifoPolicy>("fifo", n, length);
    row<LruPolicy>("lru", n, length);
    row<ClockPolicy>("clock", n, length);
    row<OptPolicy>("opt", n, length);
    row<RandomPolicy>("random", n, length);
  }
  return 0;
}
