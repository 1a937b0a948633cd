// tests/mmu_sim/test_replacement_table.cc: FrameTable (free frames lowest first, reuse after
// release, valid() throughout), the random policy's determinism and uniformity, direct use of the
// policy protocol, and bad input (each a clear abort, never a hang or corruption).
#include <criterion/criterion.h>

#include <csignal>
#include <vector>

#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

template <class P>
static void free_frames_lowest_first() {
  FrameTable<P> ft(8, 1);
  if constexpr (requires(P p) { p.set_future(std::span<const uint64_t>()); }) {
    static const std::vector<uint64_t> future(64, kNoNextUse);
    ft.policy().set_future(future);
  }
  cr_assert(ft.valid());
  for (uint32_t i = 0; i < 8; ++i) {
    auto p = ft.place(100 + i, i);
    cr_assert_eq(p.frame, i);
    cr_assert(!p.evicted);
    cr_assert_eq(ft.owner(i), 100 + i);
    cr_assert_eq(ft.used(), i + 1);
    cr_assert(ft.valid());
  }
  // Free 5, 2 and 6; they come back lowest first, before any eviction.
  ft.release(5);
  ft.release(2);
  ft.release(6);
  cr_assert(!ft.in_use(2) && !ft.in_use(5) && !ft.in_use(6) && ft.in_use(3));
  cr_assert_eq(ft.used(), 5u);
  cr_assert(ft.valid());
  const uint32_t want[] = {2, 5, 6};
  for (uint32_t i = 0; i < 3; ++i) {
    auto p = ft.place(200 + i, 8 + i);
    cr_assert_eq(p.frame, want[i]);
    cr_assert(!p.evicted);
    cr_assert_eq(ft.owner(p.frame), 200 + i);
    cr_assert(ft.valid());
  }
  // Full: the next place evicts, reports the victim's key, and the frame gets the new owner.
  const uint64_t owner_before[8] = {100, 101, 200, 103, 104, 201, 202, 107};
  for (uint32_t f = 0; f < 8; ++f) cr_assert_eq(ft.owner(f), owner_before[f]);
  auto p = ft.place(300, 11);
  cr_assert(p.evicted);
  cr_assert_eq(p.victim_key, owner_before[p.frame]);
  cr_assert_eq(ft.owner(p.frame), 300u);
  cr_assert_eq(ft.used(), 8u);
  cr_assert_eq(ft.frames(), 8u);
  cr_assert(ft.valid());
  // Release then place reuses exactly the freed frame.
  ft.release(p.frame);
  auto q = ft.place(400, 12);
  cr_assert_eq(q.frame, p.frame);
  cr_assert(!q.evicted);
  cr_assert(ft.valid());
}

Test(frame_table, free_frames_lowest_first_fifo) {
  free_frames_lowest_first<FifoPolicy>();
}
Test(frame_table, free_frames_lowest_first_lru) {
  free_frames_lowest_first<LruPolicy>();
}
Test(frame_table, free_frames_lowest_first_clock) {
  free_frames_lowest_first<ClockPolicy>();
}
Test(frame_table, free_frames_lowest_first_opt) {
  free_frames_lowest_first<OptPolicy>();
}
Test(frame_table, free_frames_lowest_first_random) {
  free_frames_lowest_first<RandomPolicy>();
}

Test(frame_table, single_frame) {
  Driver<ClockPolicy> d(1);
  const std::vector<uint64_t> s = {1, 1, 2, 2, 1};
  cr_assert_eq(d.run(s), 3u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{1, 2}));
  cr_assert(d.table().valid());
}

Test(frame_table, keys_are_opaque) {
  // 0 and UINT64_MAX are keys like any other.
  Driver<LruPolicy> d(2);
  const std::vector<uint64_t> s = {0, UINT64_MAX, 0, 7, UINT64_MAX};
  cr_assert_eq(d.run(s), 4u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{UINT64_MAX, 0}));
}

static std::vector<uint32_t> random_victims(uint64_t seed, uint32_t n, int count) {
  RandomPolicy r(n, seed);
  for (uint32_t f = 0; f < n; ++f) r.on_fill(f, f, f);
  std::vector<uint32_t> out;
  for (int i = 0; i < count; ++i) {
    uint32_t v = r.victim(n + i, n + i);
    out.push_back(v);
    r.on_fill(v, n + i, n + i);
  }
  return out;
}

Test(random_policy, deterministic_for_a_seed_and_differs_across_seeds) {
  auto a = random_victims(42, 1000, 200), b = random_victims(42, 1000, 200);
  auto c = random_victims(43, 1000, 200);
  cr_assert(a == b);
  cr_assert(a != c);
  for (uint32_t v : a) cr_assert_lt(v, 1000u);
}

Test(random_policy, uniform_over_frames) {
  // 8 frames, 80000 draws: each frame within 5% of 10000 (about 5 standard deviations).
  auto v = random_victims(7, 8, 80000);
  uint64_t count[8] = {};
  for (uint32_t f : v) ++count[f];
  for (int f = 0; f < 8; ++f)
    cr_assert(count[f] > 9500 && count[f] < 10500, "frame %d: %lu", f, count[f]);
}

// The victims are those of drawing on demand (the policy draws the next victim's first candidate
// early, as a prefetch hint): a model that draws from the same generator when asked, with free
// frames (redraws) in the mix; the hint is the victim whenever that frame holds a page.
Test(random_policy, victims_equal_drawing_on_demand_and_the_hint_names_them) {
  const uint32_t n = 50;
  RandomPolicy r(n, 11);
  Xoshiro256 model_rng(11);
  std::vector<bool> held(n, false);
  for (uint32_t f = 0; f < n; ++f) {
    r.on_fill(f, f, f);
    held[f] = true;
  }
  uint64_t hinted = 0;
  for (uint32_t i = 0; i < 3000; ++i) {
    if (i % 7 == 3) {  // free a held frame now and then, refill a free one otherwise
      for (uint32_t f = (i * 13) % n;; f = (f + 1) % n)
        if (held[f] && r.used() > 1) {
          r.on_free(f);
          held[f] = false;
          break;
        } else if (!held[f]) {
          r.on_fill(f, n + i, n + i);
          held[f] = true;
          break;
        }
      continue;
    }
    const uint32_t hint = r.next_victim_hint();
    uint32_t want = model_rng.below32(n);
    while (!held[want]) want = model_rng.below32(n);
    const uint32_t v = r.victim(n + i, n + i);
    cr_assert_eq(v, want, "step %u", i);
    if (held[hint]) {
      cr_assert_eq(hint, v, "step %u: the hint names a held frame that is not the victim", i);
      ++hinted;
    }
    r.on_fill(v, n + i, n + i);
  }
  cr_assert_gt(hinted, 1000u);
  cr_assert(r.valid());
}

Test(random_policy, picks_only_frames_holding_a_page) {
  RandomPolicy r(64, 3);
  for (uint32_t f = 0; f < 64; ++f) r.on_fill(f, f, f);
  for (uint32_t f = 0; f < 64; ++f)
    if (f % 5 != 0) r.on_free(f);  // 13 frames hold a page
  cr_assert_eq(r.used(), 13u);
  cr_assert(r.valid());
  for (int i = 0; i < 2000; ++i) {
    uint32_t v = r.victim(100 + i, 100 + i);
    cr_assert_eq(v % 5, 0u, "victim %u holds no page", v);
    cr_assert(!r.tracks(v));  // detached until refilled
    r.on_fill(v, 100 + i, 100 + i);
  }
  cr_assert(r.valid());
  // Through a FrameTable with a driver: every victim was in use.
  Driver<RandomPolicy> d(16, 9);
  for (uint64_t t = 0; t < 5000; ++t) {
    d.ref((t * 2654435761u) % 40, t);
    if (t % 512 == 0) cr_assert(d.table().valid());
  }
  cr_assert(d.table().valid());
}

Test(clock_policy, passes_over_free_frames) {
  // victim() asked while frames are free (FrameTable never does) still picks a held frame.
  ClockPolicy c(4, 0);
  c.on_fill(0, 10, 0);
  c.on_fill(2, 12, 1);
  c.on_free(0);
  cr_assert_eq(c.victim(13, 2), 2u);
  cr_assert_eq(c.hand(), 3u);
  cr_assert(c.valid());
}

// The MMU may call touch() for the reference that just faulted the page in: no policy changes
// its choices because of it.
template <class P>
static void touch_after_place_is_harmless() {
  std::vector<uint64_t> s;
  Xoshiro256 rng(5);
  for (int i = 0; i < 3000; ++i) s.push_back(rng.below32(24));
  check_touch_after_place_is_harmless<P>(s, 10, 77);
}

Test(frame_table, touch_after_place_is_harmless) {
  touch_after_place_is_harmless<FifoPolicy>();
  touch_after_place_is_harmless<LruPolicy>();
  touch_after_place_is_harmless<ClockPolicy>();
  touch_after_place_is_harmless<OptPolicy>();
  touch_after_place_is_harmless<RandomPolicy>();
}

// Bad input: a clear message and an abort, never a hang or a corrupt structure.
Test(frame_table, zero_frames_aborts, .signal = SIGABRT) {
  FrameTable<LruPolicy> ft(0, 1);
}
Test(frame_table, too_many_frames_aborts, .signal = SIGABRT) {
  FrameTable<FifoPolicy> ft(kMaxFrames + 1, 1);
}
Test(frame_table, release_of_free_frame_aborts, .signal = SIGABRT) {
  FrameTable<ClockPolicy> ft(4, 1);
  ft.place(1, 0);
  ft.release(1);
}
Test(frame_table, release_out_of_range_aborts, .signal = SIGABRT) {
  FrameTable<RandomPolicy> ft(4, 1);
  ft.place(1, 0);
  ft.release(4);
}
Test(frame_table, double_release_aborts, .signal = SIGABRT) {
  FrameTable<LruPolicy> ft(4, 1);
  ft.place(1, 0);
  ft.release(0);
  ft.release(0);
}
Test(opt_policy, missing_future_aborts, .signal = SIGABRT) {
  FrameTable<OptPolicy> ft(4, 1);
  ft.place(1, 0);
}
Test(opt_policy, position_beyond_future_aborts, .signal = SIGABRT) {
  const std::vector<uint64_t> s = {1, 2};
  Driver<OptPolicy> d(4);
  d.set_future(s);
  d.run(s);
  d.ref(3, 2);
}
Test(lru_policy, victim_of_empty_pool_aborts, .signal = SIGABRT) {
  LruPolicy p(4, 1);
  p.victim(1, 0);
}
Test(clock_policy, victim_of_empty_pool_aborts, .signal = SIGABRT) {
  ClockPolicy p(4, 1);
  p.victim(1, 0);
}
