// mmu_sim/mrc.cc: LRU stack distances (compaction, checks), fault curves, the OPT stack
// (mrc.hpp).
#include "mmu_sim/mrc.hpp"

#include <algorithm>

#include "base/bits.hpp"
#include "base/check.hpp"
#include "mmu_sim/policy_opt.hpp"

namespace hpmm::sim {

LruStackDistance::LruStackDistance(size_t expected_distinct) : last_(expected_distinct) {
  cap_ = align_up(std::max<uint64_t>(2 * uint64_t{expected_distinct}, kMinCap), kBlockBits);
  bits_.assign(cap_ / 64, 0);
  tree_.assign(cap_ / kBlockBits + 1, 0);
}

// Renumbers the live timestamps 0..live-1 in order, and makes room for at least live more.
void LruStackDistance::compact() {
  // rank[w] = live timestamps in words before w.
  std::vector<uint64_t> rank(bits_.size());
  uint64_t r = 0;
  for (size_t w = 0; w < bits_.size(); ++w) {
    rank[w] = r;
    r += std::popcount(bits_[w]);
  }
  HPMM_CHECK(r == live_, "LruStackDistance: live count and bits disagree");
  last_.for_each([&](uint64_t, uint64_t &ts) {
    uint64_t below = bits_[ts >> 6] & ((uint64_t{1} << (ts & 63)) - 1);
    ts = rank[ts >> 6] + std::popcount(below);
  });
  cap_ = align_up(std::max(4 * live_, kMinCap), kBlockBits);
  bits_.assign(cap_ / 64, 0);
  for (uint64_t ts = 0; ts < live_ / 64; ++ts) bits_[ts] = ~uint64_t{0};
  if (live_ % 64 != 0) bits_[live_ / 64] = (uint64_t{1} << (live_ % 64)) - 1;
  // Fenwick tree in O(blocks): each node adds itself into its parent.
  const uint64_t blocks = cap_ / kBlockBits;
  tree_.assign(blocks + 1, 0);
  for (uint64_t b = 0; b < blocks; ++b) {
    uint64_t lo = b * kBlockBits;
    tree_[b + 1] = static_cast<uint32_t>(lo >= live_ ? 0 : std::min(kBlockBits, live_ - lo));
  }
  for (uint64_t i = 1; i <= blocks; ++i) {
    uint64_t parent = i + (i & (~i + 1));
    if (parent <= blocks) tree_[parent] += tree_[i];
  }
  now_ = live_;
}

bool LruStackDistance::forget(uint64_t key) {
  uint64_t ts = last_.erase(key);
  if (ts == KeyMap<uint64_t>::kAbsent) return false;
  mark(ts, -1);
  --live_;
  return true;
}

size_t LruStackDistance::bytes() const {
  return last_.bytes() + bits_.size() * sizeof(uint64_t) + tree_.size() * sizeof(uint32_t);
}

bool LruStackDistance::valid() const {
  if (now_ > cap_ || cap_ % kBlockBits != 0 || bits_.size() * 64 != cap_) return false;
  if (tree_.size() != cap_ / kBlockBits + 1 || last_.size() != live_ || !last_.valid())
    return false;
  uint64_t pop = 0;
  std::vector<uint32_t> block(cap_ / kBlockBits, 0);
  for (size_t w = 0; w < bits_.size(); ++w) {
    pop += std::popcount(bits_[w]);
    block[w * 64 / kBlockBits] += std::popcount(bits_[w]);
  }
  if (pop != live_) return false;
  for (uint64_t w = now_ / 64 + (now_ % 64 != 0); w < bits_.size(); ++w)
    if (bits_[w] != 0) return false;  // nothing live at or after now_ (whole words)
  // Every Fenwick node i covers blocks (i - lowbit(i), i].
  for (uint64_t i = 1; i < tree_.size(); ++i) {
    uint64_t sum = 0;
    for (uint64_t b = i - (i & (~i + 1)); b < i; ++b) sum += block[b];
    if (tree_[i] != sum) return false;
  }
  bool ok = true;
  last_.for_each([&](uint64_t, const uint64_t &ts) {
    if (ts >= now_ || !((bits_[ts >> 6] >> (ts & 63)) & 1)) ok = false;
  });
  return ok;
}

FaultCurve::FaultCurve(const std::vector<uint64_t> &hist, uint64_t deeper,
                       const std::vector<uint64_t> &first_refs, uint64_t n, uint64_t limit)
    : n_(n), limit_(limit) {
  const uint64_t cold = first_refs.size();
  // Trailing empty distances add nothing: the curve is flat from the deepest hit on.
  size_t h = hist.size();
  while (h > 0 && hist[h - 1] == 0) --h;
  if (limit_ != kComplete && deeper != 0) h = std::max<size_t>(h, limit_);
  faults_.assign(h + 1, 0);
  uint64_t f = cold + deeper;
  for (size_t d = h; d > 0; --d) {
    faults_[d] = f;
    f += d <= hist.size() ? hist[d - 1] : 0;
  }
  faults_[0] = f;
  HPMM_CHECK(f == n, "FaultCurve: histogram, first references and length disagree");
  resident_.assign(cold + 1, 0);
  for (uint64_t k = 0; k < cold; ++k) resident_[k + 1] = resident_[k] + (n - first_refs[k]);
  // With no reference deeper than the limit, a larger memory hits nothing more.
  if (limit_ != kComplete && (limit_ >= cold || deeper == 0)) limit_ = kComplete;
}

uint64_t FaultCurve::faults(uint64_t frames) const {
  HPMM_CHECK(known(frames), "FaultCurve::faults: frames beyond the curve's limit");
  return frames < faults_.size() ? faults_[frames] : faults_.back();
}

double FaultCurve::miss_ratio(uint64_t frames) const {
  return n_ == 0 ? 0.0 : static_cast<double>(faults(frames)) / static_cast<double>(n_);
}

double FaultCurve::mean_resident(uint64_t frames) const {
  if (n_ == 0) return 0.0;
  uint64_t k = std::min<uint64_t>(frames, resident_.size() - 1);
  return static_cast<double>(resident_[k]) / static_cast<double>(n_);
}

bool FaultCurve::valid() const {
  if (faults_.empty() || faults_[0] != n_ || resident_.empty()) return false;
  for (size_t f = 1; f < faults_.size(); ++f)
    if (faults_[f] > faults_[f - 1]) return false;
  if (limit_ == kComplete && faults_.back() != distinct()) return false;
  for (size_t k = 1; k < resident_.size(); ++k)
    if (resident_[k] <= resident_[k - 1]) return false;
  return true;
}

void LruStackDistance::ref(std::span<const uint64_t> keys, uint64_t *out) {
  constexpr size_t kChunk = 256, kAhead = 8;
  uint64_t prev[kChunk];
  for (size_t base = 0; base < keys.size(); base += kChunk) {
    const size_t m = std::min(kChunk, keys.size() - base);
    if (now_ + m > cap_) compact();  // then cap_ - now_ >= 3 * 2^14 > kChunk
    // Pass 1: each key takes its timestamp and yields its previous one.  A key repeated within
    // the chunk yields the timestamp its earlier occurrence just took, as ref() would.
    for (size_t i = 0; i < m; ++i) prev[i] = last_.put(keys[base + i], now_ + i);
    // Pass 2: distances in order; bits and tree reflect exactly the references before each.
    for (size_t i = 0; i < m; ++i) {
      if (i + kAhead < m && prev[i + kAhead] != KeyMap<uint64_t>::kAbsent)
        __builtin_prefetch(&bits_[prev[i + kAhead] >> 6]);
      const uint64_t now = now_ + i, j = prev[i];
      if (j == KeyMap<uint64_t>::kAbsent) {
        mark(now, 1);
        ++live_;
        out[base + i] = kColdMiss;
        continue;
      }
      out[base + i] = live_ - live_at_or_before(j) + 1;
      bits_[j >> 6] &= ~(uint64_t{1} << (j & 63));
      bits_[now >> 6] |= uint64_t{1} << (now & 63);
      if (j / kBlockBits != now / kBlockBits) {
        tree_add(j / kBlockBits, -1);
        tree_add(now / kBlockBits, 1);
      }
    }
    now_ += m;
    refs_ += m;
  }
}

void LruCurveBuilder::ref(std::span<const uint64_t> keys) {
  constexpr size_t kChunk = 4096;
  uint64_t d[kChunk];
  for (size_t base = 0; base < keys.size(); base += kChunk) {
    const size_t m = std::min(kChunk, keys.size() - base);
    const uint64_t first = sd_.references();
    sd_.ref(keys.subspan(base, m), d);
    for (size_t i = 0; i < m; ++i)
      if (d[i] == kColdMiss) {
        first_refs_.push_back(first + i);
        hist_.push_back(0);  // distances never exceed the distinct pages seen
      }
    uint64_t *h = hist_.data();
    for (size_t i = 0; i < m; ++i)
      if (d[i] != kColdMiss) ++h[d[i] - 1];
  }
}

FaultCurve LruCurveBuilder::curve() const {
  return FaultCurve(hist_, 0, first_refs_, sd_.references(), FaultCurve::kComplete);
}

FaultCurve lru_fault_curve(std::span<const uint64_t> refs) {
  LruCurveBuilder b;
  b.ref(refs);
  return b.curve();
}

std::string lru_fault_curve(PageRefSource &refs, FaultCurve *out) {
  LruCurveBuilder b;
  std::string err = for_each_ref_batch(refs, [&](std::span<const uint64_t> keys) { b.ref(keys); });
  *out = b.curve();
  return err;
}

FaultCurve opt_fault_curve(std::span<const uint64_t> refs, uint64_t max_frames) {
  HPMM_CHECK(max_frames >= 1, "opt_fault_curve: max_frames must be >= 1");
  const std::vector<uint64_t> next = compute_next_use(refs);
  struct Entry {
    uint64_t next_use;
    uint64_t key;
  };
  std::vector<Entry> stack;  // level 1 is stack[0]
  std::vector<uint64_t> hist, first_refs;
  KeyMap<uint8_t> seen;
  uint64_t deeper = 0;
  for (uint64_t t = 0; t < refs.size(); ++t) {
    const uint64_t x = refs[t];
    if (!stack.empty() && stack[0].key == x) {  // distance 1
      stack[0].next_use = next[t];
      ++hist[0];
      continue;
    }
    Entry carried{next[t], x};
    size_t i = 0;
    for (; i < stack.size(); ++i) {
      Entry &e = stack[i];
      if (e.key == x) break;
      if (e.next_use > carried.next_use || i == 0) std::swap(e, carried);
    }
    if (i < stack.size()) {
      stack[i] = carried;
      ++hist[i];
      continue;
    }
    if (stack.size() < max_frames) stack.push_back(carried);
    if (seen.put(x, 1) == KeyMap<uint8_t>::kAbsent) {
      first_refs.push_back(t);
      if (hist.size() < max_frames) hist.push_back(0);
    } else {
      ++deeper;
    }
  }
  return FaultCurve(hist, deeper, first_refs, refs.size(), max_frames);
}

}  // namespace hpmm::sim
