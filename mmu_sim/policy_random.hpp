// mmu_sim/policy_random.hpp: random page replacement: the victim is drawn uniformly from the
// frames holding a page, by a seeded generator, so a run is reproducible for a seed.
//
// The generator is xoshiro256** (Blackman and Vigna, 2018), its state seeded from the 64-bit seed
// through splitmix64 as its authors recommend.  A frame number in [0, n) is drawn without bias
// by Lemire's multiply-and-reject method ("Fast random integer generation in an interval", 2019);
// a draw that lands on a free frame is redrawn (there is none when FrameTable asks for a victim,
// since every frame is full then).  Invariants:
//   tracks(f) <=> held_[f] != 0;   used_ == #{f : held_[f] != 0}
// on_access is a no-op; victim() is O(1) expected (O(n / used) draws).
// Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

// A small fast PRNG with 256 bits of state; deterministic for a seed.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t &w : s_) w = splitmix64(x);
  }

  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n >= 1, without modulo bias.
  uint32_t below(uint32_t n) {
    uint64_t m = (next() >> 32) * n;
    auto low = static_cast<uint32_t>(m);
    if (low < n) {
      uint32_t threshold = static_cast<uint32_t>(-n) % n;  // 2^32 mod n
      while (low < threshold) {
        m = (next() >> 32) * n;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }

  // splitmix64 (Steele, Lea, Flood 2014): advances x and returns a well-mixed word.
  static uint64_t splitmix64(uint64_t &x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

class RandomPolicy {
 public:
  RandomPolicy(uint32_t nframes, uint64_t seed) : n_(checked(nframes)), rng_(seed), held_(n_, 0) {}

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(frame < n_ && !held_[frame], "RandomPolicy::on_fill: frame holds a page");
    held_[frame] = 1;
    ++used_;
  }
  void on_access(uint32_t /*frame*/, uint64_t /*t*/) {}
  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(used_ > 0, "RandomPolicy::victim: no frame holds a page");
    uint32_t f = rng_.below(n_);
    while (!held_[f]) f = rng_.below(n_);
    held_[f] = 0;  // detached until on_fill places the new page here
    --used_;
    return f;
  }
  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < n_ && held_[frame], "RandomPolicy::on_free: frame holds no page");
    held_[frame] = 0;
    --used_;
  }

  bool tracks(uint32_t frame) const { return held_[frame] != 0; }
  uint32_t used() const { return used_; }
  bool valid() const {
    if (held_.size() != n_) return false;
    uint64_t held = 0;
    for (uint8_t h : held_) held += h != 0;
    return held == used_;
  }

 private:
  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "RandomPolicy: nframes must be in [1, 2^31]");
    return n;
  }

  uint32_t n_;
  uint32_t used_ = 0;
  Xoshiro256 rng_;
  std::vector<uint8_t> held_;
};

static_assert(PageReplacementPolicy<RandomPolicy>);

}  // namespace hpmm::sim
