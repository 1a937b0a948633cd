// tests/mmu_sim/test_mrc_sources.hpp: inputs for the analysis tests (mrc, SHARDS, wss): an
// AccessSource over a vector (with small batches and an optional error, to exercise the
// streaming paths), and page-reference strings of the classic shapes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "mmu_sim/access.hpp"
#include "mmu_sim/policy_random.hpp"

namespace hpmm::sim::test {

class ScriptedSource : public AccessSource {
 public:
  // Yields at most `batch` accesses per next(); after `fail_after` accesses (if set) reports an
  // error instead of the rest.
  explicit ScriptedSource(std::vector<Access> a, size_t batch = 7, size_t fail_after = SIZE_MAX)
      : a_(std::move(a)), batch_(batch), fail_after_(fail_after) {}
  size_t next(std::span<Access> out) override {
    size_t n = 0;
    while (n < out.size() && n < batch_ && pos_ < a_.size()) {
      if (pos_ == fail_after_) {
        err_ = "vector:3: bad record";
        break;
      }
      out[n++] = a_[pos_++];
    }
    return n;
  }
  const std::string &error() const override { return err_; }
  std::string describe() const override { return "vector"; }

 private:
  std::vector<Access> a_;
  size_t batch_, fail_after_, pos_ = 0;
  std::string err_;
};

enum class Shape { kUniform, kZipf, kLoop, kPhased };
inline const Shape kShapes[] = {Shape::kUniform, Shape::kZipf, Shape::kLoop, Shape::kPhased};
inline const char *name_of(Shape s) {
  return s == Shape::kUniform ? "uniform"
         : s == Shape::kZipf  ? "zipf"
         : s == Shape::kLoop  ? "loop"
                              : "phased";
}

// n references over `pages` pages (keys look like 4 KiB page numbers):
//   uniform  every page equally likely
//   zipf     page i with probability ~ 1 / (i + 1)^0.8 (a scrambled order of pages)
//   loop     0, 1, ..., pages - 1, 0, 1, ... with 1 reference in 16 uniform noise
//   phased   4 phases, each uniform over a quarter of the pages, consecutive phases overlapping
//            by half
inline std::vector<uint64_t> reference_string(Shape shape, uint64_t pages, uint64_t n,
                                              uint64_t seed) {
  Xoshiro256 rng(seed);
  std::vector<uint64_t> s(n);
  std::vector<double> cdf;
  if (shape == Shape::kZipf) {
    cdf.resize(pages);
    double z = 0;
    for (uint64_t i = 0; i < pages; ++i)
      cdf[i] = z += 1 / std::pow(static_cast<double>(i + 1), 0.8);
    for (double &c : cdf) c /= z;
  }
  const uint64_t quarter = std::max<uint64_t>(pages / 4, 1);
  for (uint64_t t = 0; t < n; ++t) {
    uint64_t p = 0;
    switch (shape) {
      case Shape::kUniform:
        p = rng.next() % pages;
        break;
      case Shape::kZipf: {
        double u = static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
        p = static_cast<uint64_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
        p = (std::min(p, pages - 1) * 0x9E3779B1u) % pages;  // hot pages not adjacent
        break;
      }
      case Shape::kLoop:
        p = rng.next() % 16 == 0 ? rng.next() % pages : t % pages;
        break;
      case Shape::kPhased: {
        uint64_t phase = t * 4 / std::max<uint64_t>(n, 1);
        p = (phase * quarter / 2 + rng.next() % quarter) % pages;
        break;
      }
    }
    s[t] = p;
  }
  return s;
}

}  // namespace hpmm::sim::test
