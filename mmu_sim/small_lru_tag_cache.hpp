// mmu_sim/small_lru_tag_cache.hpp: a fully associative cache of n <= 64 tags with true LRU
// replacement, for the page-walk caches at their usual sizes (walk_cache.hpp; 2, 4 and 32 entries
// by default).  Same contract as LruTagCache (lru_tag_cache.hpp), which stays for larger caches:
// after any sequence of lookups and inserts it holds the n most recently used distinct tags.
//
// Why not the hash (LruTagCache): a fault-heavy run misses the 32-entry PDE cache on ~98 % of
// walks, and a hashed miss -- bucket, chain walk, the victim unlinked from its chain and from the
// recency list, insert -- cost ~55 instructions.  Here a lookup is 16 lanes per SSE2 step and a
// miss at capacity is O(1) with no search for the victim:
//   - lo_[e] = low 32 bits of tag_[e]; a lookup compares lo_ in groups of 16 (four pcmpeqd, packed
//     to one 16-bit mask), keeps the lanes of held entries (valid_), and confirms each candidate
//     against the full tag_ (candidates beyond the first need tags equal mod 2^32: walk tags,
//     va >> 21 and above, never are);
//   - the recency order is a cycle through all n entries, prev_/next_ (uint8_t), head_ the most
//     recent: head_ -> next_[head_] -> ... -> prev_[head_], the least recent.  Unused entries sit
//     at the cycle's least recent end, so the victim of any miss is prev_[head_] -- free while
//     not full, the LRU tag after -- and filling it is making it the head: head_ = prev_[head_],
//     a rotation of the cycle with no unlinking.  A hit moves its entry in front of head_.
// Invariants (valid()):
//   1 <= n <= 64;  valid_ has only bits < n;  used = popcount(valid_)
//   the cycle from head_ visits each of the n entries once, links agreeing both ways;
//   its first `used` entries are exactly those of valid_, in recency order, the rest unused
//   lo_[e] = (uint32_t)tag_[e] for held e, lo_[e] = 0 for e >= n (masked out by valid_)
//   held tags are distinct
// Not thread-safe: one per simulated core.
#pragma once

#include <emmintrin.h>

#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "base/check.hpp"

namespace hpmm::sim {

class SmallLruTagCache {
 public:
  static constexpr uint32_t kMaxEntries = 64;

  // n in [1, 64] entries (checked).
  explicit SmallLruTagCache(uint32_t n) : n_(checked(n)), groups_((n + 15) / 16) {
    lo_.fill(0);
    tag_.fill(0);
    for (uint32_t e = 0; e < n_; ++e) {
      next_[e] = static_cast<uint8_t>(e + 1 == n_ ? 0 : e + 1);
      prev_[e] = static_cast<uint8_t>(e == 0 ? n_ - 1 : e - 1);
    }
  }

  uint32_t capacity() const { return n_; }
  uint32_t size() const { return static_cast<uint32_t>(std::popcount(valid_)); }

  // Whether tag is held; a hit makes it the most recently used.
  [[gnu::always_inline]] bool lookup(uint64_t tag) {
    const int e = find(tag);
    if (e < 0) return false;
    to_front(static_cast<uint32_t>(e));
    return true;
  }

  // Inserts tag (not held: the caller looked it up and missed) as the most recently used,
  // evicting the least recently used tag when the cache is full.
  [[gnu::always_inline]] void insert(uint64_t tag) {
    HPMM_ASSERT(!holds(tag));
    const uint32_t e = prev_[head_];
    tag_[e] = tag;
    lo_[e] = static_cast<uint32_t>(tag);
    valid_ |= uint64_t{1} << e;
    head_ = e;
  }

  // lookup(tag), then insert(tag) on a miss -- a walk's step at one cache.  Returns whether tag
  // was held.
  [[gnu::always_inline]] bool access(uint64_t tag) {
    const int e = find(tag);
    if (e >= 0) {
      to_front(static_cast<uint32_t>(e));
      return true;
    }
    insert(tag);
    return false;
  }

  // Whether tag is held, with no change to the recency order.
  bool holds(uint64_t tag) const { return find(tag) >= 0; }

  // The held tags, most recently used first (tests compare them with a model).
  std::vector<uint64_t> tags_by_recency() const {
    std::vector<uint64_t> out;
    uint32_t e = head_;
    for (uint32_t i = 0; i < n_ && (valid_ >> e & 1); ++i, e = next_[e]) out.push_back(tag_[e]);
    return out;
  }

  // The invariants above; O(n^2) for distinctness, n <= 64.
  bool valid() const {
    if (n_ < 1 || n_ > kMaxEntries || groups_ != (n_ + 15) / 16 || head_ >= n_) return false;
    if (n_ < 64 && (valid_ >> n_) != 0) return false;
    const uint32_t used = size();
    uint64_t seen = 0;
    uint32_t e = head_;
    for (uint32_t i = 0; i < n_; ++i) {
      if (e >= n_ || (seen >> e & 1) || next_[e] >= n_ || prev_[next_[e]] != e) return false;
      seen |= uint64_t{1} << e;
      if (((valid_ >> e) & 1) != (i < used ? 1u : 0u)) return false;
      e = next_[e];
    }
    if (e != head_) return false;  // the cycle closes after exactly n entries
    for (uint32_t a = 0; a < kMaxEntries; ++a) {
      const bool held = valid_ >> a & 1;
      if (held && lo_[a] != static_cast<uint32_t>(tag_[a])) return false;
      if (a >= n_ && lo_[a] != 0) return false;
      for (uint32_t b = a + 1; held && b < n_; ++b)
        if ((valid_ >> b & 1) && tag_[a] == tag_[b]) return false;
    }
    return true;
  }

 private:
  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxEntries, "SmallLruTagCache: entries must be in [1, 64]");
    return n;
  }

  // Bit e set for each held entry whose low half equals tag's, among lanes [0, 16 * groups_).
  [[gnu::always_inline]] uint64_t candidates(uint64_t tag) const {
    const __m128i t = _mm_set1_epi32(static_cast<int>(static_cast<uint32_t>(tag)));
    const __m128i *p = reinterpret_cast<const __m128i *>(lo_.data());
    uint64_t m = 0;
    for (uint32_t g = 0; g < groups_; ++g, p += 4) {
      const __m128i a = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(p), t),
                                        _mm_cmpeq_epi32(_mm_load_si128(p + 1), t));
      const __m128i b = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(p + 2), t),
                                        _mm_cmpeq_epi32(_mm_load_si128(p + 3), t));
      m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(a, b))))
           << (16 * g);
    }
    return m & valid_;
  }

  // The entry holding tag, or -1.
  [[gnu::always_inline]] int find(uint64_t tag) const {
    for (uint64_t m = candidates(tag); m != 0; m &= m - 1) {
      const int e = std::countr_zero(m);
      if (tag_[static_cast<uint32_t>(e)] == tag) [[likely]]
        return e;
    }
    return -1;
  }

  // Held entry e becomes the most recent.
  [[gnu::always_inline]] void to_front(uint32_t e) {
    const uint32_t h = head_;
    if (e == h) return;
    const uint32_t last = prev_[h];
    if (e != last) {  // the least recent needs no unlinking: it is already just before head_
      const uint32_t p = prev_[e], x = next_[e];
      next_[p] = static_cast<uint8_t>(x);
      prev_[x] = static_cast<uint8_t>(p);
      next_[last] = static_cast<uint8_t>(e);
      prev_[e] = static_cast<uint8_t>(last);
      next_[e] = static_cast<uint8_t>(h);
      prev_[h] = static_cast<uint8_t>(e);
    }
    head_ = e;
  }

  alignas(64) std::array<uint32_t, kMaxEntries> lo_;  // low halves; 0 beyond n_
  std::array<uint64_t, kMaxEntries> tag_;
  uint64_t valid_ = 0;  // bit e: entry e holds a tag
  uint32_t n_;
  uint32_t groups_;                                   // lanes searched: 16 * groups_ >= n_
  uint32_t head_ = 0;                                 // the most recent entry
  std::array<uint8_t, kMaxEntries> next_{}, prev_{};  // toward less / more recent; a cycle
};

}  // namespace hpmm::sim
