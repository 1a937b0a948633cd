// tests/mmu_sim/test_mmu_paging.cc: demand paging through the MMU: minor and major faults, dirty
// write-back, the classic reference strings per policy, reference-bit modes, invariants after
// random runs, and bad configurations.
#include <criterion/criterion.h>
#include <signal.h>

#include <string>

#include "sim_test_util.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

const std::vector<uint64_t> kBelady = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
const std::vector<uint64_t> kTextbook = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
                                         0, 3, 2, 1, 2, 0, 1, 7, 0, 1};

uint64_t faults_of(PageReplacement p, uint64_t frames, const std::vector<uint64_t> &string) {
  SimConfig c = small_config();
  c.replacement = p;
  c.frames[0] = frames;
  auto m = make(c);
  return run(*m, page_loads(string)).faults();
}

}  // namespace

Test(mmu_paging, belady_anomaly_under_fifo) {
  cr_assert_eq(faults_of(PageReplacement::kFifo, 3, kBelady), 9u);
  cr_assert_eq(faults_of(PageReplacement::kFifo, 4, kBelady), 10u);
}

Test(mmu_paging, classic_strings_per_policy) {
  cr_assert_eq(faults_of(PageReplacement::kOpt, 3, kBelady), 7u);
  cr_assert_eq(faults_of(PageReplacement::kOpt, 4, kBelady), 6u);
  cr_assert_eq(faults_of(PageReplacement::kLru, 3, kBelady), 10u);
  cr_assert_eq(faults_of(PageReplacement::kLru, 4, kBelady), 8u);
  // Silberschatz et al.: FIFO 15, OPT 9, LRU 12 with 3 frames.
  cr_assert_eq(faults_of(PageReplacement::kFifo, 3, kTextbook), 15u);
  cr_assert_eq(faults_of(PageReplacement::kOpt, 3, kTextbook), 9u);
  cr_assert_eq(faults_of(PageReplacement::kLru, 3, kTextbook), 12u);
}

Test(mmu_paging, opt_counts_translations_of_crossing_accesses) {
  // OPT's pre-pass must number translations as the replay does: accesses that cross pages and
  // modifies make two each.  Pages 0,1 (crossing), 2, 0, 3, 1 with 2 frames.
  SimConfig c = small_config();
  c.replacement = PageReplacement::kOpt;
  c.frames[0] = 2;
  auto m = make(c);
  SimStats s = run(*m, {load(kBase + kPage - 4, 8),
                        load(kBase + 2 * kPage),
                        {kBase, 8, AccessKind::kModify},
                        load(kBase + 3 * kPage),
                        load(kBase + kPage)});
  cr_assert_eq(s.translations, 7u);
  // 0 1 | 2 (evict 1: next use of 0 is sooner) | 0 0 | 3 (evict 0: never again) | 1.
  cr_assert_eq(s.faults(), 5u);
}

Test(mmu_paging, minor_then_major_faults_and_write_back) {
  SimConfig c = small_config();
  c.frames[0] = 1;
  auto m = make(c);
  const uint64_t a = kBase, b = kBase + kPage;
  SimStats s = run(*m, {store(a)});  // minor: zero fill
  cr_assert_eq(s.faults_minor, 1u);
  s = run(*m, {load(b)});  // minor; evicts a, which is dirty: written back
  cr_assert_eq(s.faults_minor, 2u);
  cr_assert_eq(s.writebacks, 1u);
  s = run(*m, {load(a)});  // major: a has a swap copy; b was clean with none: not written
  cr_assert_eq(s.faults_major, 1u);
  cr_assert_eq(s.writebacks, 1u);
  s = run(*m, {load(b)});  // b never written: minor again; a is clean (its copy is valid)
  cr_assert_eq(s.faults_minor, 3u);
  cr_assert_eq(s.writebacks, 1u, "a page brought in by a major fault is clean");
  s = run(*m, {load(a)});  // major again
  cr_assert_eq(s.faults_major, 2u);
  s = run(*m, {store(a), load(b)});  // now a is written: its eviction writes back
  cr_assert_eq(s.writebacks, 2u);
  cr_assert_eq(s.evictions, 5u);
  cr_assert_eq(s.resident_pages, 1u);
}

Test(mmu_paging, dirty_bit_set_by_first_write_through_a_clean_entry) {
  SimConfig c = small_config();
  c.frames[0] = 1;
  auto m = make(c);
  // The load fills the TLB with D clear; the store hits that entry and must dirty the PTE.
  SimStats s = run(*m, {load(kBase), store(kBase), load(kBase + kPage)});
  cr_assert_eq(s.l1.hits, 1u);
  cr_assert_eq(s.writebacks, 1u);
  // Via an L2 hit refilling the L1 with D clear, too.
  SimConfig c2 = small_config();
  c2.frames[0] = 2;
  c2.l1[0] = {1, 1};
  auto m2 = make(c2);
  s = run(*m2, {load(kBase), load(kBase + kPage), store(kBase), load(kBase + 2 * kPage),
                load(kBase + 3 * kPage)});
  cr_assert_eq(s.l2.hits, 1u);
  cr_assert_eq(s.evictions, 2u);
  cr_assert_eq(s.writebacks, 1u, "only page 0 was written");
}

Test(mmu_paging, reference_bits_on_every_access_or_on_tlb_fill) {
  // LRU, 2 frames: A B A A C A.  Every access: A is recent, C evicts B, A hits.  TLB fill only:
  // A's recency is its walk (before B's), so C evicts A and A faults again.
  for (RefBits rb : {RefBits::kEveryAccess, RefBits::kTlbFill}) {
    SimConfig c = small_config();
    c.frames[0] = 2;
    c.ref_bits = rb;
    auto m = make(c);
    SimStats s = run(*m, page_loads({0, 1, 0, 0, 2, 0}));
    cr_assert_eq(s.faults(), rb == RefBits::kEveryAccess ? 3u : 4u, "%s", name_of(rb));
  }
}

Test(mmu_paging, invariants_hold_after_random_runs) {
  for (PageReplacement p : {PageReplacement::kFifo, PageReplacement::kLru, PageReplacement::kClock,
                            PageReplacement::kOpt, PageReplacement::kRandom}) {
    for (TlbReplacement tr : {TlbReplacement::kLru, TlbReplacement::kPlru}) {
      SimConfig c = small_config();
      c.replacement = p;
      c.tlb_replacement = tr;
      c.frames[0] = 7;
      c.frames[1] = 2;
      c.l1[0] = {2, 3};
      c.l2 = {5, 2};
      c.ifetch = true;
      const uint64_t r = kBase + (1ull << 30);
      c.regions.push_back({VirtAddr(r), Bytes(8u << 20), PageSize::k2M});
      auto m = make(c);
      std::vector<Access> v;
      uint64_t x = 99;
      for (int i = 0; i < 4000; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const uint64_t y = x >> 20;
        const uint64_t addr =
            (y & 1) ? kBase + (y >> 1) % (40 * kPage) - 2 * kPage : r + (y >> 1) % (8u << 20);
        v.push_back(
            {addr, static_cast<uint32_t>(1 + (x >> 4) % 64), static_cast<AccessKind>(x >> 62)});
      }
      SimStats s = run(*m, v);
      cr_assert_gt(s.faults_major, 0u, "%s/%s", name_of(p), name_of(tr));
      cr_assert_gt(s.writebacks, 0u);
      cr_assert_leq(s.resident_pages, 9u);
      cr_assert_gt(s.cycles_per_access(c.cost), 0.0);
    }
  }
}

Test(mmu_paging, bad_configurations_name_the_field) {
  struct Case {
    void (*edit)(SimConfig &);
    const char *field;
  };
  const Case cases[] = {
      {[](SimConfig &c) { c.levels = 3; }, "levels"},
      {[](SimConfig &c) {
         c.l1[0] = {0, 4};
       },
       "tlb.l1-4k"},
      {[](SimConfig &c) {
         c.l1[0] = {0, 0};
       },
       "tlb.l1-4k"},
      {[](SimConfig &c) {
         c.l2 = {1u << 20, 4096};
       },
       "tlb.l2"},
      {[](SimConfig &c) { c.frames[0] = 0; }, "frames-4k"},
      {[](SimConfig &c) { c.frames[0] = uint64_t{1} << 40; }, "frames-4k"},
      {[](SimConfig &c) { c.pwc_entries[2] = 100000; }, "pwc"},
      {[](SimConfig &c) { c.cost.walk_ref = -1; }, "cost"},
      {[](SimConfig &c) {
         c.regions.push_back({VirtAddr(kBase + 4096), Bytes(2u << 20), PageSize::k2M});
       },
       "region"},
      {[](SimConfig &c) {
         c.regions.push_back({VirtAddr(kBase), Bytes(2u << 20), PageSize::k2M});
         c.frames[1] = 0;
       },
       "frames-2m"},
      {[](SimConfig &c) {
         c.regions.push_back({VirtAddr(kBase), Bytes(4u << 20), PageSize::k2M});
         c.regions.push_back({VirtAddr(kBase + (2u << 20)), Bytes(2u << 20), PageSize::k2M});
         c.frames[1] = 4;
       },
       "overlap"},
      {[](SimConfig &c) {
         c.regions.push_back({VirtAddr(1ull << 48), Bytes(4096), PageSize::k4K});
       },
       "region"},
  };
  for (const Case &k : cases) {
    SimConfig c = small_config();
    k.edit(c);
    std::string err;
    auto m = Mmu::create(c, &err);
    cr_assert(m == nullptr, "expected a rejection naming %s", k.field);
    cr_assert(err.find(k.field) != std::string::npos, "error '%s' should name %s", err.c_str(),
              k.field);
  }
}

Test(mmu_paging, load_without_data_mode_is_refused, .signal = SIGABRT) {
  auto m = make(small_config());
  char buf[8];
  m->load(kBase, buf, sizeof buf);
}

Test(mmu_paging, opt_outside_run_is_refused, .signal = SIGABRT) {
  SimConfig c = small_config();
  c.replacement = PageReplacement::kOpt;
  auto m = make(c);
  m->access(load(kBase));
}

Test(mmu_paging, batch_size_changes_no_count) {
  // Victims' PTE updates are deferred within a batch (frame_pool.hpp): a run in one big batch
  // must count exactly what a run of one-access batches counts.
  std::vector<Access> v;
  uint64_t x = 7;
  for (int i = 0; i < 3000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t page = (x >> 33) % 50;
    v.push_back({kBase + page * kPage, 8, (x >> 62) ? AccessKind::kStore : AccessKind::kLoad});
  }
  for (PageReplacement p : {PageReplacement::kFifo, PageReplacement::kLru, PageReplacement::kClock,
                            PageReplacement::kRandom}) {
    SimStats s[2];
    for (size_t k = 0; k < 2; ++k) {
      SimConfig c = small_config();
      c.replacement = p;
      c.frames[0] = 5;
      auto m = make(c);
      VectorSource src(v, k == 0 ? 1 : 100000);
      cr_assert(m->run(src).empty());
      cr_assert(m->valid());
      s[k] = m->stats();
    }
    cr_assert_eq(s[0].faults_minor, s[1].faults_minor, "%s", name_of(p));
    cr_assert_eq(s[0].faults_major, s[1].faults_major, "%s", name_of(p));
    cr_assert_eq(s[0].writebacks, s[1].writebacks, "%s", name_of(p));
    cr_assert_eq(s[0].l1.hits, s[1].l1.hits, "%s", name_of(p));
    cr_assert_eq(s[0].walk_refs, s[1].walk_refs, "%s", name_of(p));
    cr_assert_gt(s[0].faults_major, 100u);
  }
}
