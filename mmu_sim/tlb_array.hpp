// mmu_sim/tlb_array.hpp: one set-associative translation cache: sets x ways entries, any counts
// (1536 = 128 x 12, or 12 sets), set = vpn mod sets.  Used for each L1 array and the unified L2.
//
// Layout: one block of 32-bit words per set; lanes = ways rounded up to a multiple of 4:
//   lo[lane], hi[lane]  the entry's tag in halves, tag = hi << 32 | lo; an invalid entry (and
//                       every lane >= ways) holds lo = hi = 0xffffffff, i.e. kInvalidTag (no real
//                       key equals it: keys are below 2^48)
//   data[lane]          what the entry caches (the MMU stores frame << 1 | dirty; frames < 2^31)
// block(set) = base + set * stride words, stride = 3 * lanes (16 for 4 ways: the base is 64-byte
// aligned, so a set of the usual L1 is one cache line, with 16 spare bytes).  A search compares
// the low halves 4 lanes at once (one SSE2 compare) and then the high half of each candidate:
// keys that share a low half are rare, and handled exactly.
// slot = set * ways + way names an entry (the policies index their state by it).
// Invariants (valid()): within a set the valid tags are distinct; lanes >= ways are invalid; the
// policy's state is valid.  A fill uses the lowest invalid way of the set if there is one, else
// the policy's victim; the victim is dropped (nothing moves between levels).  Not thread-safe:
// one per simulated core.
#pragma once

#include <algorithm>
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

// The blocks' geometry and the search of one set: plain data, which a batch loop copies into its
// locals (registers) as a Probe.
struct TlbGeometry {
  uint32_t *base;   // block(0), 64-byte aligned
  SetIndex index;   // vpn -> set
  uint32_t ways;    // >= 1
  uint32_t lanes;   // ways rounded up to a multiple of 4
  uint32_t stride;  // words per block: 3 * lanes, or 16 when lanes == 4
  uint32_t mask16;  // lanes <= 16: bits 0 .. ways - 1

  HPMM_INLINE uint32_t set_of(uint64_t vpn) const { return index(vpn); }
  HPMM_INLINE uint32_t *block(uint32_t set) const { return base + uint64_t{set} * stride; }
  // The data word of slot, which lies in set.
  HPMM_INLINE uint32_t *data_at(uint32_t set, int64_t slot) const {
    return block(set) + 2 * lanes + static_cast<uint32_t>(slot - int64_t{set} * ways);
  }
  HPMM_INLINE uint64_t tag_at(uint32_t set, uint32_t lane) const {
    const uint32_t *b = block(set);
    return uint64_t{b[lanes + lane]} << 32 | b[lane];
  }
  // Bit i: lane first + i of block b holds the low half lo (first: a multiple of 4).
  HPMM_INLINE static unsigned match_lo4(const uint32_t *b, uint32_t first, uint32_t lo) {
#if defined(__SSE2__)
    const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i *>(b + first));
    const __m128i e = _mm_cmpeq_epi32(v, _mm_set1_epi32(static_cast<int>(lo)));
    return static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(e)));
#else
    unsigned m = 0;
    for (unsigned i = 0; i < 4; ++i) m |= unsigned{b[first + i] == lo} << i;
    return m;
#endif
  }
  // The slot holding tag in set, or -1.  Does not touch the replacement state.  The low halves
  // are compared 4 lanes at a time into a mask (64 lanes per round; lanes >= ways masked off),
  // then the candidates' high halves one by one (nearly always one candidate or none).
  HPMM_INLINE int64_t find(uint32_t set, uint64_t tag) const {
    const uint32_t *b = block(set);
    const uint32_t lo = static_cast<uint32_t>(tag), hi = static_cast<uint32_t>(tag >> 32);
    if (HPMM_LIKELY(lanes <= 16)) {  // the usual shapes (4, 8, 12, 16 lanes): no loop
      unsigned m = match_lo4(b, 0, lo);
      if (lanes > 4) m |= match_lo4(b, 4, lo) << 4;
      if (lanes > 8) m |= match_lo4(b, 8, lo) << 8;
      if (lanes > 12) m |= match_lo4(b, 12, lo) << 12;
      const uint32_t *const his = b + lanes;
      for (m &= mask16; m != 0; m &= m - 1) {
        const uint32_t way = static_cast<uint32_t>(std::countr_zero(m));
        if (his[way] == hi) return int64_t{set} * ways + way;
      }
      return -1;
    }
    return find_wide(b, set, lo, hi);
  }
  // find() for more than 16 lanes.
  [[gnu::noinline]] int64_t find_wide(const uint32_t *b, uint32_t set, uint32_t lo,
                                      uint32_t hi) const {
    for (uint32_t first = 0; first < ways; first += 64) {
      uint64_t m = 0;
      const uint32_t end = std::min(lanes, first + 64);
      for (uint32_t l = first; l < end; l += 4) m |= uint64_t{match_lo4(b, l, lo)} << (l - first);
      if (ways - first < 64) m &= (uint64_t{1} << (ways - first)) - 1;
      for (; m != 0; m &= m - 1) {
        const uint32_t way = first + static_cast<uint32_t>(std::countr_zero(m));
        if (b[lanes + way] == hi) return int64_t{set} * ways + way;
      }
    }
    return -1;
  }
};

template <TlbReplacementPolicy R>
class TlbArray {
 public:
  struct Evicted {
    bool any;       // a valid entry was replaced
    uint64_t tag;   // its tag
    uint32_t data;  // its data word
  };

  TlbArray(TlbShape shape, uint64_t seed)
      : sets_(shape.sets),
        ways_(shape.ways),
        store_(storage_words(shape), kInvalidHalf),
        g_(geometry(store_, shape)),
        policy_(shape.sets, shape.ways, seed) {
    for (uint32_t set = 0; set < sets_; ++set)
      for (uint32_t l = 0; l < g_.lanes; ++l) g_.block(set)[2 * g_.lanes + l] = 0;
  }
  TlbArray(const TlbArray &) = delete;  // g_ points into store_
  TlbArray &operator=(const TlbArray &) = delete;

  uint32_t sets() const { return sets_; }
  uint32_t ways() const { return ways_; }
  HPMM_INLINE uint32_t set_of(uint64_t vpn) const { return g_.set_of(vpn); }
  // set_of() when the set count is a power of two.
  HPMM_INLINE uint32_t set_pow2(uint64_t vpn) const {
    HPMM_ASSERT(g_.index.pow2());
    return g_.index.masked(vpn);
  }

  // The slot holding tag in set, or -1.  Does not touch the replacement state.
  HPMM_INLINE int64_t find(uint32_t set, uint64_t tag) const { return g_.find(set, tag); }

  // What find() reads, copied out of the array: a batch loop holds it in locals (registers), where
  // the members would be reloaded after every store through the policies' arrays (the compiler
  // cannot tell those stores from stores to the members).  Valid while the array lives: its
  // storage is sized once, in the constructor, and never reallocates.
  struct Probe : TlbGeometry {
    // The usual L1 shape: a power-of-two set count and 4 ways.  Then set_of is a mask, and a set
    // is one 64-byte line: lo in words 0..3, hi in 4..7, data in 8..11.
    bool fast() const { return index.pow2() && ways == 4; }
    HPMM_INLINE uint32_t set_small(uint64_t vpn) const { return index.masked(vpn); }
    HPMM_INLINE uint32_t *line(uint32_t set) const { return base + (uint64_t{set} << 4); }
    // fast(): bit w set <=> way w of set holds t (0: absent).
    HPMM_INLINE unsigned match4(uint32_t set, uint64_t t) const {
      const int64_t s = find(set, t);
      return s < 0 ? 0u : 1u << (s - int64_t{set} * 4);
    }
  };
  Probe probe() const { return {g_}; }
  // The policy's hit-path view (tlb_replacement.hpp): h.hit(set, way, slot) is on_hit(set, slot)
  // with the policy's state in locals; hot_out(h) before any other call on the array.
  using Hot = typename R::Hot;
  HPMM_INLINE Hot hot() { return policy_.hot(); }
  HPMM_INLINE void hot_out(const Hot &h) { policy_.hot_out(h); }
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
  // The data word of slot, in set (valid while the array lives).
  HPMM_INLINE uint32_t *entry(uint32_t set, int64_t slot) { return g_.data_at(set, slot); }
  // By slot alone (tests and reports: a division).
  uint32_t data(int64_t slot) const { return *g_.data_at(set_of_slot(slot), slot); }
  uint64_t tag(int64_t slot) const {
    const uint32_t set = set_of_slot(slot);
    return g_.tag_at(set, static_cast<uint32_t>(slot - int64_t{set} * ways_));
  }

  // Places tag (absent from the set) with its data; returns the slot and what it replaced.
  int64_t fill(uint32_t set, uint64_t tag, uint32_t data, Evicted *evicted) {
    Evicted ev;
    const uint32_t *d = place(set, tag, data, &ev);
    if (evicted) *evicted = ev;
    return int64_t{set} * ways_ + (d - g_.block(set) - 2 * g_.lanes);
  }
  // fill(), returning the new entry's data word (valid while the array lives).  kLine: the array
  // has the usual L1 shape (Probe::fast(): 4 ways, a set one 64-byte line), which the geometry
  // then takes as constants.
  template <bool kLine = false>
  HPMM_INLINE uint32_t *place(uint32_t set, uint64_t tag, uint32_t data, Evicted *evicted) {
    HPMM_ASSERT(find(set, tag) < 0 && tag != kInvalidTag);
    HPMM_ASSERT(!kLine || (g_.lanes == 4 && ways_ == 4 && g_.stride == 16));
    const uint32_t lanes = kLine ? 4 : g_.lanes, ways = kLine ? 4 : ways_;
    uint32_t *b = kLine ? g_.base + (uint64_t{set} << 4) : g_.block(set);
    uint32_t way;
    if constexpr (R::kVictimPrefersInvalid && requires { policy_.take(set); }) {
      way = policy_.template take < kLine ? 4 : 0 > (set);  // the victim, an invalid way first
    } else {
      way = ways;
      if constexpr (!R::kVictimPrefersInvalid) {
        for (uint32_t w = 0; w < ways; ++w)
          if ((b[w] & b[lanes + w]) == kInvalidHalf) {
            way = w;
            break;
          }
      }
      if (way == ways) way = policy_.victim(set);
      policy_.on_fill(set, way);
    }
    // The way's three words (pointers: indexes as 32-bit sums would be widened each time).
    uint32_t *const lo = b + way, *const hi = lo + lanes, *const d = hi + lanes;
    // A valid key's high half is never all ones (keys are below 2^48).
    *evicted = {*hi != kInvalidHalf, uint64_t{*hi} << 32 | *lo, *d};
    *lo = static_cast<uint32_t>(tag);
    *hi = static_cast<uint32_t>(tag >> 32);
    *d = data;
    return d;
  }

  // Removes tag from set if present; returns whether it was.
  bool invalidate(uint32_t set, uint64_t tag) {
    const int64_t slot = find(set, tag);
    if (slot < 0) return false;
    const uint32_t way = static_cast<uint32_t>(slot - int64_t{set} * ways_);
    uint32_t *b = g_.block(set);
    b[way] = b[g_.lanes + way] = kInvalidHalf;
    policy_.on_invalidate(set, way);
    return true;
  }

  uint64_t valid_entries() const {
    uint64_t n = 0;
    for (uint32_t set = 0; set < sets_; ++set)
      for (uint32_t w = 0; w < ways_; ++w) n += g_.tag_at(set, w) != kInvalidTag;
    return n;
  }

  bool valid() const {
    if (reinterpret_cast<uintptr_t>(g_.base) % 64 != 0 || g_.ways != ways_ ||
        g_.lanes != align_up(ways_, 4) || g_.stride < 3 * g_.lanes ||
        (g_.lanes <= 16 && g_.mask16 != (1u << ways_) - 1) ||
        g_.base + uint64_t{sets_} * g_.stride > store_.data() + store_.size())
      return false;
    for (uint32_t set = 0; set < sets_; ++set) {
      for (uint32_t l = ways_; l < g_.lanes; ++l)
        if (g_.tag_at(set, l) != kInvalidTag) return false;  // lanes past the ways
      for (uint32_t i = 0; i < ways_; ++i) {
        const uint64_t t = g_.tag_at(set, i);
        if (t == kInvalidTag) continue;
        if ((t >> 32) == kInvalidHalf) return false;  // a key's high half is never all ones
        for (uint32_t j = i + 1; j < ways_; ++j)
          if (g_.tag_at(set, j) == t) return false;
      }
    }
    return policy_.valid();
  }

 private:
  static constexpr uint32_t kInvalidHalf = ~uint32_t{0};
  uint32_t set_of_slot(int64_t slot) const { return static_cast<uint32_t>(slot / ways_); }
  static uint32_t lanes_of(TlbShape s) { return static_cast<uint32_t>(align_up(s.ways, 4)); }
  static uint32_t stride_of(TlbShape s) { return lanes_of(s) == 4 ? 16 : 3 * lanes_of(s); }
  // The blocks, and 15 spare words: the base is rounded up to 64 bytes inside the vector.
  static uint64_t storage_words(TlbShape s) {
    HPMM_CHECK(s.present(), "TlbArray: sets and ways must be >= 1");
    return uint64_t{s.sets} * stride_of(s) + 15;
  }
  static TlbGeometry geometry(std::vector<uint32_t> &store, TlbShape s) {
    uint32_t *base = store.data();
    base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64 / sizeof(uint32_t);
    return {base,        SetIndex(s.sets), s.ways,
            lanes_of(s), stride_of(s),     s.ways >= 16 ? 0xffffu : (1u << s.ways) - 1};
  }

  uint32_t sets_, ways_;
  std::vector<uint32_t> store_;  // the blocks, from g_.base
  TlbGeometry g_;
  R policy_;
};

}  // namespace hpmm::sim
