// mmu_sim/workload_rng.hpp: the seeded random number generator of the synthetic workloads, and
// a seeded permutation that scatters page numbers.
//
// WorkloadRng is xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64, so one seed
// gives one stream on every machine.  below(n) is Lemire's multiply-shift with rejection
// (exactly uniform on [0, n)); real() is uniform on [0, 1) with 53 random bits.
//
// PagePermutation is a bijection of [0, n): on [0, 2^k) with 2^k >= n it applies seeded rounds
// of x -> (x * odd + c) mod 2^k and x -> x ^ (x >> r), each a bijection, and walks the cycle
// (applies it again) until the value falls below n.  Invariant: apply() is one-to-one and onto.
#pragma once

#include <cstdint>

#include "base/bits.hpp"

namespace hpmm::sim {

class WorkloadRng {
 public:
  explicit WorkloadRng(uint64_t seed) {
    for (uint64_t &w : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      w = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform on [0, n), n >= 1.
  uint64_t below(uint64_t n) {
    __uint128_t m = static_cast<__uint128_t>(next()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<__uint128_t>(next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  double real() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

class PagePermutation {
 public:
  PagePermutation(uint64_t n, uint64_t seed) : n_(n) {
    unsigned k = n <= 2 ? 1 : log2_ceil(n);
    mask_ = k >= 64 ? ~uint64_t{0} : (uint64_t{1} << k) - 1;
    shift_ = k / 2 + 1;
    WorkloadRng rng(seed ^ 0x5ca77e5ca77e5ca7ull);
    for (auto &r : rounds_) r = Round{rng.next() | 1, rng.next()};
  }
  uint64_t apply(uint64_t x) const {
    do {
      for (const Round &r : rounds_) {
        x = (x * r.mul + r.add) & mask_;
        x ^= x >> shift_;
      }
    } while (x >= n_);
    return x;
  }
  uint64_t size() const { return n_; }

 private:
  struct Round {
    uint64_t mul;  // odd
    uint64_t add;
  };
  uint64_t n_;
  uint64_t mask_;
  unsigned shift_;
  Round rounds_[3];
};

}  // namespace hpmm::sim
