// mmu_sim/workload_rng.hpp: the seeded random number generator of the synthetic workloads, and
// a seeded permutation that scatters page numbers.
//
// WorkloadRng is base/rng.hpp's xoshiro256** (below(n): exactly uniform on [0, n); real():
// uniform on [0, 1)), named here for the workloads' signatures.
//
// PagePermutation is a bijection of [0, n): on [0, 2^k) with 2^k >= n it applies seeded rounds
// of x -> (x * odd + c) mod 2^k and x -> x ^ (x >> r), each a bijection, and walks the cycle
// (applies it again) until the value falls below n.  Invariant: apply() is one-to-one and onto.
#pragma once

#include <cstdint>

#include "base/bits.hpp"
#include "base/rng.hpp"

namespace hpmm::sim {

using WorkloadRng = ::hpmm::Xoshiro256;

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
