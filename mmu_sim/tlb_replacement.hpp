// mmu_sim/tlb_replacement.hpp: replacement within one set of a set-associative TLB array (or of a
// page-walk cache): the concept and its four policies lru, plru, fifo, random.
//
// The array (tlb_array.hpp) fills an invalid way first, in way order; the policy is asked for a
// victim only when every way of the set is valid.  Each policy keeps per-set state of the form:
//   lru, fifo:  stamp[set][way] = the array-wide clock when the way was last used (lru: filled or
//               hit; fifo: filled), 0 when invalid; the victim is the first way with the smallest
//               stamp.  Stamps of the valid ways of a set are distinct and >= 1.  The clock counts
//               in steps of 16 (stamp % 16 == 0), so stamp | way orders the ways of a set of up to
//               16 ways by (stamp, way) without a shift.
//   plru:       tree pseudo-LRU over ways 0..ways-1 for any way count: internal node n splits its
//               range [lo,hi) at mid = lo + (hi-lo+1)/2; bit[n] = 1 means "the victim is on the
//               right"; a hit or fill of way w points every node on w's path away from w.  With
//               up to 65 ways (one word of node bits) that is bits = (bits & ~mask[w]) | val[w],
//               the path's nodes and values precomputed per way.
//   random:     a seeded xorshift64* generator; victim = next() mod ways.
// Touching the way that was touched last is a no-op for the replacement order of every policy (the
// MMU's last-translation memo relies on this).
//
// The hit path's view (Hot): hot() copies out what a hit touches (the array pointers, lru's clock)
// so a batch loop holds it in locals (registers): a store through the policy's array would
// otherwise force the compiler to reload the policy's members (lru: the clock, loaded, bumped and
// stored back on every hit).  h.hit(set, way, slot), slot = set * ways + way, does exactly what
// on_hit(set, way) does; hot_out(h) writes the view's state back.  Between hot() and hot_out() the
// caller uses no other member function (a miss, a fill, a shootdown: hot_out first, hot() after).
// Not thread-safe: one TLB per simulated core.
#pragma once

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/check.hpp"

namespace hpmm::sim {

template <class R>
concept TlbReplacementPolicy =
    std::constructible_from<R, uint32_t, uint32_t, uint64_t> &&  // (sets, ways, seed)
    requires(R r, const R cr, uint32_t set, uint32_t way) {
  r.on_hit(set, way);         // a lookup hit this way
  r.on_fill(set, way);        // a new entry was placed in this way
  r.on_invalidate(set, way);  // the entry in this way was removed
  // The way to replace.  kVictimPrefersInvalid: victim() itself returns the lowest invalid way
  // when there is one; otherwise the array calls it only when every way is valid.
  { r.victim(set) } -> std::same_as<uint32_t>;
  { R::kVictimPrefersInvalid } -> std::convertible_to<bool>;
  { cr.valid() } -> std::same_as<bool>;
  typename R::Hot;  // the hit path's view (file comment)
  { r.hot() } -> std::same_as<typename R::Hot>;
  r.hot_out(r.hot());
  r.hot().hit(set, way, uint64_t{});
};

// lru (kTouchOnHit) and fifo (!kTouchOnHit): one stamp per way; an invalid way has stamp 0, so
// the victim (the first smallest stamp) is the lowest invalid way when there is one.
template <bool kTouchOnHit>
class StampReplacement {
 public:
  static constexpr bool kVictimPrefersInvalid = true;
  StampReplacement(uint32_t sets, uint32_t ways, uint64_t /*seed*/)
      : ways_(ways), stamp_(uint64_t{sets} * ways, 0) {}
  void on_hit(uint32_t set, uint32_t way) { on_hit_slot(uint64_t{set} * ways_ + way); }
  // on_hit(slot / ways, slot % ways): the array's slot indexes the stamps directly.
  void on_hit_slot(uint64_t slot) {
    if constexpr (kTouchOnHit) stamp_[slot] = clock_ += kStep;
  }
  void on_fill(uint32_t set, uint32_t way) {
    stamp_[uint64_t{set} * ways_ + way] = clock_ += kStep;
  }
  void on_invalidate(uint32_t set, uint32_t way) { stamp_[uint64_t{set} * ways_ + way] = 0; }
  // victim(set) and on_fill(set, it) in one step: the way a fill takes.  kWays: the set's way
  // count when the caller knows it at compile time (== ways_), 0 when not.
  template <uint32_t kWays = 0>
  [[gnu::always_inline]] uint32_t take(uint32_t set) {
    HPMM_ASSERT(kWays == 0 || kWays == ways_);
    uint64_t *s = &stamp_[uint64_t{set} * (kWays ? kWays : ways_)];
    uint32_t way;
    if constexpr (kWays != 0)
      way = first_min<kWays>(s);
    else
      way = victim(set);
    s[way] = clock_ += kStep;
    return way;
  }
  struct Hot {
    uint64_t *stamp;  // stamp_.data()
    uint64_t clock;   // clock_
    [[gnu::always_inline]] void hit(uint32_t, uint32_t, uint64_t slot) {
      if constexpr (kTouchOnHit) stamp[slot] = clock += kStep;
    }
  };
  Hot hot() { return {stamp_.data(), clock_}; }
  void hot_out(const Hot &h) { clock_ = h.clock; }
  uint32_t victim(uint32_t set) const {
    const uint64_t *s = &stamp_[uint64_t{set} * ways_];
    switch (ways_) {  // the usual shapes: no loop
      case 4:
        return first_min<4>(s);
      case 8:
        return first_min<8>(s);
      case 12:
        return first_min<12>(s);
      case 16:
        return first_min<16>(s);
      default:
        break;
    }
    uint32_t best = 0;
    uint64_t min = s[0];
    for (uint32_t w = 1; w < ways_; ++w) {  // branch-free: stamps are in no useful order
      const bool less = s[w] < min;
      best = less ? w : best;
      min = less ? s[w] : min;
    }
    return best;
  }
  bool valid() const {
    for (uint64_t v : stamp_)
      if (v > clock_ || v % kStep != 0) return false;
    return clock_ % kStep == 0;
  }

 private:
  // The first smallest of s[0 .. kN), kN <= 16: the smallest key stamp | way (stamps are
  // multiples of 16: keys are distinct, and order ties by way), a min of kN keys without a branch
  // (stamps are in no useful order).  2^60 touches (decades) would wrap the clock.
  template <uint32_t kN>
  [[gnu::always_inline]] static uint32_t first_min(const uint64_t *s) {
    static_assert(kN >= 1 && kN <= kStep);
    uint64_t best = s[0];
#pragma GCC unroll 16
    for (uint32_t w = 1; w < kN; ++w) best = std::min(best, s[w] | w);
    return static_cast<uint32_t>(best % kStep);
  }

  static constexpr uint64_t kStep = 16;  // the clock's step: room for a way number below it
  uint32_t ways_;
  uint64_t clock_ = 0;  // stamps are <= clock_
  std::vector<uint64_t> stamp_;
};

using TlbLru = StampReplacement<true>;
using TlbFifo = StampReplacement<false>;

// Tree pseudo-LRU for any number of ways (a power of two gives the textbook tree).  Node n's bit
// lives at bit pos(n) of the set's first word: pos(n) = n, except with 4 ways (the usual L1),
// where the set's word is 8 bytes and node 0 (the root) is byte 3, node 1 (ways 0|1) byte 1, node
// 2 (ways 2|3) byte 5, every other bit 0.  That layout makes a 4-way touch of way w one 32-bit
// store with no load: bytes [w, w+4) of the set's word := 0x01000100 << 8w (little endian), which
// writes exactly bytes 2w+1 and 2w+3 as 1 where they fall in [w, w+4) and the rest of the range
// as 0:  w=0: byte 1 (node 1: victim way 1) and byte 3 (root: victim on the right) := 1;  w=1:
// byte 1 := 0, byte 3 := 1;  w=2: byte 3 := 0, byte 5 (node 2: victim way 3) := 1;  w=3: bytes 3
// and 5 := 0.  Bytes 0, 2, 4, 6 and 7 are only ever written 0 (hit_4way; also the masked touch).
class TlbPlru {
  struct Path {
    uint64_t mask = 0;  // the bits of the nodes on the way's path (at their pos())
    uint64_t bits = 0;  // their values after a touch of the way
  };
  static_assert(std::endian::native == std::endian::little, "hit_4way's byte layout");
  static constexpr uint32_t kPos4[3] = {24, 8, 40};             // 4 ways: pos(node)
  static constexpr uint64_t kBits4 = 0x0000'0100'0100'0100ull;  // 4 ways: the bits in use
  static constexpr uint32_t kStore4 = 0x0100'0100u;  // 4 ways: a touch of way w stores this << 8w

 public:
  static constexpr bool kVictimPrefersInvalid = false;
  TlbPlru(uint32_t sets, uint32_t ways, uint64_t /*seed*/)
      : ways_(ways), words_(ways <= 1 ? 1 : (ways - 1 + 63) / 64), bits_(uint64_t{sets} * words_) {
    // The nodes a touch of way w sets, and their new bits, depend on w alone: with one word of
    // node bits per set (ways <= 65), record them per way, so a touch is one masked store.
    if (words_ == 1) {
      path_.resize(ways);
      for (uint32_t w = 0; w < ways; ++w) {
        uint64_t bits = 0;
        walk_path(w, [&](uint32_t node, bool right) {
          path_[w].mask |= uint64_t{1} << pos(node);
          bits |= uint64_t{right} << pos(node);
        });
        path_[w].bits = bits;
      }
    }
  }
  void on_hit(uint32_t set, uint32_t way) { touch(set, way); }
  void on_fill(uint32_t set, uint32_t way) { touch(set, way); }
  void on_invalidate(uint32_t, uint32_t) {}
  // One word of node bits per set (ways <= 65) keeps the hit one masked store; else the
  // general touch.  hit_4way: the same for an array the caller knows has 4 ways (one store).
  struct Hot {
    TlbPlru *self;
    uint64_t *bits;    // bits_.data()
    const Path *path;  // path_.data(), or null when words_ > 1
    [[gnu::always_inline]] void hit(uint32_t set, uint32_t way, uint64_t) {
      if (HPMM_LIKELY(path != nullptr)) {
        bits[set] = (bits[set] & ~path[way].mask) | path[way].bits;
        return;
      }
      self->touch(set, way);
    }
    [[gnu::always_inline]] void hit_4way(uint32_t set, uint32_t way) {
      HPMM_ASSERT(self->ways_ == 4 && way < 4);
      const uint32_t v = kStore4 << (8 * way);
      std::memcpy(reinterpret_cast<unsigned char *>(bits + set) + way, &v, sizeof v);
    }
  };
  Hot hot() { return {this, bits_.data(), words_ == 1 ? path_.data() : nullptr}; }
  void hot_out(const Hot &) {}
  uint32_t victim(uint32_t set) const {
    const uint64_t *b = &bits_[uint64_t{set} * words_];
    if (ways_ == 4) {  // the root (byte 3) picks a half, its node (byte 1 or 5) the way
      const uint64_t right = (b[0] >> kPos4[0]) & 1;
      return static_cast<uint32_t>(2 * right + ((b[0] >> (right ? kPos4[2] : kPos4[1])) & 1));
    }
    uint32_t lo = 0, hi = ways_, node = 0;
    while (hi - lo > 1) {
      uint32_t mid = lo + (hi - lo + 1) / 2;
      if ((b[node / 64] >> (node % 64)) & 1) {
        node += mid - lo;  // skip the left subtree's mid-lo-1 internal nodes, and this one
        lo = mid;
      } else {
        node += 1;
        hi = mid;
      }
    }
    return lo;
  }
  bool valid() const {
    if (words_ < 1 || bits_.size() % words_ != 0 || (words_ == 1 && path_.size() != ways_))
      return false;
    if (ways_ == 4)
      for (uint64_t b : bits_)
        if ((b & ~kBits4) != 0) return false;
    return true;
  }

 private:
  uint32_t pos(uint32_t node) const { return ways_ == 4 ? kPos4[node] : node; }
  void touch(uint32_t set, uint32_t way) {
    if (HPMM_LIKELY(words_ == 1)) {
      uint64_t &b = bits_[set];
      b = (b & ~path_[way].mask) | path_[way].bits;
      return;
    }
    uint64_t *b = &bits_[uint64_t{set} * words_];
    walk_path(way, [&](uint32_t node, bool right) {
      const uint64_t m = uint64_t{1} << (node % 64);
      b[node / 64] = (b[node / 64] & ~m) | (right ? m : 0);
    });
  }
  // Calls f(node, bit) for each internal node on way's path from the root: bit = the node's new
  // value, 1 (victim on the right) when way lies on the left, pointing the search away from way.
  template <class F>
  void walk_path(uint32_t way, F &&f) const {
    uint32_t lo = 0, hi = ways_, node = 0;
    while (hi - lo > 1) {  // branch-free steps: the path depends on the (random) way
      const uint32_t mid = lo + (hi - lo + 1) / 2;
      const bool left = way < mid;
      f(node, left);
      node += left ? 1 : mid - lo;
      lo = left ? lo : mid;
      hi = left ? mid : hi;
    }
  }
  uint32_t ways_;
  uint32_t words_;  // 64-bit words of node bits per set; ways-1 internal nodes
  std::vector<uint64_t> bits_;
  std::vector<Path> path_;  // per way, when words_ == 1
};

// Uniform random victim from a seeded generator (reproducible runs).
class TlbRandom {
 public:
  static constexpr bool kVictimPrefersInvalid = false;
  TlbRandom(uint32_t /*sets*/, uint32_t ways, uint64_t seed)
      : ways_(ways), state_(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {
    if (state_ == 0) state_ = 1;
  }
  void on_hit(uint32_t, uint32_t) {}
  void on_fill(uint32_t, uint32_t) {}
  void on_invalidate(uint32_t, uint32_t) {}
  struct Hot {  // a hit changes nothing
    [[gnu::always_inline]] void hit(uint32_t, uint32_t, uint64_t) {}
  };
  Hot hot() { return {}; }
  void hot_out(const Hot &) {}
  uint32_t victim(uint32_t /*set*/) {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<uint32_t>(((state_ * 0x2545F4914F6CDD1Dull) >> 32) % ways_);
  }
  bool valid() const { return state_ != 0 && ways_ >= 1; }

 private:
  uint32_t ways_;
  uint64_t state_;  // xorshift64* state, never 0
};

static_assert(TlbReplacementPolicy<TlbLru>);
static_assert(TlbReplacementPolicy<TlbFifo>);
static_assert(TlbReplacementPolicy<TlbPlru>);
static_assert(TlbReplacementPolicy<TlbRandom>);

}  // namespace hpmm::sim
