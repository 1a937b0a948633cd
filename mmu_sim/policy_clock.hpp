// mmu_sim/policy_clock.hpp: CLOCK (second chance) page replacement, in its textbook form
// (DESIGN.md): free frames are filled in order first (FrameTable hands out the lowest free frame);
// the hand starts at frame 0; a reference sets the frame's reference bit; to choose a victim the
// hand clears set bits until it finds a frame whose bit is 0, that frame is the victim, the new
// page takes the slot with its bit set (on_fill), and the hand moves one past it.
//
// One byte of state per frame: kClear (holds a page, bit 0), kSet (holds a page, bit 1), kFree.
// The hand passes over free frames (there are none when FrameTable asks for a victim; the rule
// only keeps victim() correct if a caller asks earlier).  Invariants:
//   hand_ < n_;   tracks(f) <=> state_[f] != kFree;   used_ == #{f : state_[f] != kFree}
// on_access is one byte store; victim() is amortised O(1): each step of the hand clears a bit
// that some earlier reference set, plus at most one lap over free frames.
// Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

class ClockPolicy {
  // An enum, not a plain byte: a store of a char type may alias anything, so the store on_access
  // makes on every translation would force the MMU's loop to reload its state from memory.
  enum class State : uint8_t { kClear = 0, kSet = 1, kFree = 2 };

 public:
  ClockPolicy(uint32_t nframes, uint64_t /*seed*/)
      : n_(checked(nframes)), state_(n_, State::kFree) {}

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(frame < n_ && state_[frame] == State::kFree,
               "ClockPolicy::on_fill: frame holds a page");
    state_[frame] = State::kSet;
    ++used_;
  }
  void on_access(uint32_t frame, uint64_t /*t*/) {
    HPMM_ASSERT(frame < n_ && state_[frame] != State::kFree);
    state_[frame] = State::kSet;
  }
  // The hit path's view: on_access with the state array's address in a local (a batch loop holds
  // it in a register instead of reloading it through the pool per translation).  Valid while the
  // policy lives (state_ is sized once); holds no state of its own to write back.
  struct Hot {
    State *state;  // state_.data()
    [[gnu::always_inline]] void touch(uint32_t frame, uint64_t /*t*/) const {
      state[frame] = State::kSet;
    }
  };
  Hot hot() { return {state_.data()}; }

  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(used_ > 0, "ClockPolicy::victim: no frame holds a page");
    State *s = state_.data();
    uint32_t h = hand_;
    while (s[h] != State::kClear) {  // ends within two laps: a lap clears every set bit
      if (s[h] == State::kSet) s[h] = State::kClear;
      h = h + 1 == n_ ? 0 : h + 1;
    }
    s[h] = State::kFree;  // detached until on_fill places the new page here
    --used_;
    hand_ = h + 1 == n_ ? 0 : h + 1;
    return h;
  }
  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < n_ && state_[frame] != State::kFree,
               "ClockPolicy::on_free: frame holds no page");
    state_[frame] = State::kFree;
    --used_;
  }

  bool tracks(uint32_t frame) const { return state_[frame] != State::kFree; }
  uint32_t used() const { return used_; }
  uint32_t hand() const { return hand_; }
  // Where the next victim search starts: under a fault-heavy load most bits are clear and the
  // victim is the hand's frame or one just past it.  A hint for the pool to prefetch with.
  uint32_t next_victim_hint() const { return hand_; }
  // The reference bit of a frame holding a page (tests and reports).
  bool referenced(uint32_t frame) const { return state_[frame] == State::kSet; }

  bool valid() const {
    if (hand_ >= n_ || state_.size() != n_) return false;
    uint64_t held = 0;
    for (State s : state_) {
      if (s > State::kFree) return false;
      held += s != State::kFree;
    }
    return held == used_;
  }

 private:
  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "ClockPolicy: nframes must be in [1, 2^31]");
    return n;
  }

  uint32_t n_;
  uint32_t hand_ = 0;
  uint32_t used_ = 0;
  std::vector<State> state_;
};

static_assert(PageReplacementPolicy<ClockPolicy>);

}  // namespace hpmm::sim
