// bench/mrc_speed.cc: speed and memory of the fault-curve passes (mmu_sim/mrc.hpp,
// mmu_sim/mrc_shards.hpp) on long synthetic page-reference strings.
//
//   make MODE=release -j2 build/release/bench/mrc_speed && build/release/bench/mrc_speed [M]
//
// M = millions of references per string (default 100; the target is 100M in under a minute on
// one core).  For each string it prints the CPU seconds and ns per reference of
//   lru        the exact LRU curve (LruCurveBuilder), and its memory
//   shards     SHARDS fixed-rate R = 0.01, and fixed-size with 8192 pages, and each one's mean
//              absolute error against the exact curve (100 frame counts)
// then, on a 10M-reference prefix, the OPT curve up to 4096 frames, and the cost of the hash map
// on the stack-distance access pattern: KeyMap against std::unordered_map (put of a timestamp
// into the page's slot, ns per reference).
// Strings: zipf(0.8) over 2^20 pages (scrambled), and uniform over 2^22 pages (the widest, least
// cache-friendly case).  Peers: none in the tree; the SHARDS paper reports its own speeds for
// comparison.  Run it alone (the machine is shared); it needs ~2 GB.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <unordered_map>
#include <vector>

#include "mmu_sim/mrc.hpp"
#include "mmu_sim/mrc_shards.hpp"
#include "mmu_sim/policy_random.hpp"
#include "pal/clock.hpp"

using namespace hpmm::sim;

namespace {

// Zipf(s) over `pages` by a 2^22-entry inverse-CDF table (quantised; fine for a benchmark).
std::vector<uint64_t> zipf_string(uint64_t pages, double s, uint64_t n, uint64_t seed) {
  std::vector<double> cdf(pages);
  double z = 0;
  for (uint64_t i = 0; i < pages; ++i) cdf[i] = z += 1 / std::pow(static_cast<double>(i + 1), s);
  const uint64_t kTable = uint64_t{1} << 22;
  std::vector<uint32_t> table(kTable);
  uint64_t p = 0;
  for (uint64_t q = 0; q < kTable; ++q) {
    double u = (static_cast<double>(q) + 0.5) / static_cast<double>(kTable) * z;
    while (p + 1 < pages && cdf[p] < u) ++p;
    table[q] = static_cast<uint32_t>((p * 0x9E3779B1u) % pages);
  }
  Xoshiro256 rng(seed);
  std::vector<uint64_t> out(n);
  for (uint64_t &k : out) k = uint64_t{table[rng.next() >> 42]} << 12;
  return out;
}

std::vector<uint64_t> uniform_string(uint64_t pages, uint64_t n, uint64_t seed) {
  Xoshiro256 rng(seed);
  std::vector<uint64_t> out(n);
  for (uint64_t &k : out) k = (rng.next() % pages) << 12;
  return out;
}

void run(const char *name, const std::vector<uint64_t> &refs) {
  const double n = static_cast<double>(refs.size());
  double t0 = hpmm::pal::thread_cpu_seconds();
  LruCurveBuilder b;
  b.ref(refs);
  FaultCurve exact = b.curve();
  double t1 = hpmm::pal::thread_cpu_seconds();
  std::printf("%-8s %6.0fM refs %8lu pages  lru    %6.2f s %6.1f ns/ref  %6.1f MB\n", name, n / 1e6,
              exact.distinct(), t1 - t0, (t1 - t0) * 1e9 / n,
              static_cast<double>(b.distances().bytes()) / 1e6);
  ShardsBuilder r(ShardsParams{0.01, 0, true});
  r.ref(refs);
  MissRatioEstimate er = r.estimate();
  double t2 = hpmm::pal::thread_cpu_seconds();
  ShardsBuilder s(ShardsParams{0.1, 8192, true});
  s.ref(refs);
  MissRatioEstimate es = s.estimate();
  double t3 = hpmm::pal::thread_cpu_seconds();
  std::printf("%-8s shards R=0.01    %6.2f s %6.1f ns/ref  %6.1f MB  %6lu pages  MAE %.4f\n", "",
              t2 - t1, (t2 - t1) * 1e9 / n, static_cast<double>(r.bytes()) / 1e6,
              er.sampled_pages(), mean_absolute_error(exact, er, 100));
  std::printf("%-8s shards 8192 pages %6.2f s %6.1f ns/ref  %6.1f MB  R=%.5f    MAE %.4f\n", "",
              t3 - t2, (t3 - t2) * 1e9 / n, static_cast<double>(s.bytes()) / 1e6, es.rate(),
              mean_absolute_error(exact, es, 100));
  std::printf(
      "%-8s miss ratio at 1/8, 1/4, 1/2 of the pages: exact %.4f %.4f %.4f, R=0.01 "
      "%.4f %.4f %.4f\n",
      "", exact.miss_ratio(exact.distinct() / 8), exact.miss_ratio(exact.distinct() / 4),
      exact.miss_ratio(exact.distinct() / 2), er.miss_ratio(exact.distinct() / 8),
      er.miss_ratio(exact.distinct() / 4), er.miss_ratio(exact.distinct() / 2));
}

void opt_and_maps(const std::vector<uint64_t> &refs) {
  std::vector<uint64_t> prefix(refs.begin(),
                               refs.begin() + std::min<size_t>(refs.size(), 10000000));
  const double n = static_cast<double>(prefix.size());
  double t0 = hpmm::pal::thread_cpu_seconds();
  FaultCurve opt = opt_fault_curve(prefix, 4096);
  double t1 = hpmm::pal::thread_cpu_seconds();
  FaultCurve lru = lru_fault_curve(prefix);
  std::printf(
      "opt      %6.0fM refs up to 4096 frames %6.2f s %6.1f ns/ref  (faults at 4096: "
      "opt %lu, lru %lu)\n",
      n / 1e6, t1 - t0, (t1 - t0) * 1e9 / n, opt.faults(4096), lru.faults(4096));
  // The stack-distance pass's map traffic: put(key, t) returning the old value.
  KeyMap<uint64_t> flat;
  uint64_t sink = 0;
  double t2 = hpmm::pal::thread_cpu_seconds();
  for (uint64_t t = 0; t < prefix.size(); ++t) sink += flat.put(prefix[t], t);
  double t3 = hpmm::pal::thread_cpu_seconds();
  std::unordered_map<uint64_t, uint64_t> std_map;
  for (uint64_t t = 0; t < prefix.size(); ++t) {
    auto [it, fresh] = std_map.try_emplace(prefix[t], t);
    if (!fresh) {
      sink += it->second;
      it->second = t;
    }
  }
  double t4 = hpmm::pal::thread_cpu_seconds();
  std::printf("map      KeyMap %6.1f ns/ref (%5.1f MB)   std::unordered_map %6.1f ns/ref  [%lu]\n",
              (t3 - t2) * 1e9 / n, static_cast<double>(flat.bytes()) / 1e6, (t4 - t3) * 1e9 / n,
              sink % 10);
}

}  // namespace

int main(int argc, char **argv) {
  const uint64_t millions = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100;
  if (millions == 0 || millions > 100000) {
    std::fprintf(stderr, "mrc_speed: M (millions of references) must be in [1, 100000]\n");
    return 2;
  }
  const uint64_t n = millions * 1000000;
  {
    auto z = zipf_string(uint64_t{1} << 20, 0.8, n, 1);
    run("zipf", z);
    opt_and_maps(z);
  }
  {
    auto u = uniform_string(uint64_t{1} << 22, n, 2);
    run("uniform", u);
  }
  return 0;
}
