// mmu_sim/mrc_shards.cc: SHARDS sampling and its estimate (mrc_shards.hpp).
#include "mmu_sim/mrc_shards.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"

namespace hpmm::sim {

namespace {
constexpr double kTwo64 = 18446744073709551616.0;  // 2^64
}  // namespace

std::string ShardsParams::validate() const {
  if (!(rate > 0 && rate <= 1)) return "rate: must be in (0, 1]";
  if (rate * kTwo64 < 1) return "rate: too small";
  if (max_bins < 2 || max_bins > (size_t{1} << 28)) return "max-bins: must be in [2, 2^28]";
  return "";
}

ShardsBuilder::ShardsBuilder(const ShardsParams &p)
    : p_(p), limit_(0), rate_(p.rate), sd_(p.max_keys + (p.max_keys != 0)), bins_(1, 0.0) {
  HPMM_CHECK(p.validate().empty(), "ShardsBuilder: invalid parameters (validate() first)");
  // Pages with hash <= limit_ = R * 2^64 - 1 are sampled (R = 1: every page).
  double t = std::ldexp(p.rate, 64);
  limit_ = t >= kTwo64 ? UINT64_MAX : static_cast<uint64_t>(t) - 1;
  rate_ = (static_cast<double>(limit_) + 1) / kTwo64;
  if (p.max_keys != 0) heap_.reserve(p.max_keys + 1);
}

void ShardsBuilder::sampled(uint64_t key, uint64_t h) {
  ++sampled_;
  const double weight = 1 / rate_;
  uint64_t d = sd_.ref(key);
  if (d != kColdMiss) {
    add(static_cast<double>(d) / rate_, weight);
    return;
  }
  cold_ += weight;
  total_ += weight;
  if (p_.max_keys == 0) return;
  heap_.emplace_back(h, key);
  std::push_heap(heap_.begin(), heap_.end());
  if (heap_.size() <= p_.max_keys) return;
  // Too many pages: stop sampling the one with the largest hash (and any tied with it).
  limit_ = heap_.front().first - 1;
  while (!heap_.empty() && heap_.front().first > limit_) {
    std::pop_heap(heap_.begin(), heap_.end());
    sd_.forget(heap_.back().second);
    heap_.pop_back();
  }
  rate_ = (static_cast<double>(limit_) + 1) / kTwo64;
}

void ShardsBuilder::add(double scaled, double weight) {
  total_ += weight;
  // Bin b holds (b * bin_, (b + 1) * bin_].
  double b = std::ceil(scaled / bin_) - 1;
  while (b >= static_cast<double>(p_.max_bins)) {
    for (size_t i = 0; i < bins_.size(); ++i) {
      double v = bins_[i];
      bins_[i] = 0;
      bins_[i / 2] += v;
    }
    bins_.resize((bins_.size() + 1) / 2);
    bin_ *= 2;
    b = std::ceil(scaled / bin_) - 1;
  }
  auto i = static_cast<size_t>(std::max(b, 0.0));
  if (i >= bins_.size()) bins_.resize(i + 1, 0.0);
  bins_[i] += weight;
}

MissRatioEstimate ShardsBuilder::estimate() const {
  MissRatioEstimate e;
  e.n_ = n_;
  e.sampled_ = sampled_;
  e.pages_ = sd_.distinct();
  e.rate_ = rate_;
  e.bin_ = bin_;
  if (sampled_ == 0) {  // nothing sampled (an empty or tiny string): no information
    e.miss_.assign(1, 1.0);
    e.floor_ = 1.0;
    return e;
  }
  std::vector<double> w = bins_;
  double total = total_;
  if (p_.adjust) {
    w[0] += static_cast<double>(n_) - total_;
    total = static_cast<double>(n_);
  }
  // miss_[b] = (cold + weight of bins >= b) / total: the misses of a memory of b * bin frames.
  e.miss_.assign(w.size(), 0.0);
  double above = cold_;
  e.floor_ = std::clamp(above / total, 0.0, 1.0);
  for (size_t b = w.size(); b-- > 0;) {
    above += w[b];
    e.miss_[b] = std::clamp(above / total, 0.0, 1.0);
  }
  return e;
}

size_t ShardsBuilder::bytes() const {
  return sd_.bytes() + heap_.capacity() * sizeof(heap_[0]) + bins_.capacity() * sizeof(double);
}

double MissRatioEstimate::miss_ratio(uint64_t frames) const {
  const double x = static_cast<double>(frames) / bin_;
  const auto b = static_cast<size_t>(x);
  if (b >= miss_.size()) return floor_;
  const double lo = miss_[b], hi = b + 1 < miss_.size() ? miss_[b + 1] : floor_;
  return lo + (hi - lo) * (x - static_cast<double>(b));
}

MissRatioEstimate shards_estimate(std::span<const uint64_t> refs, const ShardsParams &p) {
  ShardsBuilder b(p);
  b.ref(refs);
  return b.estimate();
}

std::string shards_estimate(PageRefSource &refs, const ShardsParams &p, MissRatioEstimate *out) {
  std::string err = p.validate();
  if (!err.empty()) return err;
  ShardsBuilder b(p);
  err = for_each_ref_batch(refs, [&](std::span<const uint64_t> keys) { b.ref(keys); });
  *out = b.estimate();
  return err;
}

double mean_absolute_error(const FaultCurve &exact, const MissRatioEstimate &est, int points) {
  HPMM_CHECK(points >= 1, "mean_absolute_error: points must be >= 1");
  const uint64_t top = std::max<uint64_t>(exact.frames_for_all(), 1);
  double sum = 0;
  for (int i = 1; i <= points; ++i) {
    uint64_t f =
        std::max<uint64_t>(1, top * static_cast<uint64_t>(i) / static_cast<uint64_t>(points));
    sum += std::fabs(exact.miss_ratio(f) - est.miss_ratio(f));
  }
  return sum / points;
}

}  // namespace hpmm::sim
