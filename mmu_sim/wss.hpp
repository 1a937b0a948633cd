// mmu_sim/wss.hpp: Denning's working set over a page-reference string (P. J. Denning, "The
// working set model for program behavior", CACM 1968; Denning and Schwartz, "Properties of the
// working-set model", CACM 1972), and lifetime curves.
//
// Positions t = 0, 1, ... number the references (reference_string.hpp).  The working set
// W(t, tau) is the set of distinct pages referenced in the window (t - tau, t], i.e. at positions
// max(0, t - tau + 1) .. t; w(t, tau) = |W(t, tau)|.
//
// WorkingSetSampler gives w(t, tau) for one tau at t = interval - 1, 2 * interval - 1, ...  It
// keeps page -> position of its latest reference (KeyMap) and one bit per window position, set
// when that position is its page's latest reference; w is the number of set bits, kept as a
// count.  O(1) per reference; memory O(distinct pages) + tau bits.
// Invariants (valid()): size_ == popcount(ring_) == #{pages whose latest reference is in the
// window};  for every page p with latest reference j > t - tau, ring_ bit j mod tau is set.
//
// WorkingSetCurve gives, for every tau in a list, the working-set policy's numbers: the policy
// keeps W(t, tau) resident, so the reference at t faults iff its page is not in W(t - 1, tau),
// i.e. its backward distance b = t - (previous reference to the page) exceeds tau, or it is the
// page's first reference.  Exactly, for a string of n references:
//   faults(tau)    = cold + #{references with b > tau}
//   sum_t w(t,tau) = sum over positions i of min(tau, f_i),  f_i = min(next(i), n) - i
// (each position i is counted by the windows ending at i .. i + f_i - 1 while it is its page's
// latest reference), and the f_i are the backward distances of all non-first references plus
// n - j for each page's last position j.  So one pass keeps, per interval between consecutive
// taus, the count and the sum of the distances falling in it: O(log #taus) per reference.
//
// A lifetime curve (Belady and Kuehner 1969; Denning) plots L = n / faults, the mean references
// between faults, against x, the mean resident frames: for the working-set policy x = the mean
// working-set size and the parameter is tau; for LRU (fault curve from mrc.hpp) x =
// FaultCurve::mean_resident(F) and the parameter is F.  Its knee marks where adding memory stops
// paying: the thrashing boundary.  Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mmu_sim/key_map.hpp"
#include "mmu_sim/mrc.hpp"

namespace hpmm::sim {

struct WssSample {
  uint64_t t;     // the window is (t - tau, t]
  uint64_t size;  // w(t, tau)
};

class WorkingSetSampler {
 public:
  // tau >= 1 and interval >= 1 (checked; validate them first with working_set_problem()).
  WorkingSetSampler(uint64_t tau, uint64_t interval);

  void ref(uint64_t key);
  void ref(std::span<const uint64_t> keys) {
    for (uint64_t k : keys) ref(k);
  }

  uint64_t tau() const { return tau_; }
  uint64_t references() const { return t_; }
  uint64_t current() const { return size_; }  // w(t, tau) at the latest reference (0 if none)
  const std::vector<WssSample> &samples() const { return samples_; }
  bool valid() const;

 private:
  uint64_t tau_, interval_;
  KeyMap<uint64_t> last_;       // page -> position of its latest reference
  std::vector<uint64_t> ring_;  // bit (j mod tau): position j is its page's latest reference
  uint64_t countdown_;          // references until the next sample
  uint64_t size_ = 0;
  uint64_t t_ = 0;     // references so far (the next position)
  uint64_t slot_ = 0;  // t_ mod tau_
  std::vector<WssSample> samples_;
};

// "" when a (tau, interval) pair is usable, else what is wrong.
std::string working_set_problem(uint64_t tau, uint64_t interval);

struct LifetimePoint {
  uint64_t param;         // tau (working set) or frames (LRU)
  uint64_t faults;        // cold misses included
  double mean_resident;   // x: mean working-set size, or mean frames holding a page
  double refs_per_fault;  // L = references / faults (0 for an empty string)
};

class WorkingSetCurve {
 public:
  // taus: >= 1 each (checked); sorted and deduplicated here.
  explicit WorkingSetCurve(std::vector<uint64_t> taus);

  void ref(uint64_t key) {
    const uint64_t t = n_++;
    const uint64_t prev = last_.put(key, t);
    if (prev == KeyMap<uint64_t>::kAbsent) {
      ++cold_;
      return;
    }
    add(t - prev);
  }
  void ref(std::span<const uint64_t> keys) {
    for (uint64_t k : keys) ref(k);
  }

  uint64_t references() const { return n_; }
  const std::vector<uint64_t> &taus() const { return taus_; }
  // One point per tau, in increasing tau, for the string so far.
  std::vector<LifetimePoint> points() const;

 private:
  void add(uint64_t distance);

  std::vector<uint64_t> taus_;
  KeyMap<uint64_t> last_;        // page -> position of its latest reference
  std::vector<uint64_t> count_;  // count_[m]: backward distances b with #{taus < b} == m
  std::vector<uint64_t> sum_;    // sum_[m]: their sum
  uint64_t cold_ = 0;
  uint64_t n_ = 0;
};

// The LRU lifetime curve at the given frame counts (each known() to the curve).
std::vector<LifetimePoint> lru_lifetime(const FaultCurve &c, std::span<const uint64_t> frames);

}  // namespace hpmm::sim
