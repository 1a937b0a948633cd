// tests/mmu_sim/test_tlb_shootdown_filter.cc: the TLB hierarchy's shootdown filter (held(): the
// levels holding a translation to each frame) against the unfiltered shootdown, which searched
// the page's L1 set and its L2 set every time.  A small MMU model drives the hierarchy as MmuCore
// does (L1 probe, L2 probe and L1 fill, walk and fill, writes setting the dirty bit through the
// entry, a page evicted from its frame shot down before the frame takes another page) over random
// page streams, for every TLB policy, with and without an L2, with one page size and two.
#include <criterion/criterion.h>

#include <cstdint>
#include <map>
#include <vector>

#include "mmu_sim/tlb_hierarchy.hpp"
#include "mmu_sim/workload_rng.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

struct Counts {
  uint64_t l1_hits = 0, l2_hits = 0, walks = 0, evictions = 0, shootdowns = 0;
};

// Pages of each size map to frames of that size's pool; when the pool is full a random resident
// page is evicted.  Returns the counters; every shootdown is checked against the arrays' own
// search (what the unfiltered shootdown returned) and held() against a scan (valid()).
template <class R>
Counts run(SimConfig c, const std::vector<PageSize> &sizes, uint64_t pages, uint64_t steps,
           uint64_t seed) {
  TlbHierarchy<R> tlb(c, sizes);
  WorkloadRng rng(seed);
  struct Pool {
    std::map<uint64_t, uint32_t> frame_of;  // resident page base -> frame
    std::vector<uint64_t> page_in;          // frame -> page base
  };
  std::map<int, Pool> pools;
  for (PageSize s : sizes) pools[index_of(s)].page_in.reserve(c.frames[index_of(s)]);
  Counts n;
  for (uint64_t i = 0; i < steps; ++i) {
    // Size by the page number's parity when two are in use.
    const uint64_t p = rng.next() % pages;
    const PageSize s = sizes[p % sizes.size()];
    const uint64_t bytes = bytes_of(s).value;
    // Each size in its own region: a 2 MiB page never covers a 4 KiB one.
    const uint64_t region = uint64_t{1} << (s == PageSize::k4K ? 40 : 41);
    const uint64_t va = region + p * bytes + rng.next() % bytes;
    const bool write = rng.next() % 4 == 0;
    PageSize got = PageSize::k4K;
    uint32_t *d = tlb.probe_l1(va, &got);
    if (d != nullptr) {
      ++n.l1_hits;
    } else if (tlb.has_l2() && (d = tlb.probe_l2_fill_l1(va, &got)) != nullptr) {
      ++n.l2_hits;
    } else {
      ++n.walks;
      got = s;
      Pool &pool = pools[index_of(s)];
      const uint64_t base = va & ~(bytes - 1);
      auto it = pool.frame_of.find(base);
      uint32_t frame;
      if (it != pool.frame_of.end()) {
        frame = it->second;
      } else if (pool.page_in.size() < c.frames[index_of(s)]) {
        frame = static_cast<uint32_t>(pool.page_in.size());
        pool.page_in.push_back(base);
        pool.frame_of[base] = frame;
      } else {
        frame = static_cast<uint32_t>(rng.next() % pool.page_in.size());
        const uint64_t victim = pool.page_in[frame];
        const uint64_t vpn = victim / bytes;
        TlbArray<R> &l1 = tlb.l1(s);
        uint32_t expect = l1.find(l1.set_of(vpn), vpn) >= 0;
        if (tlb.has_l2()) {
          const uint64_t tag = TlbHierarchy<R>::l2_tag(vpn, s);
          expect += tlb.l2().find(tlb.l2().set_of(vpn), tag) >= 0;
        }
        const uint32_t got_n = tlb.shootdown(victim, s, frame);
        cr_assert_eq(got_n, expect, "step %lu: shootdown of page %lx", i, victim);
        cr_assert_eq(l1.find(l1.set_of(vpn), vpn), -1);
        cr_assert_eq(tlb.held(s, frame), 0);
        ++n.evictions;
        n.shootdowns += got_n;
        pool.frame_of.erase(victim);
        pool.page_in[frame] = base;
        pool.frame_of[base] = frame;
      }
      d = tlb.fill_from_walk(va, s, frame << 1);
      cr_assert_eq(tlb.held(s, frame), tlb.has_l2() ? 3 : 1);
    }
    cr_assert(got == s, "step %lu: translated with the wrong page size", i);
    cr_assert_eq(pools[index_of(s)].page_in[*d >> 1], va & ~(bytes - 1),
                 "step %lu: the entry names another page's frame", i);
    if (write) *d |= 1;  // a write through a clean entry: the frame stays
    if (i % 512 == 0) cr_assert(tlb.valid(), "step %lu: held() differs from the arrays", i);
  }
  cr_assert(tlb.valid());
  return n;
}

SimConfig config(bool l2, uint32_t frames4k, uint32_t frames2m) {
  SimConfig c;
  c.l1[0] = {4, 4};
  c.l1[1] = {2, 4};
  c.l2 = l2 ? TlbShape{8, 12} : TlbShape{0, 0};
  c.frames[0] = frames4k;
  c.frames[1] = frames2m;
  return c;
}

template <class R>
void every_shape(uint64_t seed) {
  const std::vector<PageSize> one = {PageSize::k4K}, two = {PageSize::k4K, PageSize::k2M};
  for (bool l2 : {true, false}) {
    // Pages over frames: nearly all evict (the fault-heavy case), and about half.
    for (uint64_t pages : {2048u, 300u}) {
      const Counts a = run<R>(config(l2, 160, 0), one, pages, 6000, seed);
      cr_assert_gt(a.evictions, 1000u);
      cr_assert_gt(a.shootdowns, 0u, "some victims are still cached");
      cr_assert_lt(a.shootdowns, 2 * a.evictions, "and some not: the filter skips them");
      if (l2) cr_assert_gt(a.l2_hits, 0u);
      const Counts b = run<R>(config(l2, 96, 24), two, pages, 6000, seed + 1);
      cr_assert_gt(b.evictions, 500u);
      cr_assert_gt(b.shootdowns, 0u);
    }
  }
}

}  // namespace

Test(tlb_shootdown_filter, lru_matches_the_unfiltered_search) {
  every_shape<TlbLru>(1);
}
Test(tlb_shootdown_filter, plru_matches_the_unfiltered_search) {
  every_shape<TlbPlru>(2);
}
Test(tlb_shootdown_filter, fifo_matches_the_unfiltered_search) {
  every_shape<TlbFifo>(3);
}
Test(tlb_shootdown_filter, random_matches_the_unfiltered_search) {
  every_shape<TlbRandom>(4);
}

// The MMU's rule the filter relies on: a frame's entries are its resident page's.  A walk's fill
// of a frame whose old page was shot down leaves held() naming only the new page's levels.
Test(tlb_shootdown_filter, a_refilled_frame_is_held_by_the_new_page_only) {
  SimConfig c = config(true, 4, 0);
  TlbHierarchy<TlbLru> tlb(c, {PageSize::k4K});
  const uint64_t a = uint64_t{1} << 40, b = a + 7 * 4096;
  tlb.fill_from_walk(a, PageSize::k4K, 2 << 1);
  cr_assert_eq(tlb.held(PageSize::k4K, 2),
               TlbHierarchy<TlbLru>::kInL1 | TlbHierarchy<TlbLru>::kInL2);
  cr_assert_eq(tlb.shootdown(a, PageSize::k4K, 2), 2u);
  cr_assert_eq(tlb.held(PageSize::k4K, 2), 0);
  cr_assert_eq(tlb.shootdown(a, PageSize::k4K, 2), 0u, "nothing left to remove");
  tlb.fill_from_walk(b, PageSize::k4K, 2 << 1 | 1);
  PageSize s;
  cr_assert_null(tlb.probe_l1(a, &s));
  cr_assert_not_null(tlb.probe_l1(b, &s));
  cr_assert(tlb.valid());
}
