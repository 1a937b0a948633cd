// tests/mmu_sim/test_policy_classic.cc: small strings worked by hand for 2Q, ARC, LIRS and the
// active/inactive lists: exact victims, fault counts, ghost hits and the final state.
#include <criterion/criterion.h>

#include <utility>
#include <vector>

#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

// 2Q with 4 frames: Kin = 1, Kout = 2.  A1in and A1out newest first.
//   1 2 3 4   fill                       A1in [4 3 2 1]
//   5         |A1in| 4 > 1: out 1        A1in [5 4 3 2]   A1out [1]
//   1         A1out hit: out 2           A1in [5 4 3]     A1out [2]      Am [1]
//   6         out 3                      A1in [6 5 4]     A1out [3 2]
//   2         A1out hit: out 4           A1in [6 5]       A1out [4 3]    Am [2 1]
//   7         out 5, 3 falls off A1out   A1in [7 6]       A1out [5 4]
//   1         hit in Am                                                  Am [1 2]
//   8 9 10 11 a scan: out 6 7 8 9        A1in [11 10]     A1out [9 8]
//   2         hit: Am survived the scan
// 13 faults, 2 ghost hits, victims 1..9.
Test(policy_classic, two_q_by_hand) {
  const std::vector<uint64_t> s = {1, 2, 3, 4, 5, 1, 6, 2, 7, 1, 8, 9, 10, 11, 2};
  Driver<TwoQPolicy> d(4);
  cr_assert_eq(d.policy().kin(), 1u);
  cr_assert_eq(d.policy().kout(), 2u);
  cr_assert_eq(d.run(s), 13u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const TwoQPolicy &q = d.policy();
  cr_assert_eq(q.ghost_hits(), 2u);
  cr_assert(q.a1out_keys() == (std::vector<uint64_t>{9, 8}));
  cr_assert_eq(q.a1in_size(), 2u);
  cr_assert_eq(q.am_size(), 2u);
  cr_assert(q.in_am(d.frame_of(1)) && q.in_am(d.frame_of(2)));
  cr_assert(!q.in_am(d.frame_of(11)));
  cr_assert(d.table().valid());
}

// ARC with c = 3, p = 0 at the start.
//   1 2 3   T1 [3 2 1]
//   1       hit: T1 [3 2], T2 [1]
//   4       IV-B (|T1|+|B1| = 2, total 3 >= c): REPLACE, |T1| 2 > p 0: 2 -> B1;  T1 [4 3]
//   5       IV-A (|T1|+|B1| = 3): drop B1's 2; REPLACE: 3 -> B1;  T1 [5 4]
//   3       II (B1 hit): p = 1; REPLACE, |T1| 2 > 1: 4 -> B1;  T2 [3 1], T1 [5]
//   6       IV-B (total 4): REPLACE, |T1| 1 = p, x not in B2: T2's 1 -> B2;  T1 [6 5]
//   1       III (B2 hit): p = 0; REPLACE: 5 -> B1;  T2 [1 3], T1 [6], B1 [5 4], B2 []
// 8 faults, victims 2 3 4 1 5, one hit in each ghost list.
Test(policy_classic, arc_by_hand) {
  const std::vector<uint64_t> s = {1, 2, 3, 1, 4, 5, 3, 6, 1};
  Driver<ArcPolicy> d(3);
  uint32_t p_after[9];
  for (size_t i = 0; i < s.size(); ++i) {
    d.ref(s[i]);
    p_after[i] = d.policy().p();
  }
  cr_assert_eq(d.faults(), 8u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{2, 3, 4, 1, 5}));
  const uint32_t want_p[9] = {0, 0, 0, 0, 0, 0, 1, 1, 0};
  for (int i = 0; i < 9; ++i) cr_assert_eq(p_after[i], want_p[i], "p after reference %d", i);
  const ArcPolicy &a = d.policy();
  cr_assert_eq(a.b1_hits(), 1u);
  cr_assert_eq(a.b2_hits(), 1u);
  cr_assert(a.b1_keys() == (std::vector<uint64_t>{5, 4}));
  cr_assert(a.b2_keys().empty());
  cr_assert_eq(a.t1_size(), 1u);
  cr_assert_eq(a.t2_size(), 2u);
  cr_assert(a.in_t2(d.frame_of(1)) && a.in_t2(d.frame_of(3)) && !a.in_t2(d.frame_of(6)));
  cr_assert(d.table().valid());
}

// LIRS with 3 frames, L_hirs = 1 (L_lirs = 2).  S top first: L = LIR, H = resident HIR,
// G = ghost.
//   1 2      warm-up: both LIR                           S [2L 1L]
//   3        HIR                                         S [3H 2L 1L]      Q [3]
//   1        LIR hit at the bottom                       S [1L 3H 2L]
//   4        evict 3 (ghost), 4 HIR                      S [4H 1L 3G 2L]   Q [4]
//   3        ghost hit: evict 4 (ghost); 3 LIR, 2 demoted S [3L 4G 1L]     Q [2]
//   2        resident HIR not in S: top, end of Q        S [2H 3L 4G 1L]   Q [2]
//   4        ghost hit: evict 2 (ghost); 4 LIR, 1 demoted S [4L 2G 3L]     Q [1]
//   5        evict 1 (not in S: forgotten), 5 HIR        S [5H 4L 2G 3L]   Q [5]
//   3        LIR hit at the bottom, prune drops 2G       S [3L 5H 4L]
// 7 faults, victims 3 4 2 1, 2 ghost hits.
Test(policy_classic, lirs_by_hand) {
  const std::vector<uint64_t> s = {1, 2, 3, 1, 4, 3, 2, 4, 5, 3};
  Driver<LirsPolicy> d(3, LirsPolicy::Params{1, 3});
  cr_assert_eq(d.policy().lir_capacity(), 2u);
  cr_assert_eq(d.run(s), 7u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{3, 4, 2, 1}));
  const LirsPolicy &l = d.policy();
  cr_assert_eq(l.ghost_hits(), 2u);
  using E = std::pair<uint64_t, char>;
  cr_assert(l.stack() == (std::vector<E>{{3, 'L'}, {5, 'H'}, {4, 'L'}}));
  cr_assert_eq(l.lir_count(), 2u);
  cr_assert_eq(l.q_size(), 1u);
  cr_assert_eq(l.ghosts(), 0u);
  cr_assert(l.is_lir(d.frame_of(3)) && l.is_lir(d.frame_of(4)) && !l.is_lir(d.frame_of(5)));
  cr_assert(d.table().valid());
  // The defaults: L_hirs is 1% of the frames, at least 1.
  cr_assert_eq(LirsPolicy(3, 1).hir_frames(), 1u);
  cr_assert_eq(LirsPolicy(1000, 1).hir_frames(), 10u);
  cr_assert_eq(LirsPolicy(1000, 1).max_ghosts(), 1000u);
}

// Active/inactive with 4 frames, ratio 1.  Inactive head first; y = young, r = referenced.
//   1 2 3 4   fill                                   I [4y 3y 2y 1y]
//   5         scan: 1 2 3 4 each young, not r: second chance (r set, y cleared), then 1 is
//             not young: victim 1                   I [5y 4r 3r 2r]
//   2         reference: y                           I [5y 4r 3r 2ry]
//   6         2 young and r: promoted; 3 victim      I [6y 5y 4r]   A [2]
//   7         4 not young: victim                    I [7y 6y 5y]
//   8         5 6 7 second chance, 5 victim          I [8y 7r 6r]
// Victims 1 3 4 5; 8 faults; 2 active.
Test(policy_classic, active_inactive_by_hand) {
  const std::vector<uint64_t> s = {1, 2, 3, 4, 5, 2, 6, 7, 8};
  Driver<ActiveInactivePolicy> d(4);
  cr_assert_eq(d.run(s), 8u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{1, 3, 4, 5}));
  const ActiveInactivePolicy &a = d.policy();
  cr_assert(a.is_active(d.frame_of(2)));
  cr_assert_eq(a.active_size(), 1u);
  cr_assert_eq(a.inactive_size(), 3u);
  cr_assert_eq(a.promotions(), 1u);
  cr_assert(a.young(d.frame_of(8)) && !a.referenced(d.frame_of(8)));
  cr_assert(!a.young(d.frame_of(7)) && a.referenced(d.frame_of(7)));
  cr_assert(d.table().valid());
}
