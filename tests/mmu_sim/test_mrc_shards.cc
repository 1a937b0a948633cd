// tests/mmu_sim/test_mrc_shards.cc: the SHARDS estimate against the exact LRU curve.  The mean
// absolute error of the miss ratio over 100 frame counts stays below 0.02 (0.03 for a loop) with
// about 10^4 sampled pages, for uniform, zipf, looping and phased strings of 2^20 references,
// fixed-rate and fixed-size; R = 1 reproduces the exact curve; the sample is the
// expected fraction of pages; fixed size never tracks more pages than allowed; bins merge
// without losing weight; bad parameters are refused.
#include <criterion/criterion.h>

#include <cmath>
#include <csignal>
#include <string>
#include <vector>

#include "mmu_sim/mrc_shards.hpp"
#include "tests/mmu_sim/test_mrc_sources.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {
std::vector<uint64_t> keys_of(const std::vector<uint64_t> &pages) {
  std::vector<uint64_t> k(pages.size());
  for (size_t i = 0; i < pages.size(); ++i) k[i] = pages[i] << 12;
  return k;
}
}  // namespace

// About 10^4 sampled pages: R = 0.02 of 2^19 pages (R = 0.01 of 2^20 pages behaves the same;
// bench/mrc_speed.cc measures it on 10^8 references).  A loop's curve is a single step at the
// loop's length, which the estimate places at K / R for the K pages sampled, off by K's relative
// deviation from R * pages (~1 / sqrt(K)), and SHARDS_adj adds as much again to the hits: the
// loop is the worst case, with its own bound.
Test(mrc_shards, error_bound_with_ten_thousand_sampled_pages) {
  const uint64_t pages = uint64_t{1} << 19, n = uint64_t{1} << 20;
  for (Shape shape : kShapes) {
    auto refs = keys_of(reference_string(shape, pages, n, 31));
    FaultCurve exact = lru_fault_curve(refs);
    MissRatioEstimate rate = shards_estimate(refs, ShardsParams{0.02, 0, true});
    MissRatioEstimate size = shards_estimate(refs, ShardsParams{0.1, 10000, true});
    double e_rate = mean_absolute_error(exact, rate, 100);
    double e_size = mean_absolute_error(exact, size, 100);
    cr_log_info("%s: MAE fixed-rate %.4f (%lu pages sampled), fixed-size %.4f (R = %.4f)",
                name_of(shape), e_rate, rate.sampled_pages(), e_size, size.rate());
    const double bound = shape == Shape::kLoop ? 0.03 : 0.02;
    cr_assert_lt(e_rate, bound, "%s fixed-rate MAE %.4f", name_of(shape), e_rate);
    cr_assert_lt(e_size, bound, "%s fixed-size MAE %.4f", name_of(shape), e_size);
    cr_assert_eq(rate.references(), n);
    cr_assert_gt(rate.sampled_pages(), 5000u);
    cr_assert_leq(size.sampled_pages(), 10000u);
    cr_assert_gt(size.sampled_pages(), 5000u);
    cr_assert(size.rate() > 0.01 && size.rate() < 0.05, "R = %f", size.rate());
    // The curve is a miss ratio: 1 with no memory, non-increasing.
    cr_assert_float_eq(rate.miss_ratio(0), 1.0, 1e-9);
    for (uint64_t f = 1; f < pages; f += pages / 64)
      cr_assert_leq(rate.miss_ratio(f + pages / 64), rate.miss_ratio(f) + 1e-12);
  }
}

Test(mrc_shards, full_rate_is_exact) {
  auto refs = keys_of(reference_string(Shape::kZipf, 3000, 60000, 32));
  FaultCurve exact = lru_fault_curve(refs);
  for (bool adjust : {true, false}) {
    MissRatioEstimate e = shards_estimate(refs, ShardsParams{1.0, 0, adjust});
    cr_assert_eq(e.sampled_references(), refs.size());
    cr_assert_eq(e.sampled_pages(), exact.distinct());
    cr_assert_float_eq(e.rate(), 1.0, 1e-15);
    for (uint64_t f = 0; f <= exact.frames_for_all() + 3; f += 7) {
      cr_assert_float_eq(e.miss_ratio(f), exact.miss_ratio(f), 1e-9, "F=%lu", f);
      cr_assert_float_eq(e.faults(f), static_cast<double>(exact.faults(f)), 1e-6, "F=%lu", f);
    }
  }
}

// The sample is a fixed random subset of the pages of about R of them.
Test(mrc_shards, samples_the_expected_fraction_of_pages) {
  std::vector<uint64_t> refs;
  for (uint64_t p = 0; p < 200000; ++p) refs.push_back(p << 12);
  for (double r : {0.5, 0.1, 0.01}) {
    MissRatioEstimate e = shards_estimate(refs, ShardsParams{r, 0, true});
    double want = r * 200000, sd = std::sqrt(want * (1 - r));
    cr_assert(std::fabs(static_cast<double>(e.sampled_pages()) - want) < 5 * sd, "R=%f: %lu pages",
              r, e.sampled_pages());
    cr_assert_eq(e.sampled_references(), e.sampled_pages());
  }
}

// Fixed size: never more than max_keys pages tracked, R only falls, memory bounded.
Test(mrc_shards, fixed_size_bounds_pages) {
  ShardsParams p{0.5, 300, true};
  p.max_bins = 4096;
  ShardsBuilder b(p);
  Xoshiro256 rng(33);
  size_t bytes_at_10k = 0;
  for (uint64_t t = 0; t < 200000; ++t) {
    b.ref(rng.below32(100000) << 12);
    if (t == 10000) bytes_at_10k = b.bytes();
    if (t % 20000 == 0) {
      MissRatioEstimate e = b.estimate();
      cr_assert_leq(e.sampled_pages(), 300u);
    }
  }
  MissRatioEstimate e = b.estimate();
  cr_assert_eq(e.sampled_pages(), 300u);
  cr_assert(e.rate() < 0.01 && e.rate() > 0.001, "R = %f", e.rate());
  // Pages tracked and histogram bins are both bounded: memory does not grow with the string.
  cr_assert_leq(b.bytes(), bytes_at_10k + 2 * 4096 * sizeof(double), "memory grew");
}

// Few bins: pairs merge, the curve keeps its shape at the coarser resolution.
Test(mrc_shards, bins_merge) {
  auto refs = keys_of(reference_string(Shape::kUniform, 5000, 100000, 34));
  FaultCurve exact = lru_fault_curve(refs);
  ShardsParams p{1.0, 0, true};
  p.max_bins = 64;
  MissRatioEstimate e = shards_estimate(refs, p);
  cr_assert_geq(e.bin_frames(), 5000.0 / 64);
  cr_assert_leq(e.max_frames(), 2 * 5000 + 2 * static_cast<uint64_t>(e.bin_frames()));
  cr_assert_lt(mean_absolute_error(exact, e, 100), 0.01);
  cr_assert_float_eq(e.miss_ratio(0), 1.0, 1e-9);
}

Test(mrc_shards, empty_string) {
  MissRatioEstimate e = shards_estimate(std::span<const uint64_t>(), ShardsParams{});
  cr_assert_eq(e.references(), 0u);
  cr_assert_eq(e.sampled_references(), 0u);
  cr_assert_float_eq(e.miss_ratio(10), 1.0, 1e-12);
}

Test(mrc_shards, parameters_validated) {
  const double rates[] = {0.0, 1.5, NAN, -0.5, 1e-30, 0.01, 1.0};
  const char *want[] = {"rate: must be in (0, 1]",
                        "rate: must be in (0, 1]",
                        "rate: must be in (0, 1]",
                        "rate: must be in (0, 1]",
                        "rate: too small",
                        "",
                        ""};
  for (int i = 0; i < 7; ++i) {
    std::string got = ShardsParams{rates[i], 0, true}.validate();
    cr_assert_str_eq(got.c_str(), want[i], "rate %g", rates[i]);
  }
  ShardsParams p;
  p.max_bins = 1;
  std::string got = p.validate();
  cr_assert_str_eq(got.c_str(), "max-bins: must be in [2, 2^28]");
}

Test(mrc_shards, bad_parameters_abort, .signal = SIGABRT) {
  ShardsBuilder b(ShardsParams{-1.0, 0, true});
}
