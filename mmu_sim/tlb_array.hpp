// mmu_sim/tlb_array.hpp: one set-associative translation cache: sets x ways entries, any counts
// (1536 = 128 x 12, or 12 sets), set = vpn mod sets.  Used for each L1 array, the unified L2 and
// the page-walk caches.
//
// Layout: flat arrays indexed by slot = set * ways + way.
//   tag[slot]   the key of the cached translation, or kInvalidTag (no real key equals it);
//               tag[sets * ways + i], i < 3, is padding, always kInvalidTag (find() reads ahead)
//   data[slot]  what the entry caches (the MMU stores frame << 1 | dirty)
// Invariants (valid()): within a set the valid tags are distinct; the policy's state is valid.
// A fill uses the lowest invalid way of the set if there is one, else the policy's victim; the
// victim is dropped (nothing moves between levels).  Not thread-safe: one per simulated core.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

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
  bool pow2() const { return pow2_; }
  // operator() when pow2(): the mask alone.
  HPMM_INLINE uint32_t masked(uint64_t vpn) const { return static_cast<uint32_t>(vpn & mask_); }
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
        way_mask_(shape.ways >= 64 ? ~uint64_t{0} : (uint64_t{1} << shape.ways) - 1),
        tag_(shape.entries() + kPad, kInvalidTag),  // + the padding find() may read
        data_(shape.entries(), 0),
        policy_(shape.sets, shape.ways, seed) {
    HPMM_CHECK(shape.present(), "TlbArray: sets and ways must be >= 1");
  }

  uint32_t sets() const { return sets_; }
  uint32_t ways() const { return ways_; }
  HPMM_INLINE uint32_t set_of(uint64_t vpn) const { return index_(vpn); }

  // The slot holding tag in set, or -1 (find_in below).  Does not touch the replacement state.
  HPMM_INLINE int64_t find(uint32_t set, uint64_t tag) const {
    return find_in(tag_.data(), ways_, way_mask_, set, tag);
  }

  // What find() reads, copied out of the array: a batch loop holds it in locals (registers), where
  // the members would be reloaded after every store through the policies' arrays (the compiler
  // cannot tell those stores from stores to the members).  Valid while the array lives: its
  // vectors are sized once, in the constructor, and never reallocate.
  struct Probe {
    const uint64_t *tag;  // tag_.data()
    uint64_t *data;       // data_.data()
    SetIndex index;
    uint32_t ways;
    uint64_t way_mask;
    HPMM_INLINE uint32_t set_of(uint64_t vpn) const { return index(vpn); }
    HPMM_INLINE int64_t find(uint32_t set, uint64_t t) const {
      return find_in(tag, ways, way_mask, set, t);
    }
    // The usual L1 shape: a power-of-two set count and 4 ways, the tags 16-byte aligned (as
    // operator new aligns them; a set's 4 tags then fill two aligned 16-byte words).  Then set_of
    // is a mask and the set search match4, without tests on the shape.
    bool fast() const {
      return index.pow2() && ways == 4 && reinterpret_cast<uintptr_t>(tag) % 16 == 0;
    }
    HPMM_INLINE uint32_t set_small(uint64_t vpn) const { return index.masked(vpn); }
    // fast(): bit w set <=> way w of set holds t (0: absent).  Four 64-bit compares as eight
    // 32-bit ones; a way matches when both its halves do (shufps gathers the low and the high
    // halves).  Valid tags within a set are distinct: at most one bit is set.
    HPMM_INLINE unsigned match4(uint32_t set, uint64_t t) const {
      const uint64_t *s = tag + uint64_t{set} * 4;
#if defined(__SSE2__)
      const __m128i k = _mm_set1_epi64x(static_cast<int64_t>(t));
      const __m128i *v = reinterpret_cast<const __m128i *>(s);
      const __m128 e0 = _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_load_si128(v), k));
      const __m128 e1 = _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_load_si128(v + 1), k));
      const __m128 lo = _mm_shuffle_ps(e0, e1, _MM_SHUFFLE(2, 0, 2, 0));
      const __m128 hi = _mm_shuffle_ps(e0, e1, _MM_SHUFFLE(3, 1, 3, 1));
      return static_cast<unsigned>(_mm_movemask_ps(_mm_and_ps(lo, hi)));
#else
      unsigned m = 0;
      for (unsigned w = 0; w < 4; ++w) m |= unsigned{s[w] == t} << w;
      return m;
#endif
    }
  };
  Probe probe() {
    return {tag_.data(), data_.data(), index_, ways_, way_mask_};
  }
  // The policy's hit-path view (tlb_replacement.hpp): h.hit(set, way, slot) is on_hit(set, slot)
  // with the policy's state in locals; hot_out(h) before any other call on the array.
  using Hot = typename R::Hot;
  HPMM_INLINE Hot hot() {
    return policy_.hot();
  }
  HPMM_INLINE void hot_out(const Hot &h) {
    policy_.hot_out(h);
  }
  // Tells the policy of a hit on slot of set (what lookup() does after find()).
  HPMM_INLINE void on_hit(uint32_t set, int64_t slot) {
    if constexpr (requires { policy_.on_hit_slot(uint64_t{}); })
      policy_.on_hit_slot(static_cast<uint64_t>(slot));  // the same, without a multiply
    else
      policy_.on_hit(set, static_cast<uint32_t>(slot - int64_t{set} * ways_));
  }

  // find() and, on a hit, tell the policy.
  HPMM_INLINE int64_t lookup(uint32_t set, uint64_t tag) {
    int64_t slot = find(set, tag);
    if (slot >= 0) on_hit(set, slot);
    return slot;
  }
  uint64_t data(int64_t slot) const {
    return data_[slot];
  }
  uint64_t &data(int64_t slot) {
    return data_[slot];
  }
  uint64_t tag(int64_t slot) const {
    return tag_[slot];
  }

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
    for (uint64_t t : tag_) n += t != kInvalidTag;  // the padding entry never counts
    return n;
  }

  bool valid() const {
    const uint64_t n = uint64_t{sets_} * ways_;
    if (tag_.size() != n + kPad || data_.size() != n) return false;
    for (uint64_t i = n; i < tag_.size(); ++i)
      if (tag_[i] != kInvalidTag) return false;  // the padding
    for (uint64_t base = 0; base < n; base += ways_)
      for (uint32_t i = 0; i < ways_; ++i)
        for (uint32_t j = i + 1; j < ways_; ++j)
          if (tag_[base + i] != kInvalidTag && tag_[base + i] == tag_[base + j]) return false;
    return policy_.valid();
  }

 private:
  // The slot holding tag in set, or -1.  Does not touch the replacement state.  Scans every way
  // without an early exit or a branch per way: the trip count is always `ways`, so the only
  // branch that depends on the data is hit-or-miss (random hits over the ways would otherwise
  // mispredict).  Two ways per step with SSE2 (x86-64's baseline): a 64-bit compare is two 32-bit
  // compares and'ed with their swapped halves; the match bits gather in a mask.  Sets of up to 4
  // ways always compare 4.  tags has kPad padding entries at its end (kInvalidTag), so the
  // compares may run up to 3 ways past the last set; bits past `ways` are cleared.  Valid tags
  // within a set are distinct: at most one bit is set.
  HPMM_INLINE static int64_t find_in(const uint64_t *tags, uint32_t ways, uint64_t way_mask,
                                     uint32_t set, uint64_t tag) {
    const uint64_t base = uint64_t{set} * ways;
    const uint64_t *t = tags + base;
    if (HPMM_UNLIKELY(ways > 64)) return find_wide(t, ways, base, tag);
    uint64_t match = 0;
#if defined(__SSE2__)
    const __m128i k = _mm_set1_epi64x(static_cast<int64_t>(tag));
    auto pair = [&](uint32_t w) {  // bits 0, 1: t[w] == tag, t[w + 1] == tag
      const __m128i e =
          _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(t + w)), k);
      const __m128i both = _mm_and_si128(e, _mm_shuffle_epi32(e, 0xB1));
      return uint64_t{static_cast<uint32_t>(_mm_movemask_pd(_mm_castsi128_pd(both)))};
    };
    if (ways <= 4) {  // the usual L1 shapes: no loop
      match = (pair(0) | pair(2) << 2) & way_mask;
    } else {
      for (uint32_t w = 0; w < ways; w += 2) match |= pair(w) << w;
      match &= way_mask;
    }
#else
    for (uint32_t w = 0; w < ways; ++w) match |= uint64_t{t[w] == tag} << w;
#endif
    return match ? static_cast<int64_t>(base) + std::countr_zero(match) : -1;
  }
  // find() for sets of more than 64 ways (a mask cannot hold them).
  [[gnu::noinline]] static int64_t find_wide(const uint64_t *t, uint32_t ways, uint64_t base,
                                             uint64_t tag) {
    int64_t slot = -1;
    for (uint32_t w = 0; w < ways; ++w) slot = t[w] == tag ? static_cast<int64_t>(base + w) : slot;
    return slot;
  }

  static constexpr uint64_t kPad = 3;  // tag_ entries past the last set (see find)
  uint32_t sets_, ways_;
  SetIndex index_;
  uint64_t way_mask_;  // bits 0 .. min(ways, 64) - 1
  std::vector<uint64_t> tag_;
  std::vector<uint64_t> data_;
  R policy_;
};

}  // namespace hpmm::sim
