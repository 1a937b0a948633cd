// tests/mmu_sim/test_wss.cc: the working set against brute force on small strings -- w(t, tau)
// from the set of pages in each window, the working-set policy's faults and mean size from a
// direct simulation of the policy -- and the LRU lifetime curve against FrameTable<LruPolicy>
// runs (faults, and resident frames averaged over the string); bad parameters.
#include <criterion/criterion.h>

#include <csignal>
#include <set>
#include <unordered_map>
#include <vector>

#include "mmu_sim/mrc_shards.hpp"
#include "mmu_sim/reference_string.hpp"
#include "mmu_sim/wss.hpp"
#include "tests/mmu_sim/test_mrc_sources.hpp"
#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

// w(t, tau) by brute force: the distinct pages at positions max(0, t - tau + 1) .. t.
uint64_t brute_w(const std::vector<uint64_t> &s, uint64_t t, uint64_t tau) {
  std::set<uint64_t> pages;
  for (uint64_t i = t + 1 > tau ? t + 1 - tau : 0; i <= t; ++i) pages.insert(s[i]);
  return pages.size();
}

// The working-set policy simulated directly: resident = W(t - 1, tau); a fault when the page is
// not in it.  Returns faults and sum_t w(t, tau).
std::pair<uint64_t, uint64_t> brute_policy(const std::vector<uint64_t> &s, uint64_t tau) {
  std::unordered_map<uint64_t, uint64_t> last;  // page -> latest position
  uint64_t faults = 0, size_sum = 0;
  for (uint64_t t = 0; t < s.size(); ++t) {
    auto it = last.find(s[t]);
    if (it == last.end() || t - it->second > tau) ++faults;  // not referenced in (t-1-tau, t-1]
    last[s[t]] = t;
    size_sum += brute_w(s, t, tau);
  }
  return {faults, size_sum};
}

}  // namespace

Test(wss, classic_example) {
  // 1 2 1 3 2 2 4 with tau = 3: windows {1} {1,2} {1,2} {1,2,3} {1,2,3} {2,3} {2,4}.
  const std::vector<uint64_t> s = {1, 2, 1, 3, 2, 2, 4};
  WorkingSetSampler w(3, 1);
  w.ref(s);
  const uint64_t want[] = {1, 2, 2, 3, 3, 2, 2};
  cr_assert_eq(w.samples().size(), 7u);
  for (uint64_t t = 0; t < 7; ++t) {
    cr_assert_eq(w.samples()[t].t, t);
    cr_assert_eq(w.samples()[t].size, want[t], "t=%lu", t);
  }
  cr_assert_eq(w.current(), 2u);
  cr_assert(w.valid());
  // The policy with tau = 3: faults at 1 2 (t 0, 1), 3 (t 3), 4 (t 6); 2 at t 4 has b = 3.
  WorkingSetCurve c({3, 1});
  c.ref(s);
  auto pts = c.points();
  cr_assert_eq(pts.size(), 2u);
  cr_assert_eq(pts[0].param, 1u);
  cr_assert_eq(pts[1].param, 3u);
  cr_assert_eq(pts[1].faults, 4u);
  cr_assert_float_eq(pts[1].mean_resident, 15.0 / 7.0, 1e-12);
  cr_assert_float_eq(pts[1].refs_per_fault, 7.0 / 4.0, 1e-12);
  // tau = 1: only the immediate repeat (2 2) hits; w = 1 throughout.
  cr_assert_eq(pts[0].faults, 6u);
  cr_assert_float_eq(pts[0].mean_resident, 1.0, 1e-12);
}

Test(wss, sampler_matches_brute_force) {
  for (Shape shape : kShapes) {
    auto s = reference_string(shape, 40, 800, 41);
    for (uint64_t tau :
         {uint64_t{1}, uint64_t{2}, uint64_t{7}, uint64_t{64}, uint64_t{100}, uint64_t{2000}}) {
      for (uint64_t interval : {uint64_t{1}, uint64_t{13}, tau}) {
        WorkingSetSampler w(tau, interval);
        for (uint64_t t = 0; t < s.size(); ++t) {
          w.ref(s[t]);
          if (t % 97 == 0) cr_assert(w.valid());
        }
        cr_assert_eq(w.samples().size(), s.size() / interval);
        for (const WssSample &x : w.samples()) {
          cr_assert_eq((x.t + 1) % interval, 0u);
          cr_assert_eq(x.size, brute_w(s, x.t, tau), "%s tau=%lu t=%lu", name_of(shape), tau, x.t);
        }
        cr_assert(w.valid());
      }
    }
  }
}

Test(wss, policy_curve_matches_brute_force) {
  for (Shape shape : kShapes) {
    auto s = reference_string(shape, 30, 600, 42);
    std::vector<uint64_t> taus = {1, 2, 3, 5, 8, 20, 29, 30, 31, 100, 599, 600, 5000};
    WorkingSetCurve c(taus);
    c.ref(s);
    auto pts = c.points();
    cr_assert_eq(pts.size(), taus.size());
    for (const LifetimePoint &p : pts) {
      auto [faults, size_sum] = brute_policy(s, p.param);
      cr_assert_eq(p.faults, faults, "%s tau=%lu", name_of(shape), p.param);
      cr_assert_float_eq(p.mean_resident, static_cast<double>(size_sum) / s.size(), 1e-9,
                         "%s tau=%lu", name_of(shape), p.param);
      cr_assert_float_eq(p.refs_per_fault, static_cast<double>(s.size()) / faults, 1e-9);
    }
    // The mean working-set size grows with tau, the faults fall (Denning's properties).
    for (size_t k = 1; k < pts.size(); ++k) {
      cr_assert_geq(pts[k].mean_resident, pts[k - 1].mean_resident);
      cr_assert_leq(pts[k].faults, pts[k - 1].faults);
    }
  }
}

// LRU's lifetime curve from the fault curve equals a FrameTable run: faults, and the mean
// number of frames in use over the string.
Test(wss, lru_lifetime_matches_frame_table) {
  auto s = reference_string(Shape::kPhased, 120, 4000, 43);
  FaultCurve c = lru_fault_curve(s);
  const std::vector<uint64_t> frames = {1, 4, 16, 40, 90, 120, 200};
  auto pts = lru_lifetime(c, frames);
  cr_assert_eq(pts.size(), frames.size());
  for (const LifetimePoint &p : pts) {
    Driver<LruPolicy> d(static_cast<uint32_t>(p.param));
    uint64_t resident_sum = 0;
    for (uint64_t t = 0; t < s.size(); ++t) {
      d.ref(s[t], t);
      resident_sum += d.table().used();
    }
    cr_assert_eq(p.faults, d.faults(), "F=%lu", p.param);
    cr_assert_float_eq(p.mean_resident, static_cast<double>(resident_sum) / s.size(), 1e-9, "F=%lu",
                       p.param);
    cr_assert_float_eq(p.refs_per_fault, static_cast<double>(s.size()) / d.faults(), 1e-9);
  }
}

// One pass over a source feeds several analyses, each equal to its own pass over the string.
Test(wss, one_pass_feeds_several_analyses) {
  Xoshiro256 rng(44);
  std::vector<Access> accesses;
  for (int i = 0; i < 5000; ++i)
    accesses.push_back({rng.below32(300) * 4096 + rng.below32(4096),
                        static_cast<uint32_t>(1 + rng.below32(5000)),
                        static_cast<AccessKind>(rng.below32(3))});
  RefOptions o;
  std::vector<uint64_t> keys;
  append_page_refs(accesses, o, &keys);
  ScriptedSource src(accesses, 64);
  PageRefSource refs(src, o);
  LruCurveBuilder lru;
  ShardsBuilder shards(ShardsParams{0.5, 0, true});
  WorkingSetCurve ws({10, 100, 1000});
  WorkingSetSampler sampler(100, 100);
  std::string err = for_each_ref_batch(refs, [&](std::span<const uint64_t> k) {
    lru.ref(k);
    shards.ref(k);
    ws.ref(k);
    sampler.ref(k);
  });
  cr_assert_str_eq(err.c_str(), "");
  FaultCurve alone = lru_fault_curve(keys), together = lru.curve();
  for (uint64_t f = 0; f <= alone.frames_for_all(); f += 3)
    cr_assert_eq(together.faults(f), alone.faults(f));
  MissRatioEstimate e1 = shards.estimate(), e2 = shards_estimate(keys, ShardsParams{0.5, 0, true});
  for (uint64_t f = 0; f < 400; f += 7)
    cr_assert_float_eq(e1.miss_ratio(f), e2.miss_ratio(f), 1e-12);
  WorkingSetCurve ws2({10, 100, 1000});
  ws2.ref(keys);
  auto a = ws.points(), b = ws2.points();
  for (size_t i = 0; i < a.size(); ++i) {
    cr_assert_eq(a[i].faults, b[i].faults);
    cr_assert_float_eq(a[i].mean_resident, b[i].mean_resident, 1e-12);
  }
  cr_assert_eq(sampler.samples().size(), keys.size() / 100);
}

Test(wss, empty_string) {
  WorkingSetCurve c({4});
  auto pts = c.points();
  cr_assert_eq(pts[0].faults, 0u);
  cr_assert_eq(pts[0].mean_resident, 0.0);
  cr_assert_eq(pts[0].refs_per_fault, 0.0);
  WorkingSetSampler w(4, 2);
  cr_assert_eq(w.current(), 0u);
  cr_assert(w.samples().empty());
  cr_assert(w.valid());
}

Test(wss, parameters_validated) {
  std::string a = working_set_problem(0, 1), b = working_set_problem(5, 0);
  std::string c = working_set_problem(uint64_t{1} << 41, 1), d = working_set_problem(5, 5);
  cr_assert_str_eq(a.c_str(), "tau: must be >= 1");
  cr_assert_str_eq(b.c_str(), "interval: must be >= 1");
  cr_assert_str_eq(c.c_str(), "tau: must be <= 2^40");
  cr_assert_str_eq(d.c_str(), "");
}
Test(wss, zero_tau_aborts, .signal = SIGABRT) {
  WorkingSetSampler w(0, 1);
}
Test(wss, zero_tau_in_curve_aborts, .signal = SIGABRT) {
  WorkingSetCurve c({3, 0});
}
