// mmu_sim/mrc.hpp: fault curves -- the number of faults a memory of F frames takes on a
// page-reference string, for every F at once -- for LRU (exact, one pass, Mattson's stack
// distances) and OPT (Mattson's priority stack with next-use priorities, up to a stated depth).
// mrc_shards.hpp estimates the LRU curve by sampling, for strings too long for an exact pass.
//
// Stack distance (Mattson, Gecsei, Slutz, Traiger, "Evaluation techniques for storage
// hierarchies", IBM Systems Journal 1970): for a reference to page x whose previous reference
// was at position j, d = 1 + the number of distinct other pages referenced since j; a first
// reference has d = infinity (a cold miss).  LRU is a stack algorithm, so an LRU memory of F
// frames (filled from empty, no unmaps) hits exactly the references with d <= F:
//   faults_LRU(F) = cold + #{references with d > F}
// which equals the faults of FrameTable<LruPolicy> with F frames on the same string, cold misses
// included.  Feed it the string of reference_string.hpp and it equals the simulator's LRU runs.
//
// LruStackDistance computes d in O(log n) per reference: a map page -> timestamp of its latest
// reference (KeyMap), and a bit per timestamp that is some page's latest reference ("live"); d =
// 1 + the live timestamps after j = 1 + live - (live timestamps <= j).  The bits are grouped in
// blocks of 512 (one cache line) whose counts are kept in a Fenwick tree, so a count is one tree
// walk over n/512 blocks plus at most 8 popcounts.  When the timestamps run out, they are
// renumbered by rank (compaction), and the capacity set to max(4 * live, 64 Ki): O(capacity)
// work every >= 3 * live references, so amortised O(1).  Memory per distinct page: 32-64 bytes of
// map (16-byte slots, load 1/4 to 1/2) + at most 4 bits of timestamps; LruCurveBuilder adds 16
// bytes (histogram, first-reference position) and a FaultCurve holds 16.  Invariants (checked by
// valid()):
//   last_.size() == live_ == popcount(bits_);   every timestamp in last_ is live and < now_
//   tree_ holds the per-block counts of bits_;   now_ <= cap_
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mmu_sim/key_map.hpp"
#include "mmu_sim/reference_string.hpp"

namespace hpmm::sim {

inline constexpr uint64_t kColdMiss = 0;  // the "distance" of a first reference

class LruStackDistance {
 public:
  explicit LruStackDistance(size_t expected_distinct = 0);

  // The stack distance (>= 1) of the next reference, to key, or kColdMiss for its first.
  uint64_t ref(uint64_t key) {
    ++refs_;
    if (now_ == cap_) compact();
    uint64_t j = last_.put(key, now_);
    uint64_t now = now_++;
    if (j == KeyMap<uint64_t>::kAbsent) {
      mark(now, 1);
      ++live_;
      return kColdMiss;
    }
    uint64_t d = live_ - live_at_or_before(j) + 1;
    bits_[j >> 6] &= ~(uint64_t{1} << (j & 63));
    bits_[now >> 6] |= uint64_t{1} << (now & 63);
    if (j / kBlockBits != now / kBlockBits) {  // else the block's count is unchanged
      tree_add(j / kBlockBits, -1);
      tree_add(now / kBlockBits, 1);
    }
    return d;
  }

  // The distances of a run of references, into out[0, keys.size()): the same as ref() on each
  // in turn, faster on long strings.  It looks every key up first (independent lookups, whose
  // cache misses overlap), then computes the distances in order with the bit words of the
  // previous references prefetched a few steps ahead.
  void ref(std::span<const uint64_t> keys, uint64_t *out);

  // Forgets key as if it had never been referenced (SHARDS drops pages it stops sampling).
  // Returns false if key was not tracked.
  bool forget(uint64_t key);
  bool contains(uint64_t key) const { return last_.contains(key); }
  void prefetch(uint64_t key) const { last_.prefetch(key); }

  uint64_t references() const { return refs_; }
  uint64_t distinct() const { return live_; }  // pages tracked
  size_t bytes() const;
  bool valid() const;

 private:
  static constexpr uint64_t kBlockBits = 512;
  static constexpr uint64_t kMinCap = uint64_t{1} << 16;

  void mark(uint64_t ts, int delta) {
    if (delta > 0)
      bits_[ts >> 6] |= uint64_t{1} << (ts & 63);
    else
      bits_[ts >> 6] &= ~(uint64_t{1} << (ts & 63));
    tree_add(ts / kBlockBits, delta);
  }
  void tree_add(uint64_t block, int delta) {
    for (uint64_t i = block + 1; i < tree_.size(); i += i & (~i + 1))
      tree_[i] = static_cast<uint32_t>(static_cast<int64_t>(tree_[i]) + delta);
  }
  // std::popcount without a library call (the build targets baseline x86-64, no POPCNT).
  static uint64_t ones(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (x * 0x0101010101010101ull) >> 56;
  }
  // Live timestamps <= ts.
  uint64_t live_at_or_before(uint64_t ts) const {
    uint64_t block = ts / kBlockBits, s = 0;
    for (uint64_t i = block; i > 0; i &= i - 1) s += tree_[i];
    const uint64_t *w = bits_.data();
    for (uint64_t k = block * (kBlockBits / 64); k < (ts >> 6); ++k) s += ones(w[k]);
    uint64_t last = w[ts >> 6] & (~uint64_t{0} >> (63 - (ts & 63)));
    return s + ones(last);
  }
  void compact();

  KeyMap<uint64_t> last_;       // page key -> timestamp of its latest reference
  std::vector<uint64_t> bits_;  // bit ts: ts is live
  std::vector<uint32_t> tree_;  // Fenwick tree (1-based) over the blocks' live counts
  uint64_t cap_ = 0;            // timestamps [0, cap_) exist (a multiple of kBlockBits)
  uint64_t now_ = 0;            // the next timestamp
  uint64_t live_ = 0;
  uint64_t refs_ = 0;
};

// faults(F) for every memory size F of one policy on one string.
class FaultCurve {
 public:
  static constexpr uint64_t kComplete = UINT64_MAX;  // limit(): exact for every F

  FaultCurve() = default;
  // hist[d-1] = references at stack distance d, for 1 <= d <= hist.size(); deeper = references
  // that are not first references and miss every memory up to limit frames (a truncated OPT
  // stack); first_refs = positions of the first references, increasing; n = the string's
  // length; limit = the largest F the curve is exact for, or kComplete.
  FaultCurve(const std::vector<uint64_t> &hist, uint64_t deeper,
             const std::vector<uint64_t> &first_refs, uint64_t n, uint64_t limit);

  uint64_t references() const { return n_; }
  uint64_t distinct() const { return resident_.size() - 1; }  // cold misses
  uint64_t limit() const { return limit_; }
  bool known(uint64_t frames) const { return limit_ == kComplete || frames <= limit_; }
  // Faults of a memory of `frames` frames (cold misses included); frames must be known().
  // faults(0) == references(); faults(F) == distinct() for F >= frames_for_all().
  uint64_t faults(uint64_t frames) const;
  double miss_ratio(uint64_t frames) const;
  // The mean number of frames holding a page over the string, (1/n) sum_t min(F, D_t) with D_t
  // the distinct pages among the first t+1 references: a demand-paged memory that never frees.
  double mean_resident(uint64_t frames) const;
  // The smallest F whose faults are only the cold misses (0 for an empty string).
  uint64_t frames_for_all() const { return faults_.size() - 1; }
  // Non-increasing, from n at F = 0 down to the cold misses; for tests.
  bool valid() const;

 private:
  uint64_t n_ = 0;
  uint64_t limit_ = kComplete;
  std::vector<uint64_t> faults_{0};    // faults_[F] for F <= frames_for_all()
  std::vector<uint64_t> resident_{0};  // resident_[k] = sum over the first k pages of n - c_k
};

// The exact LRU fault curve, built one reference at a time.
class LruCurveBuilder {
 public:
  explicit LruCurveBuilder(size_t expected_distinct = 0) : sd_(expected_distinct) {}
  void ref(uint64_t key) {
    uint64_t d = sd_.ref(key);
    if (d == kColdMiss) {
      first_refs_.push_back(sd_.references() - 1);
      hist_.push_back(0);  // distances never exceed the distinct pages seen
    } else {
      ++hist_[d - 1];
    }
  }
  // The same, faster on long strings (LruStackDistance's batch path; the histogram is updated
  // after each chunk, when its cache-missing but independent increments overlap).
  void ref(std::span<const uint64_t> keys);
  uint64_t references() const { return sd_.references(); }
  FaultCurve curve() const;
  const LruStackDistance &distances() const { return sd_; }

 private:
  LruStackDistance sd_;
  std::vector<uint64_t> hist_;  // hist_[d-1]: references at distance d
  std::vector<uint64_t> first_refs_;
};

FaultCurve lru_fault_curve(std::span<const uint64_t> refs);
// Streams a source to its end; returns "" or the source's error (*out is then the curve of the
// references read before it).
std::string lru_fault_curve(PageRefSource &refs, FaultCurve *out);

// The OPT (Belady MIN) fault curve for F <= max_frames, by Mattson's stack algorithm with
// priority = next use (earlier = higher): a reference to x puts x on top and carries the
// displaced entry down, at each level keeping the entry used sooner and carrying the other on,
// until x's old level (distance d, a hit for F >= d) or the bottom (a miss).  Entries below
// max_frames are dropped, which leaves levels 1..max_frames exact (a level depends only on the
// levels above it).  Time O(sum over references of min(d, max_frames)) <= O(n * max_frames),
// typically far less (hits near the top are cheap); memory: the next-use array (8 bytes per
// reference) and max_frames entries.  The curve's limit() is max_frames, or kComplete when
// max_frames >= the distinct pages.  Equals FrameTable<OptPolicy> runs (ties among pages never
// used again do not change fault counts).
FaultCurve opt_fault_curve(std::span<const uint64_t> refs, uint64_t max_frames);

}  // namespace hpmm::sim
