// mmu_sim/wss.cc: working-set sampling, the working-set policy's curve, lifetime curves
// (wss.hpp).
#include "mmu_sim/wss.hpp"

#include <algorithm>
#include <bit>

#include "base/check.hpp"

namespace hpmm::sim {

std::string working_set_problem(uint64_t tau, uint64_t interval) {
  if (tau == 0) return "tau: must be >= 1";
  if (tau > (uint64_t{1} << 40)) return "tau: must be <= 2^40";
  if (interval == 0) return "interval: must be >= 1";
  return "";
}

WorkingSetSampler::WorkingSetSampler(uint64_t tau, uint64_t interval)
    : tau_(tau), interval_(interval), countdown_(interval) {
  HPMM_CHECK(working_set_problem(tau, interval).empty(),
             "WorkingSetSampler: bad tau or interval (working_set_problem() first)");
  ring_.assign((tau_ + 63) / 64, 0);
}

void WorkingSetSampler::ref(uint64_t key) {
  const uint64_t t = t_++;
  const uint64_t slot = slot_;  // t mod tau
  slot_ = slot_ + 1 == tau_ ? 0 : slot_ + 1;
  uint64_t &w = ring_[slot >> 6];
  const uint64_t bit = uint64_t{1} << (slot & 63);
  if (w & bit) {  // position t - tau leaves the window while still its page's latest reference
    w &= ~bit;
    --size_;
  }
  const uint64_t prev = last_.put(key, t);
  if (prev != KeyMap<uint64_t>::kAbsent && prev + tau_ > t) {  // prev was in (t - tau, t)
    const uint64_t ps = prev % tau_;
    ring_[ps >> 6] &= ~(uint64_t{1} << (ps & 63));
    --size_;
  }
  w |= bit;
  ++size_;
  if (--countdown_ == 0) {
    samples_.push_back({t, size_});
    countdown_ = interval_;
  }
}

bool WorkingSetSampler::valid() const {
  uint64_t bits = 0;
  for (uint64_t w : ring_) bits += std::popcount(w);
  if (bits != size_) return false;
  uint64_t in_window = 0;
  bool ok = true;
  last_.for_each([&](uint64_t, const uint64_t &j) {
    if (j + tau_ >= t_) {  // j >= (t_ - 1) - tau + 1: inside the window of the latest position
      ++in_window;
      const uint64_t s = j % tau_;
      if (!((ring_[s >> 6] >> (s & 63)) & 1)) ok = false;
    }
  });
  return ok && in_window == size_;
}

WorkingSetCurve::WorkingSetCurve(std::vector<uint64_t> taus) : taus_(std::move(taus)) {
  std::sort(taus_.begin(), taus_.end());
  taus_.erase(std::unique(taus_.begin(), taus_.end()), taus_.end());
  HPMM_CHECK(taus_.empty() || taus_[0] >= 1, "WorkingSetCurve: every tau must be >= 1");
  count_.assign(taus_.size() + 1, 0);
  sum_.assign(taus_.size() + 1, 0);
}

void WorkingSetCurve::add(uint64_t distance) {
  const size_t m =
      static_cast<size_t>(std::lower_bound(taus_.begin(), taus_.end(), distance) - taus_.begin());
  ++count_[m];
  sum_[m] += distance;
}

std::vector<LifetimePoint> WorkingSetCurve::points() const {
  // Forward distances: the backward ones, plus n - j for each page's last position j.
  std::vector<uint64_t> count_f = count_;
  std::vector<unsigned __int128> sum_f(sum_.size());
  for (size_t m = 0; m < sum_.size(); ++m) sum_f[m] = sum_[m];
  last_.for_each([&](uint64_t, const uint64_t &j) {
    const uint64_t f = n_ - j;
    const size_t m =
        static_cast<size_t>(std::lower_bound(taus_.begin(), taus_.end(), f) - taus_.begin());
    ++count_f[m];
    sum_f[m] += f;
  });
  const size_t k_max = taus_.size();
  std::vector<LifetimePoint> out(k_max);
  // Suffix counts over buckets m > k, prefix sums over m <= k.
  uint64_t above_b = 0, above_f = 0;
  for (size_t m = 1; m <= k_max; ++m) {
    above_b += count_[m];
    above_f += count_f[m];
  }
  unsigned __int128 below_sum = 0;
  for (size_t k = 0; k < k_max; ++k) {
    below_sum += sum_f[k];
    const uint64_t tau = taus_[k];
    const uint64_t faults = cold_ + above_b;
    const unsigned __int128 size_sum = below_sum + static_cast<unsigned __int128>(tau) * above_f;
    const double n = static_cast<double>(n_);
    out[k] = LifetimePoint{tau, faults, n_ == 0 ? 0.0 : static_cast<double>(size_sum) / n,
                           faults == 0 ? 0.0 : n / static_cast<double>(faults)};
    above_b -= count_[k + 1];
    above_f -= count_f[k + 1];
  }
  return out;
}

std::vector<LifetimePoint> lru_lifetime(const FaultCurve &c, std::span<const uint64_t> frames) {
  std::vector<LifetimePoint> out;
  out.reserve(frames.size());
  for (uint64_t f : frames) {
    const uint64_t faults = c.faults(f);
    out.push_back(LifetimePoint{
        f, faults, c.mean_resident(f),
        faults == 0 ? 0.0 : static_cast<double>(c.references()) / static_cast<double>(faults)});
  }
  return out;
}

}  // namespace hpmm::sim
