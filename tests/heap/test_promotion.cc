// tests/heap/test_promotion.cc: a heap below the THP threshold stays on plain pages; when the
// hugepages in use first reach it, the plain ones are promoted (THP advice, and a collapse for
// those holding data), except hugepages realloc growth took without THP; the heap stays big.
#include <criterion/criterion.h>

#include <cstring>

#include "heap/page_heap.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Heap = PageHeap<TestOs>;

// 64 MiB arenas, THP once `n` hugepages are in use.
static PageHeapConfig thp_from(uint32_t n) {
  PageHeapConfig c;
  c.backing.arena_bytes = 64ull << 20;
  c.backing.thp = true;
  c.backing.thp_min_bytes = uint64_t{n} * kHugePageSize;
  return c;
}

Test(promotion, a_heap_below_the_threshold_stays_plain) {
  TestOs os;
  Heap h(&os, thp_from(4));
  Span *a = h.new_span(3 * kPagesPerHugePage, 0);  // 3 hugepages: below 4
  cr_assert_not_null(a);
  for (uint32_t i = 0; i < 3; ++i) cr_assert_eq(a->hp[i].backing, Backing::kPlain);
  cr_assert_eq(os.thp_advised, 0u);
  cr_assert_eq(os.collapses, 0u);
  cr_assert_not(h.huge().big());
  cr_assert(h.valid());
}

Test(promotion, crossing_the_threshold_promotes_and_collapses_what_holds_data) {
  TestOs os;
  Heap h(&os, thp_from(4));
  Span *a = h.new_span(1, size_class_of(64));      // hugepage 1, holds data
  Span *b = h.new_span(kPagesPerHugePage + 1, 0);  // hugepages 2 and 3 (the tail donated)
  memset(reinterpret_cast<void *>(a->start), 7, kPageSize);
  cr_assert_eq(os.thp_advised, 0u);
  Span *c = h.new_span(2 * kPagesPerHugePage, 0);  // hugepages 4 and 5: the heap is big
  cr_assert(h.huge().big());
  cr_assert_eq(a->hp->backing, Backing::kThp);
  cr_assert_eq(b->hp[0].backing, Backing::kThp);
  cr_assert_eq(b->hp[1].backing, Backing::kThp);
  cr_assert_eq(c->hp[0].backing, Backing::kThp);
  cr_assert_eq(c->hp[1].backing, Backing::kThp);
  cr_assert_eq(os.thp_advised, 5u);
  cr_assert_eq(os.collapses, 3u, "the three hugepages in use before (all dirty), not the fresh");
  cr_assert_eq(h.huge().collapsed_hugepages(), 3u);
  cr_assert_eq(static_cast<char *>(reinterpret_cast<void *>(a->start))[100], 7, "data kept");
  cr_assert(h.valid());
}

Test(promotion, the_heap_stays_big_after_it_shrinks) {
  TestOs os;
  Heap h(&os, thp_from(3));
  Span *a = h.new_span(3 * kPagesPerHugePage, 0);  // hugepages 0-2: big
  Span *c = h.new_span(kPagesPerHugePage, 0);      // hugepage 3
  cr_assert(h.huge().big());
  h.delete_span(a);
  h.release(true, false);  // one hugepage in use now, below 3
  uint64_t advised = os.thp_advised;
  // 4 contiguous free hugepages: 4-7, never taken; the first is taken with 1 in use.
  Span *d = h.new_span(4 * kPagesPerHugePage, 0);
  cr_assert_eq(d->hp, c->hp + 1);
  cr_assert_eq(d->hp[0].backing, Backing::kThp, "a heap that was big stays on huge pages");
  cr_assert_eq(os.thp_advised, advised + 4);
  cr_assert(h.valid());
}

Test(promotion, realloc_growth_hugepages_are_not_promoted) {
  TestOs os;
  Heap h(&os, thp_from(3));
  Span *grown = h.new_span(kPagesPerHugePage / 2, 0, 1, false);  // realloc growth: no THP
  cr_assert_not_null(grown);
  Span *big = h.new_span(2 * kPagesPerHugePage, 0);  // 3 in use: big
  cr_assert(h.huge().big());
  cr_assert_eq(grown->hp->backing, Backing::kPlain, "declined: left on plain pages");
  cr_assert_eq(big->hp[0].backing, Backing::kThp);
  cr_assert_eq(os.collapses, 0u);
  cr_assert(h.valid());
}

Test(promotion, a_refused_collapse_keeps_the_advice_and_the_data) {
  TestOs os;
  os.collapse_answer = CollapseResult::kRefused;  // no huge page free just now
  Heap h(&os, thp_from(3));
  Span *a = h.new_span(1, size_class_of(64));
  Span *a2 = h.new_span(kPagesPerHugePage, 0);  // a second hugepage holding data
  memset(reinterpret_cast<void *>(a->start), 9, kPageSize);
  memset(reinterpret_cast<void *>(a2->start), 9, kPageSize);
  Span *b = h.new_span(kPagesPerHugePage, 0);
  cr_assert_not_null(b);
  cr_assert(h.huge().big());
  cr_assert_eq(a->hp->backing, Backing::kThp, "advised all the same");
  cr_assert_eq(h.huge().collapsed_hugepages(), 0u);
  cr_assert_eq(os.collapse_calls, 2u, "a passing refusal: each hugepage holding data is asked");
  cr_assert_not(h.huge().collapse_unsupported());
  cr_assert_eq(static_cast<char *>(reinterpret_cast<void *>(a->start))[5], 9);
  cr_assert(h.valid());
}

Test(promotion, a_kernel_without_collapse_is_asked_once) {
  TestOs os;
  os.collapse_answer = CollapseResult::kUnsupported;  // a kernel older than 6.1 (EINVAL)
  Heap h(&os, thp_from(4));
  Span *s[3];
  for (auto &x : s) {
    x = h.new_span(kPagesPerHugePage, 0);
    memset(reinterpret_cast<void *>(x->start), 3, kPageSize);
  }
  Span *kept = h.new_span(kPagesPerHugePage, 0);  // 4 in use: big; 3 hold data
  cr_assert(h.huge().big());
  cr_assert_eq(os.collapse_calls, 1u, "one failed call, not one per hugepage");
  cr_assert(h.huge().collapse_unsupported());
  for (auto &x : s) cr_assert_eq(x->hp->backing, Backing::kThp, "advised all the same");
  // A resident plain hugepage taken later is advised, not collapsed.
  h.delete_span(s[0]);
  Span *again = h.new_span(kPagesPerHugePage, 0);
  cr_assert_not_null(again);
  cr_assert_not_null(kept);
  cr_assert_eq(os.collapse_calls, 1u);
  cr_assert_eq(static_cast<char *>(reinterpret_cast<void *>(s[1]->start))[7], 3, "data kept");
  cr_assert(h.valid());
}

// The backing in use is not THP (HPMM_HUGEPAGES=off, THP `never` at start-up: choose_backing
// gives thp false): crossing the threshold advises nothing and collapses nothing, though
// MADV_COLLAPSE would work regardless of the sysfs setting.
Test(promotion, no_thp_backing_never_advises_or_collapses) {
  TestOs os;
  PageHeapConfig c = thp_from(2);
  c.backing.thp = false;
  Heap h(&os, c);
  Span *a = h.new_span(1, size_class_of(64));
  memset(reinterpret_cast<void *>(a->start), 1, kPageSize);
  Span *b = h.new_span(3 * kPagesPerHugePage, 0);
  cr_assert_not_null(b);
  cr_assert(h.huge().big());
  cr_assert_eq(os.thp_advised, 0u);
  cr_assert_eq(os.collapse_calls, 0u);
  cr_assert_eq(a->hp->backing, Backing::kPlain);
  cr_assert_eq(b->hp[2].backing, Backing::kPlain);
  cr_assert(h.valid());
}

// The hugetlb pool alone (HPMM_HUGEPAGES=hugetlb): pool pages once big, the plain hugepages from
// before stay plain (neither advised nor collapsed); with THP as well (auto), the plain ones are
// promoted but a pool page is never advised or collapsed.
Test(promotion, the_hugetlb_pool_is_never_advised_or_collapsed) {
  for (bool thp : {false, true}) {
    TestOs os;
    os.pool = 8;
    PageHeapConfig c = thp_from(2);
    c.backing.thp = thp;
    c.backing.hugetlb = true;
    c.backing.hugetlb_budget = 8;
    Heap h(&os, c);
    Span *a = h.new_span(1, size_class_of(64));  // plain: below the threshold
    memset(reinterpret_cast<void *>(a->start), 1, kPageSize);
    Span *b = h.new_span(kPagesPerHugePage, 0);  // 2 in use: big, a pool page
    Span *d = h.new_span(kPagesPerHugePage, 0);  // a pool page
    memset(reinterpret_cast<void *>(d->start), 1, kPageSize);
    cr_assert(h.huge().big());
    cr_assert_eq(b->hp->backing, Backing::kHugetlb);
    cr_assert_eq(d->hp->backing, Backing::kHugetlb);
    cr_assert_eq(a->hp->backing, thp ? Backing::kThp : Backing::kPlain);
    cr_assert_eq(os.collapse_calls, thp ? 1u : 0u, "only the plain hugepage holding data");
    cr_assert_eq(os.thp_advised, thp ? 1u : 0u, "a only; never b or d, the pool pages");
    cr_assert(h.valid());
  }
}

Test(promotion, a_resident_plain_hugepage_taken_after_is_promoted) {
  TestOs os;
  Heap h(&os, thp_from(3));
  Span *a = h.new_span(kPagesPerHugePage, 0);  // hugepage 1
  memset(reinterpret_cast<void *>(a->start), 1, kPageSize);
  HugePage *first = a->hp;
  h.delete_span(a);  // free, still resident (the delay), plain
  cr_assert_eq(first->backing, Backing::kPlain);
  Span *b = h.new_span(3 * kPagesPerHugePage, 0);  // takes it back and two more: big
  cr_assert(h.huge().big());
  cr_assert_eq(b->hp, first);
  cr_assert_eq(first->backing, Backing::kThp);
  cr_assert_eq(os.collapses, 1u, "the resident one; the fresh ones are advised only");
  cr_assert(h.valid());
}
