// tests/mmu_sim/test_replacement_models.cc: each policy, run through FrameTable, against a
// deliberately simple O(frames) reference model of the textbook rule, on long generated strings
// with unmaps mixed in and several frame counts: identical faults, victim pages and victim frames.
// Plus properties every correct run has: OPT never faults more than any policy, and LRU and OPT
// are stack algorithms (one more frame never adds a fault).
#include <criterion/criterion.h>

#include <algorithm>
#include <map>
#include <vector>

#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

enum class Rule { kFifo, kLru, kClock, kOpt };

// The model: frames as plain slots, the victim found by scanning them all.
class Model {
 public:
  Model(Rule rule, uint32_t n, const std::vector<uint64_t> &refs) : rule_(rule), slot_(n) {
    for (uint64_t t = 0; t < refs.size(); ++t) uses_[refs[t]].push_back(t);
  }

  void ref(uint64_t key, uint64_t t) {
    ++clock_;
    for (Slot &s : slot_)
      if (s.used && s.key == key) {
        s.last = clock_;
        s.bit = true;
        return;
      }
    ++faults_;
    uint32_t f = 0;
    while (f < slot_.size() && slot_[f].used) ++f;  // lowest free frame
    if (f == slot_.size()) {
      f = victim(t);
      victim_keys_.push_back(slot_[f].key);
      victim_frames_.push_back(f);
    }
    slot_[f] = Slot{true, key, clock_, clock_, true};
  }

  void unmap(uint64_t key) {
    for (Slot &s : slot_)
      if (s.used && s.key == key) s.used = false;
  }

  uint64_t faults_ = 0;
  std::vector<uint64_t> victim_keys_;
  std::vector<uint32_t> victim_frames_;

 private:
  struct Slot {
    bool used = false;
    uint64_t key = 0;
    uint64_t filled = 0;  // step of the fill (FIFO)
    uint64_t last = 0;    // step of the latest reference (LRU)
    bool bit = false;     // reference bit (clock)
  };

  uint64_t next_use(uint64_t key, uint64_t t) const {
    const std::vector<uint64_t> &u = uses_.at(key);
    auto it = std::upper_bound(u.begin(), u.end(), t);
    return it == u.end() ? UINT64_MAX : *it;
  }

  uint32_t victim(uint64_t t) {
    auto n = static_cast<uint32_t>(slot_.size());
    uint32_t best = 0;
    switch (rule_) {
      case Rule::kFifo:
        for (uint32_t f = 1; f < n; ++f)
          if (slot_[f].filled < slot_[best].filled) best = f;
        return best;
      case Rule::kLru:
        for (uint32_t f = 1; f < n; ++f)
          if (slot_[f].last < slot_[best].last) best = f;
        return best;
      case Rule::kOpt:
        for (uint32_t f = 1; f < n; ++f)
          if (next_use(slot_[f].key, t) > next_use(slot_[best].key, t)) best = f;
        return best;
      case Rule::kClock:
        while (slot_[hand_].bit) {
          slot_[hand_].bit = false;
          hand_ = (hand_ + 1) % n;
        }
        best = hand_;
        hand_ = (hand_ + 1) % n;
        return best;
    }
    return best;
  }

  Rule rule_;
  std::vector<Slot> slot_;
  std::map<uint64_t, std::vector<uint64_t>> uses_;
  uint64_t clock_ = 0;
  uint32_t hand_ = 0;
};

template <class P>
void check_against_model(Rule rule) {
  const uint32_t frame_counts[] = {1, 2, 3, 5, 8, 16, 61, 128};
  int cases = 0;
  for (uint32_t n : frame_counts)
    for (int kind = 0; kind < 3; ++kind)
      for (uint64_t unmap_every : {uint64_t{0}, uint64_t{37}}) {
        uint64_t pages = n + 1 + n * (kind + 1) / 2;
        auto steps = workload(kind, pages, 4000, n * 131 + kind * 7 + unmap_every, unmap_every);
        auto refs = refs_of(steps);
        Model m(rule, n, refs);
        Driver<P> d(n);
        if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); })
          d.set_future(refs);
        uint64_t t = 0;
        for (size_t i = 0; i < steps.size(); ++i) {
          if (steps[i].unmap) {
            m.unmap(steps[i].key);
            d.unmap(steps[i].key);
          } else {
            m.ref(steps[i].key, t);
            d.ref(steps[i].key, t);
            ++t;
          }
          if (i % 997 == 0) cr_assert(d.table().valid(), "n=%u kind=%d step %zu", n, kind, i);
        }
        cr_assert(d.table().valid());
        cr_assert_eq(d.faults(), m.faults_, "n=%u kind=%d unmaps=%lu: faults %lu, model %lu", n,
                     kind, unmap_every, d.faults(), m.faults_);
        cr_assert(d.victim_keys() == m.victim_keys_, "n=%u kind=%d: victim pages differ", n, kind);
        cr_assert(d.victim_frames() == m.victim_frames_, "n=%u kind=%d: victim frames differ", n,
                  kind);
        cr_assert_gt(m.victim_keys_.size(), 0u);  // the case exercised replacement
        ++cases;
      }
  cr_assert_eq(cases, 48);
}

}  // namespace

Test(replacement_models, fifo_matches_model) {
  check_against_model<FifoPolicy>(Rule::kFifo);
}
Test(replacement_models, lru_matches_model) {
  check_against_model<LruPolicy>(Rule::kLru);
}
Test(replacement_models, clock_matches_model) {
  check_against_model<ClockPolicy>(Rule::kClock);
}
Test(replacement_models, opt_matches_model) {
  check_against_model<OptPolicy>(Rule::kOpt);
}

Test(replacement_models, opt_is_optimal_and_stack_algorithms_are_monotone) {
  for (int kind = 0; kind < 3; ++kind) {
    auto refs = refs_of(workload(kind, 48, 5000, 99 + kind, 0));
    uint64_t prev_lru = UINT64_MAX, prev_opt = UINT64_MAX;
    for (uint32_t n = 1; n <= 48; n += 3) {
      uint64_t opt = faults_of<OptPolicy>(refs, n), lru = faults_of<LruPolicy>(refs, n);
      cr_assert_leq(opt, lru);
      cr_assert_leq(opt, faults_of<FifoPolicy>(refs, n));
      cr_assert_leq(opt, faults_of<ClockPolicy>(refs, n));
      cr_assert_leq(opt, faults_of<RandomPolicy>(refs, n));
      cr_assert_leq(lru, prev_lru, "LRU with %u frames faults more than with fewer", n);
      cr_assert_leq(opt, prev_opt, "OPT with %u frames faults more than with fewer", n);
      prev_lru = lru;
      prev_opt = opt;
    }
    // With as many frames as pages, only the first reference to each page faults.
    std::map<uint64_t, int> seen;
    for (uint64_t k : refs) seen[k] = 1;
    uint64_t distinct = seen.size();
    cr_assert_eq(faults_of<LruPolicy>(refs, 48), distinct);
    cr_assert_eq(faults_of<RandomPolicy>(refs, 48), distinct);
  }
}

Test(replacement_models, compute_next_use_matches_scan) {
  for (uint64_t pages : {uint64_t{1}, uint64_t{7}, uint64_t{300}, uint64_t{5000}}) {
    auto refs = refs_of(workload(0, pages, 3000, pages, 0));
    auto next = compute_next_use(refs);
    cr_assert_eq(next.size(), refs.size());
    for (size_t t = 0; t < refs.size(); ++t) {
      uint64_t want = kNoNextUse;
      for (size_t u = t + 1; u < refs.size(); ++u)
        if (refs[u] == refs[t]) {
          want = u;
          break;
        }
      cr_assert_eq(next[t], want, "pages=%lu t=%zu", pages, t);
    }
  }
}
