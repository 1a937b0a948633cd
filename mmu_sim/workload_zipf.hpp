// mmu_sim/workload_zipf.hpp: exact Zipf sampling over ranks 1..n, P(k) = k^-s / H(n, s), in
// O(1) expected time per sample and O(1) memory, by rejection-inversion (W. Hormann and
// G. Derflinger, "Rejection-inversion to generate variates from monotone discrete
// distributions", ACM TOMACS 6(3), 1996).
//
// The method inverts the integral H(x) of the hat function h(x) = x^-s, which dominates the
// probabilities on [k - 1/2, k + 1/2]; a uniform point u in [H(1.5) - 1, H(n + 0.5)) maps to
// x = H^-1(u) and the rank k = round(x) is accepted when u >= H(k + 1/2) - h(k) (the area under
// the hat that belongs to k), with a cheap early acceptance k - x <= accept_width_.  Every rank
// has its exact probability; the expected number of tries is below 1.1 for all s > 0.
// Invariants: 1 <= sample() <= n;  h_integral_x1_ < h_integral_n_.
#pragma once

#include <cstdint>

#include "mmu_sim/workload_rng.hpp"

namespace hpmm::sim {

class ZipfSampler {
 public:
  // n >= 1, s > 0.
  ZipfSampler(uint64_t n, double s);
  uint64_t sample(WorkloadRng &rng) const;
  uint64_t n() const { return n_; }
  double s() const { return s_; }
  bool valid() const { return n_ >= 1 && s_ > 0 && h_integral_x1_ < h_integral_n_; }

 private:
  double h(double x) const;               // x^-s
  double h_integral(double x) const;      // (x^(1-s) - 1) / (1 - s), log x when s == 1
  double h_integral_inv(double x) const;  // its inverse

  uint64_t n_;
  double s_;
  double h_integral_x1_;  // H(1.5) - 1
  double h_integral_n_;   // H(n + 0.5)
  double accept_width_;   // 2 - H^-1(H(2.5) - h(2))
};

}  // namespace hpmm::sim
