// tests/mmu_sim/test_mrc.cc: the exact fault curves.  The LRU curve equals FrameTable<LruPolicy>
// fault counts and the OPT curve equals FrameTable<OptPolicy> fault counts, exactly, at many
// memory sizes, on uniform, zipf, looping and phased strings; stack distances equal a
// brute-force LRU stack; the curve's mean residency equals a direct count; OPT's depth bound
// keeps the levels above it exact; bad input aborts.
#include <criterion/criterion.h>

#include <algorithm>
#include <csignal>
#include <list>
#include <set>
#include <vector>

#include "mmu_sim/mrc.hpp"
#include "tests/mmu_sim/test_mrc_sources.hpp"
#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

std::vector<uint64_t> keys_of(const std::vector<uint64_t> &pages) {
  std::vector<uint64_t> k(pages.size());
  for (size_t i = 0; i < pages.size(); ++i) k[i] = (pages[i] << 12) | 0x5;
  return k;
}

std::vector<uint32_t> sizes_for(uint64_t distinct) {
  std::vector<uint32_t> f = {1, 2, 3, 7, 16, 50};
  for (uint64_t x : {distinct / 3, distinct / 2, distinct - 1, distinct, distinct + 4})
    if (x >= 1) f.push_back(static_cast<uint32_t>(x));
  return f;
}

}  // namespace

Test(mrc, classic_strings) {
  FaultCurve lru = lru_fault_curve(kBeladyString), opt = opt_fault_curve(kBeladyString, 10);
  cr_assert_eq(lru.faults(3), 10u);
  cr_assert_eq(lru.faults(4), 8u);
  cr_assert_eq(opt.faults(3), 7u);
  cr_assert_eq(opt.faults(4), 6u);
  FaultCurve t = lru_fault_curve(kTextbookString), u = opt_fault_curve(kTextbookString, 3);
  cr_assert_eq(t.faults(3), 12u);
  cr_assert_eq(u.faults(3), 9u);
  cr_assert_eq(lru.faults(0), kBeladyString.size());
  cr_assert_eq(lru.distinct(), 5u);
  cr_assert_eq(lru.frames_for_all(), 5u);
  cr_assert_eq(lru.faults(100), 5u);
  cr_assert(lru.valid() && opt.valid() && t.valid() && u.valid());
  cr_assert_float_eq(lru.miss_ratio(4), 8.0 / 12.0, 1e-12);
}

Test(mrc, lru_curve_equals_frame_table_runs) {
  for (Shape shape : kShapes) {
    const uint64_t pages = 600;
    auto refs = keys_of(reference_string(shape, pages, 20000, 11));
    FaultCurve c = lru_fault_curve(refs);
    cr_assert(c.valid(), "%s", name_of(shape));
    cr_assert_eq(c.references(), refs.size());
    for (uint32_t f : sizes_for(c.distinct()))
      cr_assert_eq(c.faults(f), faults_of<LruPolicy>(refs, f), "%s F=%u", name_of(shape), f);
  }
}

Test(mrc, opt_curve_equals_frame_table_runs) {
  for (Shape shape : kShapes) {
    const uint64_t pages = 400;
    auto refs = keys_of(reference_string(shape, pages, 12000, 12));
    FaultCurve c = opt_fault_curve(refs, 1000);
    cr_assert(c.valid(), "%s", name_of(shape));
    cr_assert_eq(c.limit(), FaultCurve::kComplete);
    FaultCurve lru = lru_fault_curve(refs);
    for (uint32_t f : sizes_for(c.distinct())) {
      cr_assert_eq(c.faults(f), faults_of<OptPolicy>(refs, f), "%s F=%u", name_of(shape), f);
      cr_assert_leq(c.faults(f), lru.faults(f));
    }
  }
}

// Levels above the depth bound are exact; below it the curve refuses to answer.
Test(mrc, opt_depth_bound) {
  auto refs = keys_of(reference_string(Shape::kUniform, 300, 8000, 13));
  FaultCurve full = opt_fault_curve(refs, 300), cut = opt_fault_curve(refs, 40);
  cr_assert_eq(cut.limit(), 40u);
  cr_assert(cut.known(40) && !cut.known(41));
  for (uint64_t f = 0; f <= 40; ++f) cr_assert_eq(cut.faults(f), full.faults(f), "F=%lu", f);
  cr_assert(cut.valid());
  // A string whose pages are each referenced once needs no depth: the curve is complete.
  std::vector<uint64_t> once = {1, 2, 3, 4, 5, 6};
  cr_assert_eq(opt_fault_curve(once, 2).limit(), FaultCurve::kComplete);
}

Test(mrc, opt_beyond_limit_aborts, .signal = SIGABRT) {
  auto refs = keys_of(reference_string(Shape::kUniform, 300, 2000, 14));
  FaultCurve cut = opt_fault_curve(refs, 10);
  cut.faults(11);
}

// Stack distances against a brute-force LRU stack (a list, most recent first), through several
// compactions (timestamps run out every 64 Ki references), with pages forgotten on the way.
Test(mrc, stack_distances_match_brute_force) {
  LruStackDistance sd;
  std::list<uint64_t> stack;
  Xoshiro256 rng(15);
  for (uint64_t t = 0; t < 150000; ++t) {  // 2 compactions
    uint64_t k = t % 3 == 0 ? rng.below32(600) : rng.below32(40);
    if (rng.below32(1000) == 0) {  // forget a page
      uint64_t f = rng.below32(40);
      auto it = std::find(stack.begin(), stack.end(), f);
      cr_assert_eq(sd.forget(f), it != stack.end());
      if (it != stack.end()) stack.erase(it);
    }
    auto it = std::find(stack.begin(), stack.end(), k);
    uint64_t want = kColdMiss;
    if (it != stack.end()) {
      want = static_cast<uint64_t>(std::distance(stack.begin(), it)) + 1;
      stack.erase(it);
    }
    stack.push_front(k);
    cr_assert_eq(sd.ref(k), want, "t=%lu", t);
    if (t % 30000 == 0) cr_assert(sd.valid());
  }
  cr_assert_eq(sd.distinct(), stack.size());
  cr_assert(sd.valid());
}

// The batch path gives the distances of one reference at a time: chunks with repeated keys,
// compactions in the middle of a run, runs of every length.
Test(mrc, batch_distances_equal_single_references) {
  LruStackDistance one, batch;
  Xoshiro256 rng(17);
  std::vector<uint64_t> keys, got;
  uint64_t total = 0;
  while (total < 200000) {
    size_t len = rng.below32(5) == 0 ? rng.below32(3000) : rng.below32(40);
    keys.resize(len);
    for (uint64_t &k : keys) k = rng.below32(3) == 0 ? rng.below32(20000) : rng.below32(30);
    got.assign(len, 7);
    batch.ref(keys, got.data());
    for (size_t i = 0; i < len; ++i) cr_assert_eq(got[i], one.ref(keys[i]), "ref %lu", total + i);
    total += len;
  }
  cr_assert_eq(batch.references(), one.references());
  cr_assert_eq(batch.distinct(), one.distinct());
  cr_assert(batch.valid());
}

// mean_resident(F) = (1/n) sum_t min(F, distinct pages so far), counted directly.
Test(mrc, mean_resident_matches_direct_count) {
  auto refs = keys_of(reference_string(Shape::kPhased, 200, 5000, 16));
  FaultCurve c = lru_fault_curve(refs);
  for (uint64_t f : {uint64_t{1}, uint64_t{5}, uint64_t{60}, uint64_t{150}, uint64_t{1000}}) {
    std::set<uint64_t> seen;
    double sum = 0;
    for (uint64_t k : refs) {
      seen.insert(k);
      sum += static_cast<double>(std::min<uint64_t>(f, seen.size()));
    }
    cr_assert_float_eq(c.mean_resident(f), sum / static_cast<double>(refs.size()), 1e-9, "F=%lu",
                       f);
  }
}

Test(mrc, empty_and_single_page_strings) {
  FaultCurve e = lru_fault_curve(std::span<const uint64_t>());
  cr_assert_eq(e.references(), 0u);
  cr_assert_eq(e.faults(0), 0u);
  cr_assert_eq(e.faults(5), 0u);
  cr_assert_eq(e.miss_ratio(5), 0.0);
  cr_assert_eq(e.mean_resident(5), 0.0);
  cr_assert(e.valid());
  const std::vector<uint64_t> one(1000, 42);
  FaultCurve o = lru_fault_curve(one), p = opt_fault_curve(one, 4);
  cr_assert_eq(o.faults(1), 1u);
  cr_assert_eq(p.faults(1), 1u);
  cr_assert_eq(o.frames_for_all(), 1u);
  cr_assert_float_eq(o.mean_resident(8), 1.0, 1e-12);
}

Test(mrc, opt_zero_depth_aborts, .signal = SIGABRT) {
  const std::vector<uint64_t> s = {1, 2, 3};
  opt_fault_curve(s, 0);
}
