// mmu_sim/policy_opt.hpp: OPT (Belady's MIN) page replacement: evict the page whose next use is
// farthest in the future, over a reference string known in advance.  A page never used again is
// infinitely far (next use UINT64_MAX); ties, which only such pages can have, go to the lowest
// frame, so runs are deterministic.
//
// The future is next_use[t] = the position of the next reference to the page referenced at t,
// after t (UINT64_MAX if none), given by set_future() and computed by compute_next_use().  The
// policy keeps, per frame holding a page, key_[f] = next_use[t] of its latest reference t, in an
// indexed binary max-heap ordered by (key desc, frame asc).  Invariants:
//   tracks(f) <=> pos_[f] != kOut;   heap_[pos_[f]] == f;   used() == heap_.size()
//   for every i > 0: !before(heap_[i], heap_[(i-1)/2])     (so heap_[0] is the victim)
// A reference raises its page's key (its old key was this very position t, its new one is
// later), so on_access sifts up: O(log n) worst case, O(1) expected.  victim(), on_fill and
// on_free are O(log n).  The span given to set_future must outlive the policy's use of it.
// Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

inline constexpr uint64_t kNoNextUse = UINT64_MAX;

namespace detail {
// An open-addressing (linear probing) hash map from page key to a position, for
// compute_next_use.  Load factor <= 1/2; pos == kNoNextUse marks an empty slot.
class PositionMap {
 public:
  PositionMap() : slots_(1024, Slot{0, kNoNextUse}) {}

  // The position stored for key (kNoNextUse if none), replaced by pos.
  uint64_t exchange(uint64_t key, uint64_t pos) {
    uint64_t h = find(key);
    if (slots_[h].pos == kNoNextUse) {
      if ((count_ + 1) * 2 > slots_.size()) {
        grow();
        h = find(key);
      }
      ++count_;
      slots_[h].key = key;
    }
    uint64_t old = slots_[h].pos;
    slots_[h].pos = pos;
    return old;
  }

 private:
  struct Slot {
    uint64_t key;
    uint64_t pos;
  };

  static uint64_t hash(uint64_t k) {  // splitmix64's finaliser: page keys are far from random
    k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9ull;
    k = (k ^ (k >> 27)) * 0x94d049bb133111ebull;
    return k ^ (k >> 31);
  }
  // The slot holding key, or the empty slot where it would go.
  uint64_t find(uint64_t key) const {
    uint64_t mask = slots_.size() - 1, h = hash(key) & mask;
    while (slots_[h].pos != kNoNextUse && slots_[h].key != key) h = (h + 1) & mask;
    return h;
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2, Slot{0, kNoNextUse});
    old.swap(slots_);
    for (const Slot &s : old)
      if (s.pos != kNoNextUse) slots_[find(s.key)] = s;
  }

  std::vector<Slot> slots_;  // size a power of two
  uint64_t count_ = 0;       // occupied slots
};
}  // namespace detail

// next_use[t] for a page-reference string: one pass from the end with a hash map from page key
// to the latest position seen.  O(n) time, O(distinct keys) extra space.
inline std::vector<uint64_t> compute_next_use(std::span<const uint64_t> page_keys) {
  std::vector<uint64_t> next(page_keys.size());
  detail::PositionMap latest;
  for (size_t i = page_keys.size(); i-- > 0;) next[i] = latest.exchange(page_keys[i], i);
  return next;
}

class OptPolicy {
 public:
  OptPolicy(uint32_t nframes, uint64_t /*seed*/)
      : n_(checked(nframes)), pos_(n_, kOut), key_(n_, kNoNextUse) {
    heap_.reserve(n_);
  }

  // The future of the whole reference string; must be set before the first on_fill.
  void set_future(std::span<const uint64_t> next_use) { future_ = next_use; }

  void on_fill(uint32_t frame, uint64_t t) {
    HPMM_CHECK(frame < n_ && pos_[frame] == kOut, "OptPolicy::on_fill: frame holds a page");
    key_[frame] = next_of(t);
    pos_[frame] = static_cast<uint32_t>(heap_.size());
    heap_.push_back(frame);
    sift_up(pos_[frame]);
  }
  void on_access(uint32_t frame, uint64_t t) {
    HPMM_ASSERT(frame < n_ && pos_[frame] != kOut);
    key_[frame] = next_of(t);
    sift_up(pos_[frame]);  // keys only grow along a consistent string
    HPMM_ASSERT(pos_[frame] == 0 || !before(frame, heap_[(pos_[frame] - 1) / 2]));
  }
  uint32_t victim(uint64_t /*t*/) {
    HPMM_CHECK(!heap_.empty(), "OptPolicy::victim: no frame holds a page");
    uint32_t f = heap_[0];
    erase_at(0);
    return f;
  }
  void on_free(uint32_t frame) {
    HPMM_CHECK(frame < n_ && pos_[frame] != kOut, "OptPolicy::on_free: frame holds no page");
    erase_at(pos_[frame]);
  }

  bool tracks(uint32_t frame) const { return pos_[frame] != kOut; }
  uint32_t used() const { return static_cast<uint32_t>(heap_.size()); }
  // The position of the next use of the page in a frame holding one (tests and reports).
  uint64_t next_use_of(uint32_t frame) const { return key_[frame]; }

  bool valid() const {
    if (heap_.size() > n_) return false;
    uint64_t held = 0;
    for (uint32_t f = 0; f < n_; ++f) {
      if (pos_[f] == kOut) continue;
      if (pos_[f] >= heap_.size() || heap_[pos_[f]] != f) return false;
      ++held;
    }
    if (held != heap_.size()) return false;
    for (size_t i = 1; i < heap_.size(); ++i)
      if (before(heap_[i], heap_[(i - 1) / 2])) return false;
    return true;
  }

 private:
  static constexpr uint32_t kOut = UINT32_MAX;

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "OptPolicy: nframes must be in [1, 2^31]");
    return n;
  }

  uint64_t next_of(uint64_t t) const {
    HPMM_CHECK(
        t < future_.size(),
        "OptPolicy: position t is beyond the future given to set_future (or it was not called)");
    HPMM_ASSERT(future_[t] > t);
    return future_[t];
  }

  // a is evicted before b: its next use is later, or equal (never again) and a is lower.
  bool before(uint32_t a, uint32_t b) const {
    return key_[a] > key_[b] || (key_[a] == key_[b] && a < b);
  }

  void place_at(uint32_t i, uint32_t f) {
    heap_[i] = f;
    pos_[f] = i;
  }

  void sift_up(uint32_t i) {
    uint32_t f = heap_[i];
    while (i > 0) {
      uint32_t parent = (i - 1) / 2;
      if (!before(f, heap_[parent])) break;
      place_at(i, heap_[parent]);
      i = parent;
    }
    place_at(i, f);
  }

  void sift_down(uint32_t i) {
    uint32_t f = heap_[i];
    auto size = static_cast<uint32_t>(heap_.size());
    for (;;) {
      uint64_t c = uint64_t{i} * 2 + 1;
      if (c >= size) break;
      if (c + 1 < size && before(heap_[c + 1], heap_[c])) ++c;
      if (!before(heap_[c], f)) break;
      place_at(i, heap_[c]);
      i = static_cast<uint32_t>(c);
    }
    place_at(i, f);
  }

  void erase_at(uint32_t i) {
    uint32_t f = heap_[i];
    uint32_t last = heap_.back();
    heap_.pop_back();
    pos_[f] = kOut;
    key_[f] = kNoNextUse;
    if (i == heap_.size()) return;  // f was the last element
    place_at(i, last);
    sift_up(i);
    sift_down(pos_[last]);
  }

  uint32_t n_;
  std::span<const uint64_t> future_;
  std::vector<uint32_t> heap_;  // frames holding a page, max-heap by before()
  std::vector<uint32_t> pos_;   // frame -> index in heap_, kOut if the frame holds no page
  std::vector<uint64_t> key_;   // frame -> next use of its page
};

static_assert(PageReplacementPolicy<OptPolicy>);

}  // namespace hpmm::sim
