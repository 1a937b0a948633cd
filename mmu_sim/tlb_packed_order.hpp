// mmu_sim/tlb_packed_order.hpp: lru and fifo for the unified L2 (STLB) as one word per set, the
// set's ways in replacement order, so that a victim is one load instead of a min over the ways'
// stamps (tlb_replacement.hpp's StampReplacement, which the L1 arrays keep: their hit path is a
// single stamp store).  Same victims as StampReplacement<kTouchOnHit>, step for step.
//
// For ways <= 15, per set a 64-bit word w:
//   nibble i of w, i < ways:  the way in position i of the order; the nibbles 0 .. ways-1 hold a
//                             permutation of 0 .. ways-1
//   nibble 15:                c = the number of invalid ways, c <= ways
//   positions 0 .. c-1 hold the invalid ways in ascending way order, positions c .. ways-1 the
//   valid ways from the least to the most recently used (lru: filled or hit; fifo: filled).
// That is StampReplacement's order (invalid ways have stamp 0, the first smallest stamp is the
// victim): victim = nibble 0.  A touch (fill, or lru's hit) moves the way to position ways-1; a
// fill takes the victim, so an invalid way when c > 0 (c drops by one); an invalidation moves
// the way into the invalid prefix at its place in way order (c grows by one).
// Wider sets (16 ways and more) use StampReplacement itself.  Not thread-safe: one per TLB.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/tlb_replacement.hpp"

namespace hpmm::sim {

template <bool kTouchOnHit>
class PackedOrderReplacement {
 public:
  static constexpr bool kVictimPrefersInvalid = true;
  static constexpr uint32_t kMaxWays = 15;  // nibble 15 holds the invalid count

  PackedOrderReplacement(uint32_t sets, uint32_t ways, uint64_t seed)
      : ways_(ways),
        top_(4 * (ways - 1)),
        ones_(ways > kMaxWays ? 0 : kOnes >> (64 - 4 * ways)),
        body_(ones_ * 15),
        order_(ways > kMaxWays ? 0 : sets, initial(ways)),
        wide_(ways > kMaxWays ? sets : 0, ways, seed) {}

  void on_hit(uint32_t set, uint32_t way) {
    if constexpr (kTouchOnHit) {
      if (HPMM_UNLIKELY(ones_ == 0)) return wide_.on_hit(set, way);
      touch(set, way, 0);
    }
  }
  // A fill takes the victim, the way in position 0: the order's body moves down one nibble.
  void on_fill(uint32_t set, uint32_t way) {
    if (HPMM_UNLIKELY(ones_ == 0)) return wide_.on_fill(set, way);
    HPMM_ASSERT(way == victim(set));
    order_[set] = filled(order_[set]);
  }
  // victim(set) and on_fill(set, it) in one step: the way a fill takes (kWays: unused, the
  // StampReplacement interface).
  template <uint32_t kWays = 0>
  [[gnu::always_inline]] uint32_t take(uint32_t set) {
    if (HPMM_UNLIKELY(ones_ == 0)) return wide_.take(set);
    const uint64_t o = order_[set];
    order_[set] = filled(o);
    return static_cast<uint32_t>(o & 15);
  }
  void on_invalidate(uint32_t set, uint32_t way) {
    if (HPMM_UNLIKELY(ones_ == 0)) return wide_.on_invalidate(set, way);
    const uint64_t o = order_[set];
    const uint32_t c = static_cast<uint32_t>(o >> 60);
    uint64_t body = without(o & body_mask(), position(o, way));
    // Its place among the invalid ways (ascending): after those below it.
    uint32_t k = 0;
    while (k < c && ((body >> (4 * k)) & 15) < way) ++k;
    const uint64_t below = body & ((uint64_t{1} << (4 * k)) - 1);
    body = below | uint64_t{way} << (4 * k) | (body & ~below) << 4;
    order_[set] = body | uint64_t{c + 1} << 60;
  }
  uint32_t victim(uint32_t set) const {
    if (HPMM_UNLIKELY(ones_ == 0)) return wide_.victim(set);
    return static_cast<uint32_t>(order_[set] & 15);
  }

  struct Hot {  // the L2's hits are off the batch loop's hit path: no state in locals
    PackedOrderReplacement *self;
    [[gnu::always_inline]] void hit(uint32_t set, uint32_t way, uint64_t) {
      self->on_hit(set, way);
    }
  };
  Hot hot() { return {this}; }
  void hot_out(const Hot &) {}

  bool valid() const {
    if (ones_ == 0) return wide_.valid();
    for (uint64_t o : order_) {
      const uint32_t c = static_cast<uint32_t>(o >> 60);
      if (c > ways_ || (o & ~body_mask() & ~(uint64_t{15} << 60)) != 0) return false;
      uint32_t seen = 0;
      for (uint32_t i = 0; i < ways_; ++i) {
        const uint32_t w = (o >> (4 * i)) & 15;
        if (w >= ways_ || (seen >> w & 1)) return false;
        if (i > 0 && i < c && w < ((o >> (4 * (i - 1))) & 15)) return false;  // prefix ascending
        seen |= 1u << w;
      }
    }
    return true;
  }

 private:
  static constexpr uint64_t kOnes = 0x1111111111111111ull;
  // Nibble i = i: every way invalid, in way order.
  static uint64_t initial(uint32_t ways) {
    if (ways > kMaxWays) return 0;
    uint64_t o = uint64_t{ways} << 60;
    for (uint32_t i = 0; i < ways; ++i) o |= uint64_t{i} << (4 * i);
    return o;
  }
  uint64_t body_mask() const { return body_; }
  // The order o after a fill of its victim (nibble 0): the other ways move down one position,
  // the victim becomes the most recent, and the invalid count drops by one if it was not 0.
  HPMM_INLINE uint64_t filled(uint64_t o) const {
    // Every way valid (the usual case once the set has filled): the count stays 0.
    if (HPMM_LIKELY(o >> 60 == 0)) return o >> 4 | (o & 15) << top_;
    const uint64_t dec = uint64_t{1} << 60;
    return ((o & ~body_) - dec) | (o & body_) >> 4 | (o & 15) << top_;
  }
  // 4 x the position of way in o: the lowest nibble of o ^ (way in every nibble) that is zero
  // (the borrow trick flags every zero nibble, and above the lowest, maybe others: the lowest is
  // exact).  Nibbles past the ways are zero in the xor too, but lie above the way's.
  HPMM_INLINE uint32_t position(uint64_t o, uint32_t way) const {
    const uint64_t x = (o & body_mask()) ^ (ones_ * way);
    const uint64_t z = (x - ones_) & ~x & (ones_ << 3);
    HPMM_ASSERT(z != 0);
    return static_cast<uint32_t>(std::countr_zero(z)) & ~3u;
  }
  // body with the nibble at bit p removed, those above it moved down one.
  HPMM_INLINE static uint64_t without(uint64_t body, uint32_t p) {
    const uint64_t low = body & ((uint64_t{1} << p) - 1);
    return low | (body >> p >> 4) << p;
  }
  // Moves way to the most recent position; subtracts dec (c << 60 units) from the count.
  HPMM_INLINE void touch(uint32_t set, uint32_t way, uint64_t dec) {
    const uint64_t o = order_[set];
    const uint64_t body = without(o & body_mask(), position(o, way));
    order_[set] = ((o & ~body_mask()) - dec) | body | uint64_t{way} << top_;
  }

  uint32_t ways_;
  uint32_t top_;   // 4 * (ways - 1): the most recent position's bit
  uint64_t ones_;  // 1 in each of the ways' nibbles; 0: wide sets (wide_ holds the state)
  uint64_t body_;  // ones_ * 15: the ways' nibbles
  std::vector<uint64_t> order_;
  StampReplacement<kTouchOnHit> wide_;  // sets of more than kMaxWays ways
};

using TlbPackedLru = PackedOrderReplacement<true>;
using TlbPackedFifo = PackedOrderReplacement<false>;
static_assert(TlbReplacementPolicy<TlbPackedLru>);
static_assert(TlbReplacementPolicy<TlbPackedFifo>);

// The L2's policy for the L1s' policy R: the packed order for lru and fifo (the same victims),
// R itself for plru and random.
template <class R>
struct TlbL2Policy {
  using type = R;
};
template <>
struct TlbL2Policy<TlbLru> {
  using type = TlbPackedLru;
};
template <>
struct TlbL2Policy<TlbFifo> {
  using type = TlbPackedFifo;
};

}  // namespace hpmm::sim
