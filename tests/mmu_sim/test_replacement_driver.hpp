// tests/mmu_sim/test_replacement_driver.hpp: a small MMU stand-in for the replacement tests.  It
// keeps page -> frame in a std::unordered_map, runs a reference string through a FrameTable, and
// records faults and the victims (page and frame) in order.  Also: the two classic strings.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/policy_clock.hpp"
#include "mmu_sim/policy_fifo.hpp"
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
  Driver(uint32_t nframes, uint64_t seed = 1) : table_(nframes, seed) {}

  // For OPT: the future of the string that run()/ref() will be given (kept alive here).
  void set_future(std::span<const uint64_t> string) {
    next_use_ = compute_next_use(string);
    table_.policy().set_future(next_use_);
  }

  // One reference at position t.  Returns true on a fault.
  bool ref(uint64_t key, uint64_t t) {
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

  // Unmaps a resident page; returns false if it was not resident.
  bool unmap(uint64_t key) {
    auto it = where_.find(key);
    if (it == where_.end()) return false;
    table_.release(it->second);
    where_.erase(it);
    return true;
  }

  // References string[0..] at positions 0.. and returns the fault count.
  uint64_t run(std::span<const uint64_t> string) {
    for (size_t t = 0; t < string.size(); ++t) ref(string[t], t);
    return faults_;
  }

  uint64_t faults() const { return faults_; }
  const std::vector<uint64_t> &victim_keys() const { return victim_keys_; }
  const std::vector<uint32_t> &victim_frames() const { return victim_frames_; }
  FrameTable<P> &table() { return table_; }
  bool resident(uint64_t key) const { return where_.count(key) != 0; }
  uint32_t frame_of(uint64_t key) const { return where_.at(key); }

 private:
  FrameTable<P> table_;
  std::unordered_map<uint64_t, uint32_t> where_;
  std::vector<uint64_t> next_use_;
  std::vector<uint64_t> victim_keys_;
  std::vector<uint32_t> victim_frames_;
  uint64_t faults_ = 0;
};

// Faults of a whole string under policy P with nframes frames.
template <class P>
uint64_t faults_of(std::span<const uint64_t> string, uint32_t nframes) {
  Driver<P> d(nframes);
  if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); }) d.set_future(string);
  uint64_t f = d.run(string);
  return d.table().valid() ? f : UINT64_MAX;
}

}  // namespace hpmm::sim::test
