// mmu_sim/key_map.hpp: a flat open-addressing hash map from a 64-bit page key to a small value,
// for the paths that look up a page by key on every fault or every reference: the ghost lists of
// the scan-resistant policies (policy_ghosts.hpp, policy_lirs.hpp), the stack-distance and
// working-set passes (mrc.hpp, wss.hpp) and OPT's next-use pass (compute_next_use).
//
// Linear probing over a power-of-two array of {key, value} slots; the value kAbsent marks an
// empty slot (so every key, 0 and UINT64_MAX included, can be stored, and kAbsent cannot be a
// value).  Deletion shifts the following entries back instead of leaving tombstones, so probe
// sequences never lengthen with churn.  The home slot of a key is hash(key) & mask, hash being
// splitmix64's finaliser (page keys are far from random: consecutive, aligned).
// Invariants (checked by valid()):
//   size_ == #{occupied slots};   2 * size_ <= slots_.size()  (load at most 1/2)
//   every occupied slot s is reachable from home(key(s)) without crossing an empty slot
//   no key occupies two slots
// put() grows the array (doubling, rehash) when the load would pass 1/2; a map built with
// KeyMap(expected) for at most `expected` keys never grows.  Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "base/bits.hpp"
#include "base/check.hpp"

namespace hpmm::sim {

// splitmix64's finaliser (Steele, Lea, Flood 2014): a bijection on 64 bits mixing every input
// bit into every output bit.
inline uint64_t mix64(uint64_t k) {
  k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9ull;
  k = (k ^ (k >> 27)) * 0x94d049bb133111ebull;
  return k ^ (k >> 31);
}

template <class V>
class KeyMap {
 public:
  static constexpr V kAbsent = std::numeric_limits<V>::max();

  // Room for `expected` keys without growing (at least 8 slots).
  explicit KeyMap(size_t expected = 0) : slots_(capacity_for(expected), Slot{0, kAbsent}) {}

  // The value of key, or kAbsent.
  V get(uint64_t key) const {
    const Slot &s = slots_[probe(key)];
    return s.value;  // kAbsent when the probe ended at an empty slot
  }
  // The value of key, to update in place, or nullptr.  Valid until the next put or erase.
  V *find(uint64_t key) {
    Slot &s = slots_[probe(key)];
    return s.value == kAbsent ? nullptr : &s.value;
  }
  bool contains(uint64_t key) const { return get(key) != kAbsent; }
  // Starts loading key's home slot, for a lookup a few dozen cycles later.
  void prefetch(uint64_t key) const {
    __builtin_prefetch(&slots_[mix64(key) & (slots_.size() - 1)]);
  }

  // Sets key's value (value != kAbsent); returns the previous value, or kAbsent if key was new.
  V put(uint64_t key, V value) {
    HPMM_ASSERT(value != kAbsent);
    size_t i = probe(key);
    if (slots_[i].value == kAbsent) {
      if (2 * (size_ + 1) > slots_.size()) {
        grow();
        i = probe(key);
      }
      ++size_;
      slots_[i].key = key;
    }
    V old = slots_[i].value;
    slots_[i].value = value;
    return old;
  }

  // Removes key; returns its value, or kAbsent if it was not there.
  V erase(uint64_t key) {
    size_t i = probe(key);
    V old = slots_[i].value;
    if (old == kAbsent) return old;
    // Backward shift: move each following entry of the cluster into the hole when its home is
    // not cyclically inside (hole, entry], so that every entry stays reachable from its home.
    const size_t mask = slots_.size() - 1;
    for (size_t j = (i + 1) & mask; slots_[j].value != kAbsent; j = (j + 1) & mask) {
      size_t home = mix64(slots_[j].key) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{0, kAbsent};
    --size_;
    return old;
  }

  void clear() {
    for (Slot &s : slots_) s = Slot{0, kAbsent};
    size_ = 0;
  }

  // Calls f(key, value&) for every entry, in slot order; f may change the value (not to kAbsent)
  // but not insert or erase.
  template <class F>
  void for_each(F &&f) {
    for (Slot &s : slots_)
      if (s.value != kAbsent) f(s.key, s.value);
  }

  template <class F>
  void for_each(F &&f) const {
    for (const Slot &s : slots_)
      if (s.value != kAbsent) f(s.key, s.value);
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size() / 2; }  // keys held without growing
  size_t bytes() const { return slots_.size() * sizeof(Slot); }

  // The invariants above; O(slots).
  bool valid() const {
    if (!is_pow2(slots_.size()) || 2 * size_ > slots_.size()) return false;
    const size_t mask = slots_.size() - 1;
    size_t count = 0;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].value == kAbsent) continue;
      ++count;
      // Walk from home to i: no empty slot and no other slot with the same key on the way.
      for (size_t j = mix64(slots_[i].key) & mask; j != i; j = (j + 1) & mask)
        if (slots_[j].value == kAbsent || slots_[j].key == slots_[i].key) return false;
    }
    return count == size_;
  }

 private:
  struct Slot {
    uint64_t key;
    V value;
  };

  static size_t capacity_for(size_t expected) {
    size_t c = 8;
    while (c < 2 * expected) c *= 2;
    return c;
  }

  // The slot holding key, or the empty slot that ends its probe sequence.
  size_t probe(uint64_t key) const {
    const size_t mask = slots_.size() - 1;
    size_t i = mix64(key) & mask;
    while (slots_[i].value != kAbsent && slots_[i].key != key) i = (i + 1) & mask;
    return i;
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2, Slot{0, kAbsent});
    old.swap(slots_);
    for (const Slot &s : old)
      if (s.value != kAbsent) slots_[probe(s.key)] = s;
  }

  std::vector<Slot> slots_;  // size a power of two
  size_t size_ = 0;
};

}  // namespace hpmm::sim
