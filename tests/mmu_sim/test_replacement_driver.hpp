// tests/mmu_sim/test_replacement_driver.hpp: a small MMU stand-in for the replacement-policy
// tests: page -> frame in a std::unordered_map, a FrameTable (with the policy's parameters when
// given), faults and victims (page and frame) recorded in order.  Also the two classic strings
// and the generated workloads the model and property tests share.
#pragma once

#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/policy_2q.hpp"
#include "mmu_sim/policy_active_inactive.hpp"
#include "mmu_sim/policy_arc.hpp"
#include "mmu_sim/policy_clock.hpp"
#include "mmu_sim/policy_fifo.hpp"
#include "mmu_sim/policy_lirs.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "mmu_sim/policy_opt.hpp"
#include "mmu_sim/policy_random.hpp"

namespace hpmm::sim::test {

// Belady's anomaly string (Belady, Nelson, Shedler 1969) and the string of Silberschatz et al.,
// "Operating System Concepts", chapter 9.
inline const std::vector<uint64_t> kBeladyString = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
inline const std::vector<uint64_t> kTextbookString = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
                                                      0, 3, 2, 1, 2, 0, 1, 7, 0, 1};

template <class P>
class Driver {
 public:
  explicit Driver(uint32_t nframes, uint64_t seed = 1) : table_(nframes, seed) {}
  // A policy with parameters (P::Params), seed 1.
  template <class Q = P>
  Driver(uint32_t nframes, const typename Q::Params &params) : table_(nframes, 1, params) {}

  // For OPT: the future of the string that run()/ref() will be given (kept alive here).
  void set_future(std::span<const uint64_t> string) {
    next_use_ = compute_next_use(string);
    table_.policy().set_future(next_use_);
  }

  // One reference at position t (the next position is t + 1).  Returns true on a fault.
  bool ref(uint64_t key, uint64_t t) {
    t_ = t + 1;
    auto it = where_.find(key);
    if (it != where_.end()) {
      table_.touch(it->second, t);
      return false;
    }
    ++faults_;
    auto p = table_.place(key, t);
    if (p.evicted) {
      where_.erase(p.victim_key);
      victim_keys_.push_back(p.victim_key);
      victim_frames_.push_back(p.frame);
    }
    where_[key] = p.frame;
    return true;
  }
  // One reference at the next position (0 for the first).
  bool ref(uint64_t key) { return ref(key, t_); }

  // Unmaps a resident page; returns false if it was not resident.
  bool unmap(uint64_t key) {
    auto it = where_.find(key);
    if (it == where_.end()) return false;
    table_.release(it->second);
    where_.erase(it);
    return true;
  }

  // References the string at the next positions; returns the faults it took.
  uint64_t run(std::span<const uint64_t> string) {
    const uint64_t before = faults_;
    for (uint64_t k : string) ref(k);
    return faults_ - before;
  }

  uint64_t faults() const { return faults_; }
  const std::vector<uint64_t> &victim_keys() const { return victim_keys_; }
  const std::vector<uint32_t> &victim_frames() const { return victim_frames_; }
  FrameTable<P> &table() { return table_; }
  P &policy() { return table_.policy(); }
  bool resident(uint64_t key) const { return where_.count(key) != 0; }
  uint32_t frame_of(uint64_t key) const { return where_.at(key); }

 private:
  FrameTable<P> table_;
  std::unordered_map<uint64_t, uint32_t> where_;
  std::vector<uint64_t> next_use_;
  std::vector<uint64_t> victim_keys_;
  std::vector<uint32_t> victim_frames_;
  uint64_t faults_ = 0;
  uint64_t t_ = 0;  // the next position
};

// The MMU may touch the page a fault just placed, at the fault's t: no policy changes its
// choices because of it.  Runs string s through a Driver and through a FrameTable that touches
// every placed page at once, and checks both hold the same page in the same frame at every step.
// Returns the plain run's victims (so callers can check the string forced evictions).
template <class P>
uint64_t check_touch_after_place_is_harmless(const std::vector<uint64_t> &s, uint32_t nframes,
                                             uint64_t seed) {
  Driver<P> plain(nframes, seed);
  FrameTable<P> twice(nframes, seed);
  const std::vector<uint64_t> next_use = compute_next_use(s);
  if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); }) {
    plain.set_future(s);
    twice.policy().set_future(next_use);
  }
  std::unordered_map<uint64_t, uint32_t> where;
  for (uint64_t t = 0; t < s.size(); ++t) {
    plain.ref(s[t], t);
    auto it = where.find(s[t]);
    if (it == where.end()) {
      auto p = twice.place(s[t], t);
      if (p.evicted) where.erase(p.victim_key);
      where[s[t]] = p.frame;
      twice.touch(p.frame, t);
    } else {
      twice.touch(it->second, t);
    }
    cr_assert_eq(where.size(), twice.used());
    cr_assert_eq(where.at(s[t]), plain.frame_of(s[t]), "t=%lu", t);
  }
  cr_assert(twice.valid());
  return plain.victim_keys().size();
}

// Faults of a whole string under policy P with nframes frames.
template <class P>
uint64_t faults_of(std::span<const uint64_t> string, uint32_t nframes) {
  Driver<P> d(nframes);
  if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); }) d.set_future(string);
  uint64_t f = d.run(string);
  return d.table().valid() ? f : UINT64_MAX;
}

// One step of a generated workload: a reference to key, or the unmap of key if resident.
struct Step {
  uint64_t key;
  bool unmap;
};

inline uint64_t page_key(uint64_t page) {
  return (page << 12) | 0x5;
}  // looks like vpn | bits

// Workloads over `pages` distinct pages, with an unmap every ~unmap_every steps (0: none).
//   kind 0 uniform;  1 a drifting hot set (90% of references);  2 a loop with noise;
//   3 a hot set with one-time scans;  4 pages referenced in short bursts (recency)
inline std::vector<Step> workload(int kind, uint64_t pages, size_t length, uint64_t seed,
                                  uint64_t unmap_every) {
  Xoshiro256 rng(seed);
  std::vector<Step> out;
  uint64_t base = 0, pos = 0, scan = 1u << 20;
  while (out.size() < length) {
    if (unmap_every != 0 && rng.next() % unmap_every == 0) {
      out.push_back({page_key(rng.next() % pages), true});
      continue;
    }
    uint64_t hot = std::max<uint64_t>(pages / 4, 1);
    switch (kind) {
      case 0:
        out.push_back({page_key(rng.next() % pages), false});
        break;
      case 1:
        if (rng.next() % 500 == 0) base = rng.next() % pages;
        out.push_back({page_key(rng.next() % 10 != 0 ? (base + rng.next() % hot) % pages
                                                     : rng.next() % pages),
                       false});
        break;
      case 2:
        out.push_back({page_key(rng.next() % 8 != 0 ? pos++ % pages : rng.next() % pages), false});
        break;
      case 3:
        if (rng.next() % 300 == 0)  // a scan of fresh pages
          for (uint64_t i = 0, len = pages / 2 + rng.next() % pages; i < len; ++i)
            out.push_back({page_key(scan++), false});
        else
          out.push_back({page_key(rng.next() % hot), false});
        break;
      default: {
        uint64_t p = rng.next() % pages;
        for (uint64_t i = 0, len = 1 + rng.next() % 4; i < len; ++i)
          out.push_back({page_key(rng.next() % 3 == 0 ? rng.next() % pages : p), false});
        break;
      }
    }
  }
  out.resize(length);
  return out;
}

inline std::vector<uint64_t> refs_of(const std::vector<Step> &steps) {
  std::vector<uint64_t> r;
  for (const Step &s : steps)
    if (!s.unmap) r.push_back(s.key);
  return r;
}

}  // namespace hpmm::sim::test
