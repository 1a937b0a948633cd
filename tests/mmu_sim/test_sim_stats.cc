// tests/mmu_sim/test_sim_stats.cc: the cost model and SimStats::valid().
#include <criterion/criterion.h>

#include "mmu_sim/stats.hpp"

using namespace hpmm::sim;

namespace {
SimStats consistent() {
  SimStats s;
  s.reads = 6;
  s.writes = 4;
  s.accesses = 10;
  s.translations = 12;
  s.l1_by_size[0] = {8, 4};
  s.l1 = {8, 4};
  s.has_l2 = true;
  s.l2 = {1, 3};
  s.walks = 3;
  s.walk_refs = 6;
  s.pwc_hits[2] = 2;
  s.faults_minor = 2;
  s.faults_major = 1;
  s.evictions = 1;
  s.writebacks = 1;
  s.shootdowns = 2;
  s.resident_pages = 2;
  return s;
}
}  // namespace

Test(sim_stats, cycles_add_each_event_once) {
  SimStats s = consistent();
  CostModel c;
  const double want = 8 * c.l1_hit + 1 * c.l2_hit + 6 * c.walk_ref + 2 * c.pwc_hit +
                      2 * c.minor_fault + 1 * c.major_fault + 1 * c.writeback;
  cr_assert_float_eq(s.cycles(c), want, 1e-9);
  cr_assert_float_eq(s.cycles_per_access(c), want / 10, 1e-9);
  CostModel zero{0, 0, 0, 0, 0, 0, 0};
  cr_assert_float_eq(s.cycles(zero), 0.0, 1e-12);
  cr_assert_float_eq(SimStats{}.cycles_per_access(c), 0.0, 1e-12, "no accesses: 0, not NaN");
}

Test(sim_stats, valid_catches_each_broken_invariant) {
  cr_assert(consistent().valid());
  cr_assert(SimStats{}.valid());
  SimStats s = consistent();
  s.accesses = 11;
  cr_assert(!s.valid(), "accesses != reads + writes + ifetches");
  s = consistent();
  s.l1.hits = 9;
  cr_assert(!s.valid(), "l1 hits + misses != translations");
  s = consistent();
  s.l1_by_size[1] = {1, 0};
  cr_assert(!s.valid(), "sizes do not add up to l1");
  s = consistent();
  s.l2.misses = 2;
  cr_assert(!s.valid(), "l2 does not see every l1 miss");
  s = consistent();
  s.walks = 2;
  cr_assert(!s.valid(), "walks != l2 misses");
  s = consistent();
  s.walk_refs = 2;
  cr_assert(!s.valid(), "fewer references than walks");
  s = consistent();
  s.writebacks = 2;
  cr_assert(!s.valid(), "more write-backs than evictions");
  s = consistent();
  s.resident_pages = 3;
  cr_assert(!s.valid(), "pages in != out + resident");
  s = consistent();
  s.has_l2 = false;
  cr_assert(!s.valid(), "l2 counted without an l2");
}
