// mmu_sim/lru_tag_cache.hpp: a fully associative cache of n 64-bit tags with LRU replacement,
// in O(1) expected per lookup and insert whatever n is: the page-walk caches (walk_cache.hpp) of
// more than 64 entries (up to 64, SmallLruTagCache in small_lru_tag_cache.hpp is cheaper: ~55
// instructions per miss here in hashing and unlinking, against an SSE2 search and a rotation).
//
// Its hits and misses are those of a true LRU of n entries: after any sequence of lookups and
// inserts it holds the n most recently used distinct tags, so which entry a tag sits in never
// shows.  (A one-set TlbArray of n ways scanned all n stamps per fill, ~450 instructions per walk
// with the default 32-entry PDE cache; the next version, a general hash map beside a FrameList,
// still cost ~300 per walk in hashing, backward-shift erase and two structures' checks.)
//
// Representation: entry e in [0, used_) holds tag(e) with its links in one 24-byte record:
//   - a chained hash index: head_[b] is the first entry of bucket b's chain, chain(e) the next
//     one (kNone ends it); bucket(tag) = (tag * kFib) >> shift_, Fibonacci hashing over
//     2^(64 - shift_) >= 2n buckets (one multiply; consecutive tags, as walks make them, spread);
//   - the recency cycle through entry n, the sentinel: S -> most recent -> ... -> least -> S.
// Invariants (valid()):
//   used_ <= n;  the cycle holds exactly the entries [0, used_), in recency order
//   every e < used_ is on the chain of bucket(tag(e)), and chains hold nothing else
//   held tags are distinct: the first entry with tag(e) on its chain is e
// A miss is a chain walk of expected length <= 1/2 (load <= 1/2); an insert at capacity unlinks
// the least recent entry from the cycle and from its chain (a walk of that chain) and reuses it.
// Not thread-safe: one per simulated core.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/check.hpp"

namespace hpmm::sim {

class LruTagCache {
 public:
  static constexpr uint32_t kMaxEntries = uint32_t{1} << 24;

  // n in [1, 2^24] entries (checked).
  explicit LruTagCache(uint32_t n)
      : n_(checked(n)),
        shift_(64 - static_cast<unsigned>(std::bit_width(std::bit_ceil(uint64_t{n} * 2) - 1))),
        entry_(size_t{n} + 1, Entry{0, kNone, kNone, kNone}),
        head_(std::bit_ceil(size_t{n} * 2), kNone) {
    entry_[n_].prev = entry_[n_].next = n_;
  }

  uint32_t capacity() const { return n_; }
  uint32_t size() const { return used_; }

  // Whether tag is held; a hit makes it the most recently used.
  [[gnu::always_inline]] bool lookup(uint64_t tag) {
    const uint32_t e = find(head_[bucket(tag)], tag);
    if (e == kNone) return false;
    to_front(e);
    return true;
  }

  // Inserts tag (not held: the caller looked it up and missed) as the most recently used,
  // evicting the least recently used tag when the cache is full.
  [[gnu::always_inline]] void insert(uint64_t tag) {
    HPMM_ASSERT(!holds(tag));
    insert_at(bucket(tag), tag);
  }

  // lookup(tag), then insert(tag) on a miss -- a walk's step at one cache -- with the bucket
  // computed once.  Returns whether tag was held.
  [[gnu::always_inline]] bool access(uint64_t tag) {
    const size_t b = bucket(tag);
    const uint32_t e = find(head_[b], tag);
    if (e != kNone) {
      to_front(e);
      return true;
    }
    insert_at(b, tag);
    return false;
  }

  // Whether tag is held, with no change to the recency order.
  bool holds(uint64_t tag) const {
    uint32_t e = head_[bucket(tag)];
    while (e != kNone && entry_[e].tag != tag) e = entry_[e].chain;
    return e != kNone;
  }

  // The held tags, most recently used first (tests compare them with a model).
  std::vector<uint64_t> tags_by_recency() const {
    std::vector<uint64_t> out;
    for (uint32_t e = entry_[n_].next; e != n_ && out.size() < used_; e = entry_[e].next)
      out.push_back(entry_[e].tag);
    return out;
  }

  // The invariants above; O(n + buckets).
  bool valid() const {
    if (used_ > n_ || entry_.size() != size_t{n_} + 1) return false;
    // The cycle: links agree both ways and it holds exactly [0, used_).
    std::vector<bool> seen(n_, false);
    uint32_t count = 0;
    for (uint32_t x = n_;;) {
      const uint32_t y = entry_[x].next;
      if (y > n_ || entry_[y].prev != x) return false;
      if (y == n_) break;
      if (y >= used_ || seen[y] || ++count > used_) return false;
      seen[y] = true;
      x = y;
    }
    if (count != used_) return false;
    // The chains: each held entry once, in its own bucket, the first with its tag.
    std::vector<bool> chained(n_, false);
    uint32_t on_chains = 0;
    for (size_t b = 0; b < head_.size(); ++b)
      for (uint32_t e = head_[b]; e != kNone; e = entry_[e].chain) {
        if (e >= used_ || chained[e] || bucket(entry_[e].tag) != b) return false;
        chained[e] = true;
        ++on_chains;
      }
    if (on_chains != used_) return false;
    for (uint32_t e = 0; e < used_; ++e) {
      uint32_t f = head_[bucket(entry_[e].tag)];
      while (entry_[f].tag != entry_[e].tag) f = entry_[f].chain;
      if (f != e) return false;  // an earlier entry holds the same tag
    }
    return true;
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint64_t kFib = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio, odd

  struct Entry {
    uint64_t tag;
    uint32_t prev, next;  // the recency cycle (n_ is the sentinel)
    uint32_t chain;       // the next entry of the same bucket, or kNone
  };

  static uint32_t checked(uint32_t n) {
    HPMM_CHECK(n >= 1 && n <= kMaxEntries, "LruTagCache: entries must be in [1, 2^24]");
    return n;
  }
  [[gnu::always_inline]] size_t bucket(uint64_t tag) const { return (tag * kFib) >> shift_; }

  // The entry holding tag on the chain from e, or kNone.
  [[gnu::always_inline]] uint32_t find(uint32_t e, uint64_t tag) const {
    const Entry *en = entry_.data();
    while (e != kNone && en[e].tag != tag) e = en[e].chain;
    return e;
  }

  // Held entry e becomes the most recent.
  [[gnu::always_inline]] void to_front(uint32_t e) {
    Entry *en = entry_.data();
    const uint32_t first = en[n_].next;
    if (first == e) return;
    const uint32_t p = en[e].prev, x = en[e].next;
    en[p].next = x;
    en[x].prev = p;
    en[e].prev = n_;
    en[e].next = first;
    en[first].prev = e;
    en[n_].next = e;
  }

  // Inserts tag, not held, whose bucket is b, as the most recent; at capacity the least recent
  // entry is unlinked from the cycle and from its chain (which may be b's: head_[b] is read after)
  // and reused.
  [[gnu::always_inline]] void insert_at(size_t b, uint64_t tag) {
    Entry *en = entry_.data();
    uint32_t e;
    if (used_ < n_) {
      e = used_++;
    } else {
      e = en[n_].prev;
      const uint32_t p = en[e].prev;
      en[p].next = n_;
      en[n_].prev = p;
      uint32_t *link = &head_[bucket(en[e].tag)];
      while (*link != e) link = &en[*link].chain;
      *link = en[e].chain;
    }
    const uint32_t first = en[n_].next;
    en[e] = Entry{tag, n_, first, head_[b]};
    head_[b] = e;
    en[first].prev = e;
    en[n_].next = e;
  }

  uint32_t n_;
  uint32_t used_ = 0;
  unsigned shift_;            // 64 - log2(head_.size()); head_.size() >= 2, so shift_ <= 63
  std::vector<Entry> entry_;  // n_ + 1 records; [n_] is the cycle's sentinel
  std::vector<uint32_t> head_;
};

}  // namespace hpmm::sim
