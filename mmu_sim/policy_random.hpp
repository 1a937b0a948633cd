// mmu_sim/policy_random.hpp: random page replacement: the victim is drawn uniformly from the
// frames holding a page, by a seeded generator, so a run is reproducible for a seed.
//
// The generator is base/rng.hpp's xoshiro256**; a frame number in [0, n) is drawn without bias
// by its below32 (Lemire's multiply-and-reject on 32 bits);
// a draw that lands on a free frame is redrawn (there is none when FrameTable asks for a victim,
// since every frame is full then).  The first draw of the next victim is made as soon as the
// current one is chosen (next_): the generator's outputs are consumed in the same order as when
// drawn on demand, so the victims are the same, and the pool can prefetch that frame's metadata
// (next_victim_hint) a whole fault ahead -- a uniformly random frame's lines are cold.
// Invariants:
//   tracks(f) <=> held_[f] != 0;   used_ == #{f : held_[f] != 0};   next_ < n_
// on_access is a no-op; victim() is O(1) expected (O(n / used) draws).
// Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "base/rng.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

using ::hpmm::Xoshiro256;

class RandomPolicy {
 public:
  RandomPolicy(uint32_t nframes, uint64_t seed)
      : n_(checked(nframes)), rng_(seed), next_(rng_.below32(n_)), held_(n_, 0) {}

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(frame < n_ && !held_[frame], "RandomPolicy::on_fill: frame holds a page");
    held_[frame] = 1;
    ++used_;
  }
  void on_access(uint32_t /*frame*/, uint64_t /*t*/) {}
  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(used_ > 0, "RandomPolicy::victim: no frame holds a page");
    uint32_t f = next_;
    while (!held_[f]) f = rng_.below32(n_);
    held_[f] = 0;  // detached until on_fill places the new page here
    --used_;
    next_ = rng_.below32(n_);
    __builtin_prefetch(&held_[next_]);
    return f;
  }
  // The next victim's first draw (a frame in [0, n)): the victim unless that frame is free then.
  // A hint for the pool to prefetch with; changes nothing.
  uint32_t next_victim_hint() const { return next_; }
  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < n_ && held_[frame], "RandomPolicy::on_free: frame holds no page");
    held_[frame] = 0;
    --used_;
  }

  bool tracks(uint32_t frame) const { return held_[frame] != 0; }
  uint32_t used() const { return used_; }
  bool valid() const {
    if (held_.size() != n_ || next_ >= n_) return false;
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
  uint32_t next_;  // the next victim's first draw, made when the last victim was chosen
  std::vector<uint8_t> held_;
};

static_assert(PageReplacementPolicy<RandomPolicy>);

}  // namespace hpmm::sim
