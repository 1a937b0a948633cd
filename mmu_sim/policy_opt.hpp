// mmu_sim/policy_opt.hpp: OPT (Belady's MIN) page replacement: evict the page whose next use is
// farthest in the future, over a reference string known in advance.  A page never used again is
// infinitely far (next use UINT64_MAX); ties, which only such pages can have, go to the lowest
// frame, so runs are deterministic.
//
// The future is next_use[t] = the position of the next reference to the page referenced at t,
// after t (UINT64_MAX if none), given by set_future() and computed by compute_next_use().  The
// policy keeps one entry {key, frame} per frame holding a page, key = next_use[t] of the page's
// latest reference t, in an indexed 4-ary max-heap ordered by (key desc, frame asc) with the keys
// inside the heap array (no indirection when comparing).  Invariants:
//   tracks(f) <=> pos_[f] != kOut;   heap_[pos_[f]].frame == f;   used() == heap_.size()
//   for every i > 0: !before(heap_[i], heap_[(i-1)/4])     (so heap_[0] is the victim)
// A reference raises its page's key (its old key was this very position t, its new one is
// later), so on_access sifts up: O(log n) worst case, O(1) expected.  victim(), on_fill and
// on_free are O(log n).  The span given to set_future must outlive the policy's use of it.
// OPT needs on_access on every reference, whatever the reference-bit mode: a page referenced
// without it keeps a key in the past and looks about to be used.
// Not thread-safe (one per frame pool).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/key_map.hpp"
#include "mmu_sim/page_replacement.hpp"

namespace hpmm::sim {

inline constexpr uint64_t kNoNextUse = UINT64_MAX;

// next_use[t] for a page-reference string: one pass from the end with a hash map from page key
// to the latest position seen.  O(n) time, O(distinct keys) extra space.
inline std::vector<uint64_t> compute_next_use(std::span<const uint64_t> page_keys) {
  static_assert(KeyMap<uint64_t>::kAbsent == kNoNextUse);
  std::vector<uint64_t> next(page_keys.size());
  KeyMap<uint64_t> latest;  // put() returns the previous position, kAbsent == kNoNextUse if none
  for (size_t i = page_keys.size(); i-- > 0;) next[i] = latest.put(page_keys[i], i);
  return next;
}

class OptPolicy {
 public:
  OptPolicy(uint32_t nframes, uint64_t /*seed*/) : n_(checked(nframes)), pos_(n_, kOut) {
    heap_.reserve(n_);
  }

  // The future of the whole reference string; must be set before the first on_fill.
  void set_future(std::span<const uint64_t> next_use) { future_ = next_use; }

  void on_fill(uint32_t frame, uint64_t /*key*/, uint64_t t) {
    HPMM_CHECK(frame < n_ && pos_[frame] == kOut, "OptPolicy::on_fill: frame holds a page");
    heap_.push_back(Entry{next_of(t), frame});
    sift_up(static_cast<uint32_t>(heap_.size() - 1));
  }
  void on_access(uint32_t frame, uint64_t t) {
    HPMM_ASSERT(frame < n_ && pos_[frame] != kOut);
    uint32_t i = pos_[frame];
    heap_[i].key = next_of(t);
    sift_up(i);  // keys only grow along a consistent string
    HPMM_ASSERT(pos_[frame] == 0 || !before(heap_[pos_[frame]], heap_[parent(pos_[frame])]));
  }
  uint32_t victim(uint64_t /*key*/, uint64_t /*t*/) {
    HPMM_CHECK(!heap_.empty(), "OptPolicy::victim: no frame holds a page");
    uint32_t f = heap_[0].frame;
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
  uint64_t next_use_of(uint32_t frame) const { return heap_[pos_[frame]].key; }

  bool valid() const {
    if (heap_.size() > n_ || pos_.size() != n_) return false;
    uint64_t held = 0;
    for (uint32_t f = 0; f < n_; ++f) {
      if (pos_[f] == kOut) continue;
      if (pos_[f] >= heap_.size() || heap_[pos_[f]].frame != f) return false;
      ++held;
    }
    if (held != heap_.size()) return false;
    for (size_t i = 1; i < heap_.size(); ++i)
      if (before(heap_[i], heap_[parent(static_cast<uint32_t>(i))])) return false;
    return true;
  }

 private:
  static constexpr uint32_t kOut = UINT32_MAX;
  static constexpr uint32_t kArity = 4;  // a node's children share a cache line or two

  struct Entry {
    uint64_t key;  // next use of the frame's page
    uint32_t frame;
  };

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxFrames, "OptPolicy: nframes must be in [1, 2^31]");
    return n;
  }
  static uint32_t parent(uint32_t i) { return (i - 1) / kArity; }

  uint64_t next_of(uint64_t t) const {
    HPMM_CHECK(t < future_.size(),
               "OptPolicy: position t is beyond the future given to set_future (or it was not "
               "called)");
    HPMM_ASSERT(future_[t] > t);
    return future_[t];
  }

  // a is evicted before b: its next use is later, or equal (never again) and its frame lower.
  static bool before(const Entry &a, const Entry &b) {
    return a.key > b.key || (a.key == b.key && a.frame < b.frame);
  }

  void put(uint32_t i, const Entry &e) {
    heap_[i] = e;
    pos_[e.frame] = i;
  }

  void sift_up(uint32_t i) {
    Entry e = heap_[i];
    while (i > 0 && before(e, heap_[parent(i)])) {
      put(i, heap_[parent(i)]);
      i = parent(i);
    }
    put(i, e);
  }

  void sift_down(uint32_t i) {
    Entry e = heap_[i];
    const uint64_t size = heap_.size();
    for (;;) {
      uint64_t first = uint64_t{i} * kArity + 1;
      if (first >= size) break;
      uint64_t last = first + kArity < size ? first + kArity : size, best = first;
      for (uint64_t c = first + 1; c < last; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], e)) break;
      put(i, heap_[best]);
      i = static_cast<uint32_t>(best);
    }
    put(i, e);
  }

  void erase_at(uint32_t i) {
    pos_[heap_[i].frame] = kOut;
    Entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;  // the erased entry was the last one
    heap_[i] = last;
    sift_up(i);
    sift_down(pos_[last.frame]);
  }

  uint32_t n_;
  std::span<const uint64_t> future_;
  std::vector<Entry> heap_;    // frames holding a page, a kArity-ary max-heap by before()
  std::vector<uint32_t> pos_;  // frame -> index in heap_, kOut if the frame holds no page
};

static_assert(PageReplacementPolicy<OptPolicy>);

}  // namespace hpmm::sim
