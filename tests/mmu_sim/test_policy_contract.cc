// tests/mmu_sim/test_policy_contract.cc: the FrameTable contract for 2Q, ARC, LIRS and
// active/inactive (free frames lowest first, victims only frames holding a page, reuse after
// release, a touch at the fill's own t changes nothing), parameters passed through FrameTable,
// and bad input (a clear abort).
#include <criterion/criterion.h>

#include <csignal>
#include <unordered_map>
#include <vector>

#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

template <class P>
static void free_frames_lowest_first() {
  FrameTable<P> ft(8, 1);
  for (uint32_t i = 0; i < 8; ++i) {
    auto p = ft.place(100 + i, i);
    cr_assert_eq(p.frame, i);
    cr_assert(!p.evicted);
    cr_assert(ft.valid());
  }
  ft.release(5);
  ft.release(2);
  ft.release(6);
  cr_assert_eq(ft.used(), 5u);
  cr_assert(ft.valid());
  const uint32_t want[] = {2, 5, 6};
  for (uint32_t i = 0; i < 3; ++i) {
    auto p = ft.place(200 + i, 8 + i);
    cr_assert_eq(p.frame, want[i]);
    cr_assert(!p.evicted);
    cr_assert(ft.valid());
  }
  // Full: every further place evicts a page that was resident, and its key is reported.
  std::unordered_map<uint64_t, uint32_t> where;
  for (uint32_t f = 0; f < 8; ++f) where[ft.owner(f)] = f;
  for (uint64_t t = 11; t < 400; ++t) {
    uint64_t key = 1000 + t % 23;
    auto it = where.find(key);
    if (it != where.end()) {
      ft.touch(it->second, t);
      continue;
    }
    auto p = ft.place(key, t);
    cr_assert(p.evicted);
    cr_assert_eq(where.at(p.victim_key), p.frame, "the victim frame did not hold the victim");
    where.erase(p.victim_key);
    where[key] = p.frame;
    cr_assert_eq(ft.owner(p.frame), key);
    if (t % 37 == 0) cr_assert(ft.valid());
  }
  // Release then place reuses exactly the freed frame.
  uint32_t f = where.begin()->second;
  ft.release(f);
  auto q = ft.place(5000, 400);
  cr_assert_eq(q.frame, f);
  cr_assert(!q.evicted);
  cr_assert(ft.valid());
}

Test(policy_contract, free_frames_lowest_first) {
  free_frames_lowest_first<TwoQPolicy>();
  free_frames_lowest_first<ArcPolicy>();
  free_frames_lowest_first<LirsPolicy>();
  free_frames_lowest_first<ActiveInactivePolicy>();
}

// The MMU may touch the page a fault just placed, at the fault's t: no choice changes.
template <class P>
static void touch_after_place_is_harmless() {
  std::vector<uint64_t> s;
  Xoshiro256 rng(5);
  for (int i = 0; i < 4000; ++i) s.push_back(rng.below32(i % 1000 < 500 ? 16 : 40));
  cr_assert_gt(check_touch_after_place_is_harmless<P>(s, 10, 1), 500u);
}

Test(policy_contract, touch_after_place_is_harmless) {
  touch_after_place_is_harmless<TwoQPolicy>();
  touch_after_place_is_harmless<ArcPolicy>();
  touch_after_place_is_harmless<LirsPolicy>();
  touch_after_place_is_harmless<ActiveInactivePolicy>();
}

// victim() asked while frames are free (FrameTable never does) still returns a frame holding a
// page, and the policy stays valid.
template <class P>
static void early_victim_holds_a_page() {
  P p(6, 1);
  p.on_fill(1, 11, 0);
  p.on_fill(4, 14, 1);
  p.on_access(1, 2);
  p.on_fill(3, 13, 3);
  p.on_free(4);
  for (uint64_t t = 4; t < 40; ++t) {
    uint32_t v = p.victim(100 + t, t);
    cr_assert(v == 1 || v == 3, "victim %u holds no page", v);
    cr_assert(!p.tracks(v));
    p.on_fill(v, 100 + t, t);
    cr_assert(p.valid());
  }
  cr_assert_eq(p.used(), 2u);
}

Test(policy_contract, early_victim_holds_a_page) {
  early_victim_holds_a_page<TwoQPolicy>();
  early_victim_holds_a_page<ArcPolicy>();
  early_victim_holds_a_page<LirsPolicy>();
  early_victim_holds_a_page<ActiveInactivePolicy>();
}

Test(policy_contract, parameters_pass_through_frame_table) {
  FrameTable<TwoQPolicy> q(40, 1, TwoQPolicy::Params{3, 7});
  cr_assert_eq(q.policy().kin(), 3u);
  cr_assert_eq(q.policy().kout(), 7u);
  FrameTable<TwoQPolicy> qd(40, 1);
  cr_assert_eq(qd.policy().kin(), 10u);
  cr_assert_eq(qd.policy().kout(), 20u);
  cr_assert_eq(TwoQPolicy(1, 1).kout(), 1u);
  FrameTable<LirsPolicy> l(40, 1, LirsPolicy::Params{4, 9});
  cr_assert_eq(l.policy().hir_frames(), 4u);
  cr_assert_eq(l.policy().lir_capacity(), 36u);
  cr_assert_eq(l.policy().max_ghosts(), 9u);
  FrameTable<ActiveInactivePolicy> a(40, 1, ActiveInactivePolicy::Params{3});
  cr_assert_eq(a.policy().inactive_ratio(), 3u);
  cr_assert(q.valid() && qd.valid() && l.valid() && a.valid());
}

// Bad input: a clear message and an abort.
Test(policy_contract, two_q_kin_above_frames_aborts, .signal = SIGABRT) {
  TwoQPolicy p(8, 1, TwoQPolicy::Params{9, 4});
}
Test(policy_contract, two_q_kout_above_frames_aborts, .signal = SIGABRT) {
  TwoQPolicy p(8, 1, TwoQPolicy::Params{2, 9});
}
Test(policy_contract, lirs_hir_above_frames_aborts, .signal = SIGABRT) {
  LirsPolicy p(8, 1, LirsPolicy::Params{9, 8});
}
Test(policy_contract, lirs_ghosts_above_frames_aborts, .signal = SIGABRT) {
  LirsPolicy p(8, 1, LirsPolicy::Params{1, 9});
}
Test(policy_contract, active_inactive_zero_ratio_aborts, .signal = SIGABRT) {
  ActiveInactivePolicy p(8, 1, ActiveInactivePolicy::Params{0});
}
Test(policy_contract, arc_zero_frames_aborts, .signal = SIGABRT) {
  FrameTable<ArcPolicy> ft(0, 1);
}
Test(policy_contract, arc_victim_of_empty_pool_aborts, .signal = SIGABRT) {
  ArcPolicy p(4, 1);
  p.victim(1, 0);
}
Test(policy_contract, lirs_victim_of_empty_pool_aborts, .signal = SIGABRT) {
  LirsPolicy p(4, 1);
  p.victim(1, 0);
}
Test(policy_contract, two_q_fill_of_held_frame_aborts, .signal = SIGABRT) {
  TwoQPolicy p(4, 1);
  p.on_fill(0, 1, 0);
  p.on_fill(0, 2, 1);
}
Test(policy_contract, active_inactive_free_of_free_frame_aborts, .signal = SIGABRT) {
  ActiveInactivePolicy p(4, 1);
  p.on_free(2);
}
