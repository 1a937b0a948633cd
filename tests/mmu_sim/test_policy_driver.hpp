// tests/mmu_sim/test_policy_driver.hpp: a small MMU stand-in for the tests of the scan-resistant
// policies (2Q, ARC, LIRS, active/inactive): page -> frame in a std::unordered_map, a FrameTable
// built with the policy's parameters, faults and victims recorded; and the generated workloads
// the model tests and property tests share.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/policy_2q.hpp"
#include "mmu_sim/policy_active_inactive.hpp"
#include "mmu_sim/policy_arc.hpp"
#include "mmu_sim/policy_lirs.hpp"
#include "mmu_sim/policy_random.hpp"

namespace hpmm::sim::test {

template <class P>
class PolicyDriver {
 public:
  template <class... A>
  explicit PolicyDriver(uint32_t nframes, A &&...policy_args)
      : table_(nframes, 1, std::forward<A>(policy_args)...) {}

  // One reference at position t_ (counted here).  Returns true on a fault.
  bool ref(uint64_t key) {
    uint64_t t = t_++;
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
    }
    where_[key] = p.frame;
    return true;
  }

  bool unmap(uint64_t key) {
    auto it = where_.find(key);
    if (it == where_.end()) return false;
    table_.release(it->second);
    where_.erase(it);
    return true;
  }

  uint64_t run(std::span<const uint64_t> string) {
    uint64_t before = faults_;
    for (uint64_t k : string) ref(k);
    return faults_ - before;
  }

  uint64_t faults() const { return faults_; }
  const std::vector<uint64_t> &victim_keys() const { return victim_keys_; }
  FrameTable<P> &table() { return table_; }
  P &policy() { return table_.policy(); }
  bool resident(uint64_t key) const { return where_.count(key) != 0; }
  uint32_t frame_of(uint64_t key) const { return where_.at(key); }

 private:
  FrameTable<P> table_;
  std::unordered_map<uint64_t, uint32_t> where_;
  std::vector<uint64_t> victim_keys_;
  uint64_t faults_ = 0;
  uint64_t t_ = 0;
};

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
