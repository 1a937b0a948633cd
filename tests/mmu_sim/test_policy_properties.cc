// tests/mmu_sim/test_policy_properties.cc: the properties that define the scan-resistant
// policies, each asserted on both sides where a side exists:
//   - scan resistance: a hot set established under memory pressure survives a one-time scan
//     with 2Q, ARC, LIRS and active/inactive, and is lost by LRU, FIFO and CLOCK
//   - ARC moves p toward recency (B1 hits) and toward frequency (B2 hits)
//   - LIRS keeps L_lirs pages of a loop larger than memory, where LRU and ARC fault on every
//     reference
//   - active/inactive: promotion needs references on two trips through the inactive list, not
//     many references on one; the active list is kept to the target ratio
#include <criterion/criterion.h>

#include <vector>

#include "mmu_sim/policy_clock.hpp"
#include "mmu_sim/policy_fifo.hpp"
#include "mmu_sim/policy_lru.hpp"
#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

constexpr uint32_t kFrames = 100, kHot = 30;

struct ScanResult {
  uint32_t hot_resident_before;  // hot pages resident when the scan starts
  uint32_t hot_resident_after;   // ... when it ends
  uint64_t hot_faults;           // faults of one pass over the hot set after the scan
};

// Warm-up: 20000 references, 80% to a hot set of 30 pages, 20% to a pool of 100000 cold pages
// (so memory is under pressure and the policy has sorted hot from cold); then a scan of 5000 new
// pages, each referenced once; then the hot set once.
template <class P>
ScanResult scan_after_hot_set() {
  Driver<P> d(kFrames);
  Xoshiro256 rng(3);
  for (int i = 0; i < 20000; ++i)
    d.ref(rng.next() % 5 != 0 ? page_key(rng.below32(kHot))
                              : page_key(1000000 + rng.below32(100000)));
  ScanResult r{0, 0, 0};
  for (uint64_t h = 0; h < kHot; ++h) r.hot_resident_before += d.resident(page_key(h));
  for (uint64_t i = 0; i < 5000; ++i) {
    d.ref(page_key(5000000 + i));
    if (i % 1000 == 0) cr_assert(d.table().valid());
  }
  for (uint64_t h = 0; h < kHot; ++h) r.hot_resident_after += d.resident(page_key(h));
  uint64_t f = d.faults();
  for (uint64_t h = 0; h < kHot; ++h) d.ref(page_key(h));
  r.hot_faults = d.faults() - f;
  cr_assert(d.table().valid());
  return r;
}

template <class P>
void assert_scan_resistant(const char *name) {
  ScanResult r = scan_after_hot_set<P>();
  cr_assert_geq(r.hot_resident_before, kHot - 2, "%s: hot set not resident before the scan", name);
  cr_assert_geq(r.hot_resident_after, kHot - 2, "%s: the scan evicted the hot set (%u left)", name,
                r.hot_resident_after);
  cr_assert_leq(r.hot_faults, 2u, "%s: %lu faults on the hot set after the scan", name,
                r.hot_faults);
}

template <class P>
void assert_scan_flushes(const char *name) {
  ScanResult r = scan_after_hot_set<P>();
  cr_assert_geq(r.hot_resident_before, kHot - 5, "%s: hot set not resident before the scan", name);
  cr_assert_eq(r.hot_resident_after, 0u, "%s: kept hot pages through a scan", name);
  cr_assert_eq(r.hot_faults, uint64_t{kHot}, "%s", name);
}

}  // namespace

Test(policy_properties, scan_resistance) {
  assert_scan_resistant<TwoQPolicy>("2q");
  assert_scan_resistant<ArcPolicy>("arc");
  assert_scan_resistant<LirsPolicy>("lirs");
  assert_scan_resistant<ActiveInactivePolicy>("linux");
  assert_scan_flushes<LruPolicy>("lru");
  assert_scan_flushes<FifoPolicy>("fifo");
  assert_scan_flushes<ClockPolicy>("clock");
}

// Recency: page i is referenced at step i and again 60 steps (120 references) later, beyond LRU
// reach of T1 while p is small: the second references hit B1 and p climbs to c.  Frequency: 80
// hot pages referenced 70% of the time among one-time pages: with p high the one-time pages push
// hot pages out of T2, their return hits B2, and p falls.  Then recency again raises p.
Test(policy_properties, arc_adapts_p) {
  const uint32_t c = 100;
  Driver<ArcPolicy> d(c);
  const ArcPolicy &a = d.policy();
  for (uint64_t i = 0; i < 3000; ++i) {
    d.ref(page_key(i));
    if (i >= 60) d.ref(page_key(i - 60));
  }
  cr_assert_geq(a.p(), 3 * c / 4, "p = %u after a recency workload", a.p());
  cr_assert_gt(a.b1_hits(), 20u);
  cr_assert_eq(a.b2_hits(), 0u);
  // Once p is high, the second references hit in T1: only first references fault.
  uint64_t f = d.faults();
  for (uint64_t i = 3000; i < 4000; ++i) {
    d.ref(page_key(i));
    d.ref(page_key(i - 60));
  }
  cr_assert_eq(d.faults() - f, 1000u);

  Xoshiro256 rng(5);
  uint64_t fresh = 1u << 20, b2 = a.b2_hits();
  for (int i = 0; i < 8000; ++i)
    d.ref(rng.next() % 10 < 3 ? page_key(fresh++) : page_key(2000000 + rng.below32(80)));
  cr_assert_leq(a.p(), c / 4, "p = %u after a frequency workload", a.p());
  cr_assert_gt(a.b2_hits() - b2, 20u);
  // The hot set is then resident: the faults are the one-time pages only.
  f = d.faults();
  uint64_t fresh_before = fresh;
  for (int i = 0; i < 2000; ++i)
    d.ref(rng.next() % 10 < 3 ? page_key(fresh++) : page_key(2000000 + rng.below32(80)));
  cr_assert_eq(d.faults() - f, fresh - fresh_before);

  for (uint64_t i = 0; i < 3000; ++i) {
    d.ref(page_key(5000000 + i));
    if (i >= 60) d.ref(page_key(5000000 + i - 60));
  }
  cr_assert_geq(a.p(), c / 2, "p = %u after recency again", a.p());
  cr_assert(d.table().valid());
}

// A loop over 150 pages with 100 frames (L_hirs = 1): LIRS keeps its 99 LIR pages and faults 51
// times a pass; LRU and ARC fault on every reference.
Test(policy_properties, lirs_keeps_part_of_a_loop) {
  Driver<LirsPolicy> lirs(100);
  Driver<ArcPolicy> arc(100);
  for (int pass = 0; pass < 10; ++pass) {
    uint64_t fl = lirs.faults(), fa = arc.faults();
    for (uint64_t i = 0; i < 150; ++i) {
      lirs.ref(page_key(i));
      arc.ref(page_key(i));
    }
    if (pass >= 3) {
      cr_assert_eq(lirs.faults() - fl, 51u, "pass %d", pass);
      cr_assert_eq(arc.faults() - fa, 150u, "pass %d", pass);
    }
  }
  cr_assert_eq(lirs.policy().lir_count(), 99u);
  cr_assert(lirs.table().valid());
  std::vector<uint64_t> loop;
  for (int pass = 0; pass < 10; ++pass)
    for (uint64_t i = 0; i < 150; ++i) loop.push_back(page_key(i));
  Driver<LruPolicy> lru(100);
  cr_assert_eq(lru.run(loop), loop.size());
}

// A page referenced many times during one trip through the inactive list is not promoted; one
// referenced on two trips is.  4 frames, ratio 1.
Test(policy_properties, active_inactive_promotes_on_two_trips) {
  // Page 1 referenced 50 times before any scan: its young bit records one reference.  The first
  // scan (fault on 5) gives 1..4 their second chance and then reclaims 1.
  Driver<ActiveInactivePolicy> d(4);
  for (int i = 0; i < 50; ++i) d.ref(1);
  for (uint64_t k = 2; k <= 5; ++k) d.ref(k);
  cr_assert(!d.resident(1), "a page referenced on one trip only must be reclaimed");
  for (uint64_t k = 6; k <= 8; ++k) d.ref(k);
  cr_assert_eq(d.policy().promotions(), 0u);
  // 10..13 fill; the fault on 14 sets their referenced flags and reclaims 10.  11 referenced
  // again (its second trip): the fault on 15 promotes it and reclaims 12.
  Driver<ActiveInactivePolicy> e(4);
  for (uint64_t k = 10; k <= 14; ++k) e.ref(k);
  cr_assert(!e.resident(10));
  cr_assert(e.policy().referenced(e.frame_of(11)) && !e.policy().young(e.frame_of(11)));
  e.ref(11);
  e.ref(15);
  cr_assert(e.policy().is_active(e.frame_of(11)));
  cr_assert(!e.resident(12));
  cr_assert_eq(e.policy().promotions(), 1u);
  cr_assert(e.table().valid());
}

// Whatever the references, right after a fault with memory full the active list is within the
// ratio of the inactive list (active <= ratio * inactive, the fill having restored the victim's
// place), and the lists partition the resident pages.
Test(policy_properties, active_inactive_keeps_ratio) {
  for (uint32_t ratio : {1u, 2u, 4u}) {
    Driver<ActiveInactivePolicy> d(64, ActiveInactivePolicy::Params{ratio});
    const ActiveInactivePolicy &a = d.policy();
    auto steps = workload(1, 200, 20000, ratio, 0);
    uint64_t checked = 0;
    for (const Step &s : steps) {
      bool fault = d.ref(s.key);
      if (fault && d.table().used() == 64) {
        cr_assert_leq(a.active_size(), ratio * a.inactive_size(), "ratio %u", ratio);
        ++checked;
      }
    }
    cr_assert_gt(a.promotions(), 100u);
    cr_assert_gt(a.demotions(), 100u);
    cr_assert_gt(a.active_size(), 64u / (ratio + 1) - 2, "the active list is used");
    cr_assert_gt(checked, 1000u);
    cr_assert(d.table().valid());
  }
}

// The ghost lists stay within their bounds on every workload (valid() checks the rest).
Test(policy_properties, ghosts_bounded_by_frames) {
  for (int kind = 0; kind < 5; ++kind) {
    auto steps = workload(kind, 300, 20000, 7 + kind, 53);
    Driver<TwoQPolicy> q(50);
    Driver<ArcPolicy> a(50);
    Driver<LirsPolicy> l(50);
    for (const Step &s : steps) {
      if (s.unmap) {
        q.unmap(s.key);
        a.unmap(s.key);
        l.unmap(s.key);
        continue;
      }
      q.ref(s.key);
      a.ref(s.key);
      l.ref(s.key);
      cr_assert_leq(q.policy().a1out_size(), q.policy().kout());
      cr_assert_leq(a.policy().b1_size() + a.policy().b2_size(), 50u);
      cr_assert_leq(a.policy().t1_size() + a.policy().b1_size(), 50u);
      cr_assert_leq(l.policy().ghosts(), l.policy().max_ghosts());
    }
    cr_assert(q.table().valid() && a.table().valid() && l.table().valid());
    cr_assert_gt(q.policy().ghost_hits() + a.policy().b1_hits() + l.policy().ghost_hits(), 0u);
  }
}
