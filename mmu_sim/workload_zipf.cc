// mmu_sim/workload_zipf.cc: the rejection-inversion Zipf sampler (see workload_zipf.hpp).
// (x^(1-s) - 1)/(1-s) is evaluated as expm1(t)/t * log x with t = (1-s) log x, which is exact
// in the limit s -> 1; its inverse as exp(log1p(t)/t * y) with t = (1-s) y.
#include "mmu_sim/workload_zipf.hpp"

#include <cmath>

#include "base/check.hpp"

namespace hpmm::sim {
namespace {

double expm1_over_x(double x) {  // (e^x - 1) / x, 1 at 0
  return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1 + x / 2 * (1 + x / 3);
}
double log1p_over_x(double x) {  // log(1 + x) / x, 1 at 0
  return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x / 3);
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double s) : n_(n), s_(s) {
  HPMM_CHECK(n >= 1 && s > 0, "ZipfSampler: n >= 1 and s > 0");
  h_integral_x1_ = h_integral(1.5) - 1;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  accept_width_ = 2 - h_integral_inv(h_integral(2.5) - h(2));
}

double ZipfSampler::h(double x) const {
  return std::exp(-s_ * std::log(x));
}

double ZipfSampler::h_integral(double x) const {
  double lx = std::log(x);
  return expm1_over_x((1 - s_) * lx) * lx;
}

double ZipfSampler::h_integral_inv(double x) const {
  double t = x * (1 - s_);
  if (t < -1) t = -1;  // rounding at the far end of the range
  return std::exp(log1p_over_x(t) * x);
}

uint64_t ZipfSampler::sample(WorkloadRng &rng) const {
  const double nd = static_cast<double>(n_);
  for (;;) {
    double u = h_integral_n_ + rng.real() * (h_integral_x1_ - h_integral_n_);
    double x = h_integral_inv(u);
    double kd = std::floor(x + 0.5);
    if (kd < 1) kd = 1;
    if (kd > nd) kd = nd;
    if (kd - x <= accept_width_ || u >= h_integral(kd + 0.5) - h(kd))
      return static_cast<uint64_t>(kd);
  }
}

}  // namespace hpmm::sim
