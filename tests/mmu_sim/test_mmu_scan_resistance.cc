// tests/mmu_sim/test_mmu_scan_resistance.cc: the scan-resistant policies (2q, arc, lirs, linux)
// chosen through SimConfig::replacement and run by the MMU: a hot set that has proved itself
// survives a one-time scan of many more pages than the frames, which evicts it under lru; and the
// properties every policy keeps through the MMU (cold misses only when everything fits, the
// counters' invariants, the same counts on a second run).
#include <criterion/criterion.h>

#include <vector>

#include "sim_test_util.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

constexpr uint64_t kFrames = 100, kHot = 40;

const PageReplacement kResistant[] = {PageReplacement::k2Q, PageReplacement::kArc,
                                      PageReplacement::kLirs, PageReplacement::kLinux};

// Faults of one more round over the hot set after: 30 rounds of the hot set each followed by 10
// one-time pages (pressure, so every policy sees the hot pages come back), then a one-time scan
// of 10 x kFrames pages.
uint64_t hot_faults_after_scan(PageReplacement p) {
  SimConfig c = small_config();
  c.replacement = p;
  c.frames[0] = kFrames;
  auto m = make(c);
  std::vector<uint64_t> pages;
  uint64_t cold = 1000;
  for (int round = 0; round < 30; ++round) {
    for (uint64_t h = 0; h < kHot; ++h) pages.push_back(h);
    for (int k = 0; k < 10; ++k) pages.push_back(cold++);
  }
  for (uint64_t k = 0; k < 10 * kFrames; ++k) pages.push_back(cold++);
  run(*m, page_loads(pages));
  const uint64_t before = m->stats().faults();
  std::vector<uint64_t> hot;
  for (uint64_t h = 0; h < kHot; ++h) hot.push_back(h);
  run(*m, page_loads(hot));
  cr_assert(m->valid(), "%s: invariants broken", name_of(p));
  return m->stats().faults() - before;
}

}  // namespace

Test(mmu_scan_resistance, lru_loses_the_hot_set_to_a_scan) {
  cr_assert_eq(hot_faults_after_scan(PageReplacement::kLru), kHot);
}

Test(mmu_scan_resistance, resistant_policies_keep_the_hot_set) {
  for (PageReplacement p : kResistant) {
    const uint64_t f = hot_faults_after_scan(p);
    cr_assert(f <= kHot / 4, "%s: %llu of the %llu hot pages faulted after the scan", name_of(p),
              static_cast<unsigned long long>(f), static_cast<unsigned long long>(kHot));
  }
}

Test(mmu_scan_resistance, every_policy_through_the_mmu) {
  // A looping string over 60 pages: with >= 60 frames only the cold misses fault; with 30 the
  // policy must evict; counters keep their invariants and a second run counts the same.
  std::vector<uint64_t> pages;
  for (int pass = 0; pass < 20; ++pass)
    for (uint64_t k = 0; k < 60; ++k) pages.push_back((k * 7) % 60);
  for (PageReplacement p : kResistant) {
    for (uint64_t frames : {60u, 64u, 30u}) {
      SimConfig c = small_config();
      c.replacement = p;
      c.frames[0] = frames;
      auto a = make(c), b = make(c);
      const SimStats sa = run(*a, page_loads(pages)), sb = run(*b, page_loads(pages));
      cr_assert(sa.valid() && a->valid(), "%s/%llu: invariants", name_of(p),
                static_cast<unsigned long long>(frames));
      cr_assert_eq(sa.faults(), sb.faults(), "%s: not deterministic", name_of(p));
      if (frames >= 60)
        cr_assert_eq(sa.faults(), 60u, "%s/%llu frames: %llu faults, want the 60 cold misses",
                     name_of(p), static_cast<unsigned long long>(frames),
                     static_cast<unsigned long long>(sa.faults()));
      else
        cr_assert(sa.faults() > 60 && sa.evictions == sa.faults() - frames, "%s: evictions",
                  name_of(p));
    }
  }
}

Test(mmu_scan_resistance, names) {
  cr_assert_str_eq(name_of(PageReplacement::k2Q), "2q");
  cr_assert_str_eq(name_of(PageReplacement::kArc), "arc");
  cr_assert_str_eq(name_of(PageReplacement::kLirs), "lirs");
  cr_assert_str_eq(name_of(PageReplacement::kLinux), "linux");
}
