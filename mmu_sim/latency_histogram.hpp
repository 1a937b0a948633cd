// mmu_sim/latency_histogram.hpp: durations in nanoseconds, kept as a log-linear histogram
// (16 exact buckets below 16 ns, then 8 buckets per power of two), for medians and tails of real
// swap I/O.  A quantile is reported as its bucket's midpoint: relative error <= 1/16.
//
// Invariants (valid()): count() == sum of bucket counts;  min() <= max() when count() > 0.
// Not thread-safe: one owner.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace hpmm::sim {

class LatencyHistogram {
 public:
  static constexpr int kSub = 8;  // buckets per power of two
  static constexpr int kBuckets = 16 + (64 - 4) * kSub;

  void add(uint64_t ns) {
    ++buckets_[index(ns)];
    ++count_;
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }
  uint64_t count() const { return count_; }

  // The q-quantile (0 <= q <= 1) in nanoseconds; 0 when empty.
  double quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1));  // 0-based
    for (int i = 0; i < kBuckets; ++i) {
      if (rank < buckets_[i]) {
        double lo = static_cast<double>(low(i)), hi = static_cast<double>(low(i + 1));
        double mid = i < 16 ? lo : (lo + hi) / 2;
        if (mid < static_cast<double>(min_)) mid = static_cast<double>(min_);
        if (mid > static_cast<double>(max_)) mid = static_cast<double>(max_);
        return mid;
      }
      rank -= buckets_[i];
    }
    return static_cast<double>(max_);
  }

  bool valid() const {
    uint64_t n = 0;
    for (uint64_t b : buckets_) n += b;
    return n == count_ && (count_ == 0 || min_ <= max_);
  }

  static int index(uint64_t ns) {
    if (ns < 16) return static_cast<int>(ns);
    const int e = 63 - std::countl_zero(ns);  // >= 4
    const int sub = static_cast<int>((ns >> (e - 3)) & (kSub - 1));
    return 16 + (e - 4) * kSub + sub;
  }
  // The smallest value of bucket i (i == kBuckets: past the last).
  static uint64_t low(int i) {
    if (i < 16) return static_cast<uint64_t>(i);
    if (i >= kBuckets) return ~uint64_t{0};
    const int e = 4 + (i - 16) / kSub, sub = (i - 16) % kSub;
    return (uint64_t{1} << e) + (static_cast<uint64_t>(sub) << (e - 3));
  }

 private:
  std::vector<uint64_t> buckets_ = std::vector<uint64_t>(kBuckets, 0);
  uint64_t count_ = 0;
  uint64_t min_ = ~uint64_t{0};
  uint64_t max_ = 0;
};

}  // namespace hpmm::sim
