// mmu_sim/mrc_shards.hpp: an estimate of the LRU miss-ratio curve by spatial sampling, SHARDS
// (Waldspurger, Park, Garthwaite, Ahmad, "Efficient MRC Construction with SHARDS", FAST 2015),
// for strings too long or too wide for the exact pass of mrc.hpp.
//
// A page is sampled when h(page) < T, h a 64-bit hash independent of the maps' (so the sample
// is a uniform random subset of the pages, fixed per page); R = T / 2^64 is the sampling rate.
// Only sampled references reach an exact LruStackDistance; a distance d among the sampled pages
// estimates d / R among all pages, and each sampled reference stands for 1 / R references.
//   fixed rate  T fixed: memory ~ R * distinct pages.
//   fixed size  at most max_keys sampled pages: when one more would be tracked, the page with
//               the largest hash is dropped and T lowered to that hash, so R only falls; each
//               reference is weighted by 1 / R at its time, which is the paper's rescaling of
//               the histogram by R_new / R_old.  Memory bounded by max_keys.
//   adjust      (SHARDS_adj) the sampled references' weight W differs from the true count N
//               when the sample holds too many or too few hot pages; N - W is added to the
//               smallest distance, as the paper does.  On by default.
// The histogram has bins of `bin` frames over the scaled distance; bin b holds (b*bin,
// (b+1)*bin], starting with bin = 1 and doubling (merging pairs) whenever more than max_bins
// (2^20) would be needed, so memory stays bounded and the resolution is max distance / 2^19 at
// worst.
// miss_ratio(F) interpolates linearly inside F's bin (exact at F = multiples of bin).
//
// Error: the estimate is a ratio over the K ~ R * D sampled pages (D distinct pages), so its
// error falls as 1 / sqrt(K), whatever the length of the string.  The sharpest curve is a loop's
// (one step at D): the step lands at K / R, off by K's relative deviation from R * D, and
// SHARDS_adj then adds about as much again to the hits.  Measured mean absolute error of the
// miss ratio over 100 evenly spaced frame counts (tests/mmu_sim/test_mrc_shards.cc,
// bench/mrc_speed.cc):
//   K ~ 10^4 (R = 0.02 of 2^19 pages; R = 0.01 of 2^20):  zipf(0.8) <= 0.01, phased <= 0.01,
//     uniform <= 0.016, loop <= 0.024 (3 seeds)
//   R = 0.01 on 10^8 references over 2^20 and 2^22 pages:  0.004-0.005
//   K ~ 1300 (R = 0.01 of 2^17 pages):  up to 0.05 (loop, phased)
// Rule of thumb: MAE <= 2.5 / sqrt(K); keep K >= 10^4 for errors within 0.01-0.02.  Fixed size
// with max_keys = K behaves like fixed rate with the same K (its R settles at ~K / D).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mmu_sim/mrc.hpp"

namespace hpmm::sim {

struct ShardsParams {
  double rate = 0.01;     // R (fixed rate) or the initial R (fixed size), in (0, 1]
  uint64_t max_keys = 0;  // 0: fixed rate; else fixed size with at most this many sampled pages
  bool adjust = true;     // SHARDS_adj
  size_t max_bins = size_t{1} << 20;  // histogram bins before they are merged pairwise (>= 2)

  // "" when usable, else what is wrong, naming the field.
  std::string validate() const;
};

// The estimated LRU curve.
class MissRatioEstimate {
 public:
  double miss_ratio(uint64_t frames) const;
  double faults(uint64_t frames) const { return miss_ratio(frames) * static_cast<double>(n_); }
  uint64_t references() const { return n_; }
  uint64_t sampled_references() const { return sampled_; }
  uint64_t sampled_pages() const { return pages_; }  // sampled pages tracked at the end
  double rate() const { return rate_; }              // R at the end
  double bin_frames() const { return bin_; }
  // The largest scaled distance seen (frames beyond which the curve is flat), rounded up to bins.
  uint64_t max_frames() const {
    return static_cast<uint64_t>(bin_ * static_cast<double>(miss_.size()));
  }

 private:
  friend class ShardsBuilder;
  uint64_t n_ = 0, sampled_ = 0, pages_ = 0;
  double rate_ = 1, bin_ = 1;
  std::vector<double> miss_;  // miss_[b]: estimated miss ratio at F = b * bin_
  double floor_ = 0;          // the miss ratio past the last bin (cold misses)
};

class ShardsBuilder {
 public:
  explicit ShardsBuilder(const ShardsParams &p);  // p must be valid (checked)

  void ref(uint64_t key) {
    ++n_;
    uint64_t h = sample_hash(key);
    if (h <= limit_) sampled(key, h);
  }
  void ref(std::span<const uint64_t> keys) {
    for (uint64_t k : keys) ref(k);
  }
  MissRatioEstimate estimate() const;
  uint64_t references() const { return n_; }
  size_t bytes() const;

  // The sampling hash: splitmix64 of a salted key, independent of KeyMap's mix64(key).
  static uint64_t sample_hash(uint64_t key) { return mix64(key ^ 0x5deece66d2b3c4a1ull); }

 private:
  void sampled(uint64_t key, uint64_t h);
  void add(double scaled_distance, double weight);

  ShardsParams p_;
  uint64_t limit_;  // pages with sample_hash <= limit_ are sampled: T = limit_ + 1
  double rate_;     // R = T / 2^64
  LruStackDistance sd_;
  std::vector<std::pair<uint64_t, uint64_t>> heap_;  // fixed size: max-heap of (hash, key)
  std::vector<double> bins_;                         // weight per scaled-distance bin
  double bin_ = 1;
  double cold_ = 0;   // weight of first references
  double total_ = 0;  // weight of all sampled references
  uint64_t n_ = 0, sampled_ = 0;
};

MissRatioEstimate shards_estimate(std::span<const uint64_t> refs, const ShardsParams &p);
// Streams a source to its end; returns "" or the source's error.
std::string shards_estimate(PageRefSource &refs, const ShardsParams &p, MissRatioEstimate *out);

// Mean absolute difference of the miss ratios at `points` frame counts evenly spaced over
// [1, exact.frames_for_all()] (for tests and benchmarks).
double mean_absolute_error(const FaultCurve &exact, const MissRatioEstimate &est, int points);

}  // namespace hpmm::sim
