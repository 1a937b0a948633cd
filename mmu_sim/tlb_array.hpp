// mmu_sim/tlb_array.hpp: one set-associative translation cache: sets x ways entries, any counts
// (1536 = 128 x 12, or 12 sets), set = vpn mod sets.  Used for each L1 array, the unified L2 and
// the page-walk caches.
//
// Layout: flat arrays indexed by slot = set * ways + way.
//   tag[slot]   the key of the cached translation, or kInvalidTag (no real key equals it)
//   data[slot]  what the entry caches (the MMU stores frame << 1 | dirty)
// Invariants (valid()): within a set the valid tags are distinct; the policy's state is valid.
// A fill uses the lowest invalid way of the set if there is one, else the policy's victim; the
// victim is dropped (nothing moves between levels).  Not thread-safe: one per simulated core.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bits.hpp"
#include "base/check.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/tlb_replacement.hpp"

namespace hpmm::sim {

inline constexpr uint64_t kInvalidTag = ~uint64_t{0};

// The simulator's per-translation path is a handful of small functions; inline them all.
#define HPMM_INLINE [[gnu::always_inline]] inline

// vpn mod sets for 64-bit page numbers: a mask for powers of two, FastMod while the number fits
// in 32 bits (every 4 KiB page below 16 TiB), a division beyond.
class SetIndex {
 public:
  explicit SetIndex(uint32_t sets) : pow2_(is_pow2(sets)), mask_(sets - 1), mod_(sets) {}
  HPMM_INLINE uint32_t operator()(uint64_t vpn) const {
    if (HPMM_LIKELY(pow2_)) return static_cast<uint32_t>(vpn & mask_);
    if (HPMM_LIKELY(vpn <= UINT32_MAX)) return mod_.reduce(static_cast<uint32_t>(vpn));
    return static_cast<uint32_t>(vpn % mod_.divisor());
  }

 private:
  bool pow2_;      // sets is a power of two (1 included): mask
  uint32_t mask_;  // sets - 1
  FastMod mod_;
};

template <TlbReplacementPolicy R>
class TlbArray {
 public:
  struct Evicted {
    bool any;      // a valid entry was replaced
    uint64_t tag;  // its tag
  };

  TlbArray(TlbShape shape, uint64_t seed)
      : sets_(shape.sets),
        ways_(shape.ways),
        index_(shape.sets),
        tag_(shape.entries(), kInvalidTag),
        data_(shape.entries(), 0),
        policy_(shape.sets, shape.ways, seed) {
    HPMM_CHECK(shape.present(), "TlbArray: sets and ways must be >= 1");
  }

  uint32_t sets() const { return sets_; }
  uint32_t ways() const { return ways_; }
  HPMM_INLINE uint32_t set_of(uint64_t vpn) const { return index_(vpn); }

  // The slot holding tag in set, or -1.  Does not touch the replacement state.  Scans every way
  // without an early exit: the trip count is always `ways`, so the only branch that depends on
  // the data is hit-or-miss (random hits over the ways would otherwise mispredict the exit).
  HPMM_INLINE int64_t find(uint32_t set, uint64_t tag) const {
    const uint64_t base = uint64_t{set} * ways_;
    const uint64_t *t = &tag_[base];
    int64_t way = -1;
    for (uint32_t w = 0; w < ways_; ++w) way = t[w] == tag ? static_cast<int64_t>(w) : way;
    return way < 0 ? -1 : static_cast<int64_t>(base) + way;
  }
  // find() and, on a hit, tell the policy.
  HPMM_INLINE int64_t lookup(uint32_t set, uint64_t tag) {
    int64_t slot = find(set, tag);
    if (slot >= 0) policy_.on_hit(set, static_cast<uint32_t>(slot - int64_t{set} * ways_));
    return slot;
  }
  uint64_t data(int64_t slot) const { return data_[slot]; }
  uint64_t &data(int64_t slot) { return data_[slot]; }
  uint64_t tag(int64_t slot) const { return tag_[slot]; }

  // Places tag (absent from the set) with its data; returns the slot and what it replaced.
  int64_t fill(uint32_t set, uint64_t tag, uint64_t data, Evicted *evicted) {
    HPMM_ASSERT(find(set, tag) < 0 && tag != kInvalidTag);
    const uint64_t base = uint64_t{set} * ways_;
    uint32_t way = ways_;
    if constexpr (!R::kVictimPrefersInvalid) {
      for (uint32_t w = 0; w < ways_; ++w)
        if (tag_[base + w] == kInvalidTag) {
          way = w;
          break;
        }
    }
    if (way == ways_) way = policy_.victim(set);
    const uint64_t slot = base + way;
    if (evicted) *evicted = {tag_[slot] != kInvalidTag, tag_[slot]};
    tag_[slot] = tag;
    data_[slot] = data;
    policy_.on_fill(set, way);
    return static_cast<int64_t>(slot);
  }

  // Removes tag from set if present; returns whether it was.
  bool invalidate(uint32_t set, uint64_t tag) {
    int64_t slot = find(set, tag);
    if (slot < 0) return false;
    tag_[slot] = kInvalidTag;
    policy_.on_invalidate(set, static_cast<uint32_t>(slot - int64_t{set} * ways_));
    return true;
  }

  uint64_t valid_entries() const {
    uint64_t n = 0;
    for (uint64_t t : tag_) n += t != kInvalidTag;
    return n;
  }

  bool valid() const {
    if (tag_.size() != uint64_t{sets_} * ways_ || data_.size() != tag_.size()) return false;
    for (uint64_t base = 0; base < tag_.size(); base += ways_)
      for (uint32_t i = 0; i < ways_; ++i)
        for (uint32_t j = i + 1; j < ways_; ++j)
          if (tag_[base + i] != kInvalidTag && tag_[base + i] == tag_[base + j]) return false;
    return policy_.valid();
  }

 private:
  uint32_t sets_, ways_;
  SetIndex index_;
  std::vector<uint64_t> tag_;
  std::vector<uint64_t> data_;
  R policy_;
};

}  // namespace hpmm::sim
