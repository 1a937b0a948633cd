// base/rng.hpp: the project's one seeded pseudo-random generator, xoshiro256** (Blackman and
// Vigna, 2018), its 256-bit state seeded from a 64-bit seed through splitmix64 (Steele, Lea,
// Flood 2014) as its authors recommend, so one seed gives one stream on every machine.
//
// Draws:  next()       64 random bits
//         below(n)     uniform on [0, n), n >= 1, 64-bit Lemire multiply-shift with rejection
//                      ("Fast random integer generation in an interval", 2019): exactly uniform
//         below32(n)   the same on 32 bits from next()'s high half (cheaper; n < 2^32)
//         real()       uniform on [0, 1) with 53 random bits
// Users: the simulator's synthetic workloads (mmu_sim/workload*.cc), random page replacement
// (mmu_sim/policy_random.hpp), tests and benchmarks.  Not thread-safe: one per user.
#pragma once

#include <cstdint>

namespace hpmm {

class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t &w : s_) w = splitmix64(x);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  uint64_t below(uint64_t n) {
    __uint128_t m = static_cast<__uint128_t>(next()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
      while (low < threshold) {
        m = static_cast<__uint128_t>(next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  uint32_t below32(uint32_t n) {
    uint64_t m = (next() >> 32) * n;
    auto low = static_cast<uint32_t>(m);
    if (low < n) {
      const uint32_t threshold = static_cast<uint32_t>(-n) % n;  // 2^32 mod n
      while (low < threshold) {
        m = (next() >> 32) * n;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }

  double real() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // splitmix64: advances x and returns a well-mixed word.
  static uint64_t splitmix64(uint64_t &x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace hpmm
