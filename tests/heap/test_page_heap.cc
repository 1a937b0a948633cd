// tests/heap/test_page_heap.cc: spans and their bitmaps, the page map, the page heap's runs and
// coalescing, the filler's order, backing, and release after the delay.
#include <criterion/criterion.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include "heap/page_heap.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Heap = PageHeap<TestOs>;

static PageHeapConfig small_arenas() {
  PageHeapConfig c;
  c.backing.arena_bytes = 64ull << 20;
  c.release_delay_ns = 1'000'000'000;
  return c;
}

// small_arenas() backed by THP once thp_min_bytes of hugepages are in use, and by hugetlb pool
// pages too (up to 8) when pool is set.
static PageHeapConfig thp_arenas(uint64_t thp_min_bytes, bool pool = false) {
  PageHeapConfig c = small_arenas();
  c.backing.hugetlb = pool;
  if (pool) c.backing.hugetlb_budget = 8;
  c.backing.thp = true;
  c.backing.thp_min_bytes = thp_min_bytes;
  return c;
}

Test(span, bitmap_take_give_and_double_free) {
  TestOs os;
  Heap h(&os, small_arenas());
  uint32_t cls = size_class_of(48);
  Span *s = h.new_span(kSizeClasses[cls].pages, cls);
  cr_assert_not_null(s);
  uint32_t n = s->objects();
  cr_assert(s->valid());
  cr_assert_eq(s->nfree, n);
  void *head, *tail;
  uint32_t got = s->take(10, &head, &tail);
  cr_assert_eq(got, 10u);
  cr_assert_eq(s->nfree + got, n, "allocated + free == nelems");
  // The batch is linked in address order through the objects' first words.
  char *p = static_cast<char *>(head);
  for (uint32_t i = 0; i < 9; ++i) {
    char *q = *reinterpret_cast<char **>(p);
    cr_assert_eq(q - p, 48);
    p = q;
  }
  cr_assert_eq(p, tail);
  got += s->take(n, &head, &tail);
  cr_assert_eq(got, n);
  cr_assert_eq(s->nfree, 0u);
  cr_assert_eq(s->take(1, &head, &tail), 0u);
  for (uint32_t i = 0; i < n; ++i) cr_assert(s->give(i));
  cr_assert_not(s->give(3), "a second give of one object is a double free");
  cr_assert_eq(s->nfree, n);
  cr_assert(s->valid());
  cr_assert_eq(s->index_of(reinterpret_cast<void *>(s->start + 48 * 5)), 5u);
  cr_assert_eq(s->index_of(reinterpret_cast<void *>(s->start + 48 * 5 + 8)), UINT32_MAX);
  cr_assert_eq(s->index_of(reinterpret_cast<void *>(s->start + 48 * n)), UINT32_MAX);
}

Test(page_map, every_page_of_every_span) {
  TestOs os;
  Heap h(&os, small_arenas());
  std::vector<Span *> spans;
  for (uint32_t c = 1; c < kNumClasses; ++c) {
    Span *s = h.new_span(kSizeClasses[c].pages, c);
    cr_assert_not_null(s);
    spans.push_back(s);
  }
  Span *large = h.new_span(300, 0);
  cr_assert_not_null(large);
  for (Span *s : spans) {
    for (uint32_t i = 0; i < s->npages; ++i) {
      for (uintptr_t off : {uintptr_t{0}, kPageSize / 2, kPageSize - 1}) {
        uint64_t e = h.entry_of(reinterpret_cast<void *>(s->start + i * kPageSize + off));
        cr_assert_eq(entry_span(e), s);
        cr_assert_eq(entry_class(e), s->cls);
        cr_assert_eq(entry_page(e), i);
        cr_assert_eq(entry_slot(e), s->cls * kMaxSpanPages + i);  // free()'s check record
      }
    }
  }
  cr_assert_eq(h.span_of(reinterpret_cast<void *>(large->start)), large);
  cr_assert_eq(entry_class(h.entry_of(reinterpret_cast<void *>(large->start))), 0u);
  cr_assert_lt(entry_slot(h.entry_of(reinterpret_cast<void *>(large->start))), kMaxSpanPages);
  Span *first = spans[0];
  uintptr_t addr = first->start;
  h.delete_span(first);
  cr_assert_eq(h.entry_of(reinterpret_cast<void *>(addr)), 0u, "a freed span leaves the map");
  cr_assert_eq(h.entry_of(reinterpret_cast<void *>(0x1000)), 0u);
  cr_assert(h.valid());
}

Test(page_heap, free_neighbours_coalesce_inside_a_hugepage) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *a = h.new_span(100, 0), *b = h.new_span(100, 0), *c = h.new_span(50, 0);
  cr_assert_eq(a->hp, b->hp);
  cr_assert_eq(b->hp, c->hp);
  uintptr_t base = a->start;
  h.delete_span(a);
  h.delete_span(b);
  Span *d = h.new_span(200, 0);  // fits only in the merged 200 free pages
  cr_assert_eq(d->start, base);
  cr_assert_eq(h.stats().filler_hugepages, 1u);
  cr_assert(h.valid());
}

Test(page_heap, free_neighbours_coalesce_across_hugepages) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *s[6];
  for (auto &x : s) x = h.new_span(256, 0);  // one whole hugepage each, contiguous
  for (int i = 1; i < 6; ++i) cr_assert_eq(s[i]->start, s[i - 1]->start + kHugePageSize);
  uintptr_t at = s[1]->start;
  h.delete_span(s[1]);
  h.delete_span(s[2]);
  h.delete_span(s[3]);
  uint64_t reserves = os.reserves;
  Span *big = h.new_span(3 * 256, 0);  // the three freed neighbours, merged
  cr_assert_eq(big->start, at);
  cr_assert_eq(os.reserves, reserves, "no new arena");
  cr_assert_eq(h.stats().large_hugepages, 6u);
  cr_assert(h.valid());
}

Test(page_heap, large_object_tail_is_donated_and_returns) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *big = h.new_span(300, 0);  // 2 hugepages, 212 pages of the second donated to the filler
  PageHeapStats st = h.stats();
  cr_assert_eq(st.large_hugepages, 1u);
  cr_assert_eq(st.filler_hugepages, 1u);
  cr_assert_eq(st.filler_free_bytes, 212 * kPageSize);
  Span *small = h.new_span(10, 0);  // packed into the donated tail
  cr_assert_eq(small->hp, big->hp + 1);
  h.delete_span(big);
  st = h.stats();
  cr_assert_eq(st.large_hugepages, 0u);
  cr_assert_eq(st.filler_hugepages, 1u);
  h.delete_span(small);
  cr_assert_eq(h.stats().filler_hugepages, 0u);
  cr_assert_eq(h.stats().in_use_bytes, 0u);
  cr_assert(h.valid());
}

Test(filler, shortest_longest_free_range_that_fits_wins) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *a = h.new_span(246, 0);  // hugepage A: 10 pages free
  Span *b = h.new_span(206, 0);  // hugepage B: 50 pages free
  cr_assert_neq(a->hp, b->hp);
  cr_assert_eq(h.new_span(8, 0)->hp, a->hp);   // both fit: A's range is shorter
  cr_assert_eq(h.new_span(20, 0)->hp, b->hp);  // only B fits
  cr_assert_eq(h.new_span(30, 0)->hp, b->hp);  // B has exactly 30 left
  Span *c = h.new_span(3, 0);                  // A has 2, B none: a new hugepage
  cr_assert_neq(c->hp, a->hp);
  cr_assert_neq(c->hp, b->hp);
  cr_assert(h.valid());
}

Test(filler, ties_go_to_more_allocations_and_donated_last) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *a = h.new_span(200, 0);  // A: 56 free, 1 allocation
  Span *b1 = h.new_span(100, 0);
  Span *b2 = h.new_span(100, 0);  // B: 56 free, 2 allocations
  cr_assert_eq(b1->hp, b2->hp);
  cr_assert_neq(a->hp, b1->hp);
  cr_assert_eq(h.new_span(10, 0)->hp, b1->hp);
  cr_assert(h.valid());
}

Test(filler, donated_tails_come_last) {
  TestOs os;
  Heap h(&os, small_arenas());
  // An ordinary hugepage with 212 free pages, then a large object's tail with 212 free.
  Span *plain = h.new_span(44, 0);
  Span *big = h.new_span(300, 0);
  HugePage *tail = big->hp + 1;
  cr_assert_neq(plain->hp, tail);
  cr_assert(tail->donated);
  cr_assert_eq(plain->hp->longest_free, tail->longest_free);
  cr_assert_eq(h.new_span(5, 0)->hp, plain->hp);
  cr_assert(h.valid());
}

Test(filler, frees_then_allocs_reuse_partly_used_hugepages) {
  TestOs os;
  Heap h(&os, small_arenas());
  std::vector<Span *> spans;
  for (int i = 0; i < 2560; ++i) spans.push_back(h.new_span(1, size_class_of(64)));
  cr_assert_eq(h.stats().filler_hugepages, 10u, "2560 pages pack into 10 hugepages");
  for (int i = 0; i < 2560; i += 2) h.delete_span(spans[i]);
  for (int i = 0; i < 1280; ++i) h.new_span(1, size_class_of(64));
  cr_assert_eq(h.stats().filler_hugepages, 10u, "holes are filled before a new hugepage");
  cr_assert_eq(h.stats().filler_free_bytes, 0u);
  cr_assert(h.valid());
}

Test(release, whole_hugepages_after_the_delay_and_rss_falls) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *big = h.new_span(4 * 256, 0);
  memset(reinterpret_cast<void *>(big->start), 0xab, big->bytes());
  uintptr_t start = big->start;
  cr_assert_eq(resident_pages(start, 4 * kHugePageSize), 4 * kHugePageSize / 4096);
  h.delete_span(big);
  cr_assert_eq(h.stats().free_resident_bytes, 4 * kHugePageSize);
  os.clock += 600'000'000;  // before the delay: kept
  h.delete_span(h.new_span(1, 3));
  cr_assert_eq(h.stats().released_bytes, 0u);
  os.clock += 600'000'000;  // past it
  h.delete_span(h.new_span(1, 3));
  PageHeapStats st = h.stats();
  cr_assert_geq(st.released_bytes, 3 * kHugePageSize);
  cr_assert_eq(st.released_bytes % kHugePageSize, 0u, "whole hugepages only");
  cr_assert_eq(os.decommitted_bytes % kHugePageSize, 0u);
  cr_assert_eq(resident_pages(start + kHugePageSize, 3 * kHugePageSize), 0u, "RSS fell");
  // Memory that comes back from the OS reads as zero and the heap knows it needs no clearing.
  h.release(true, false);
  Span *again = h.new_span(3 * 256, 0);
  cr_assert_not(again->needzero);
  cr_assert_eq(*reinterpret_cast<unsigned char *>(again->start + kHugePageSize), 0);
  cr_assert(h.valid());
}

Test(release, partly_used_hugepages_break_only_when_asked) {
  TestOs os;
  Heap h(&os, small_arenas());
  std::vector<Span *> spans;
  for (int i = 0; i < 256; ++i) spans.push_back(h.new_span(1, size_class_of(16)));
  for (Span *s : spans) memset(reinterpret_cast<void *>(s->start), 1, kPageSize);
  uintptr_t kept = spans[0]->start, gone = spans[1]->start;
  for (int i = 0; i < 256; ++i)
    if (i % 4 != 0) h.delete_span(spans[i]);
  os.clock += 10'000'000'000ull;
  cr_assert_eq(h.release(false, false), 0u, "no whole hugepage is free");
  cr_assert_eq(h.release(true, true), 192 * kPageSize, "breaking gives back the free pages");
  cr_assert_eq(resident_pages(gone, kPageSize), 0u);
  cr_assert_eq(resident_pages(kept, kPageSize), kPageSize / 4096);
  cr_assert(h.valid());
}

Test(release, limit_breaks_hugepages_under_pressure) {
  TestOs os;
  os.refuse_moves = true;  // else c gets the free hugepages' memory moved, and nothing need go
  PageHeapConfig cfg = small_arenas();
  cfg.limit_bytes = 3 * kHugePageSize;
  Heap h(&os, cfg);
  Span *a = h.new_span(2 * 256, 0), *b = h.new_span(200, 0);
  h.delete_span(a);  // 2 free resident hugepages, within the delay
  cr_assert_eq(h.stats().released_bytes, 0u);
  Span *c = h.new_span(3 * 256, 0);  // growth past the limit releases them at once
  cr_assert_geq(h.stats().released_bytes, 2 * kHugePageSize);
  (void)b;
  (void)c;
  cr_assert(h.valid());
}

Test(backing, hugetlb_pool_first_then_thp_and_back_to_the_pool) {
  TestOs os;
  os.pool = 2;
  PageHeapConfig cfg = thp_arenas(0, true);
  Heap h(&os, cfg);
  Span *s = h.new_span(3 * 256, 0);
  cr_assert_eq(s->hp[0].backing, Backing::kHugetlb);
  cr_assert_eq(s->hp[1].backing, Backing::kHugetlb);
  cr_assert_eq(s->hp[2].backing, Backing::kThp, "the pool is empty: THP");
  cr_assert_eq(h.stats().hugetlb_bytes, 2 * kHugePageSize);
  h.delete_span(s);
  h.release(true, false);
  cr_assert_eq(os.hugetlb_unmaps, 2u);
  cr_assert_eq(os.pool, 2u, "pool pages went back");
  cr_assert_eq(h.stats().hugetlb_bytes, 0u);
  cr_assert(h.valid());
}

Test(page_heap, aligned_runs) {
  TestOs os;
  Heap h(&os, small_arenas());
  h.new_span(3, 0);
  for (uint64_t align : {2ull, 16ull, 64ull, 256ull, 512ull, 1024ull}) {
    for (uint32_t n : {1u, 5u, 300u}) {
      Span *s = h.new_span(n, 0, align);
      cr_assert_not_null(s);
      cr_assert_eq(s->start % (align * kPageSize), 0u, "align %lu pages, n %u", align, n);
    }
  }
  cr_assert(h.valid());
}

Test(page_heap, refusal_of_memory_is_reported_not_fatal) {
  TestOs os;
  os.fail_reserve_above = 64ull << 20;
  Heap h(&os, small_arenas());
  cr_assert_null(h.new_span(64 * 256, 0), "beyond what the OS gives");
  cr_assert_not_null(h.new_span(10, 0));
  cr_assert(h.valid());
}
Test(backing, names) {
  cr_assert_str_eq(name_of(Backing::kHugetlb), "hugetlb");
  cr_assert_str_eq(name_of(Backing::kThp), "thp");
  cr_assert_str_eq(name_of(Backing::kPlain), "plain");
}

Test(backing, thp_only_once_the_heap_is_big) {
  TestOs os;
  PageHeapConfig cfg = thp_arenas(4 * kHugePageSize);
  Heap h(&os, cfg);
  Span *small = h.new_span(1, 3);
  cr_assert_eq(small->hp->backing, Backing::kPlain, "a small heap stays on plain pages");
  Span *big = h.new_span(8 * 256, 0);
  // Once 4 hugepages are in use the heap is big: those taken on plain pages are promoted too.
  cr_assert_eq(big->hp[0].backing, Backing::kThp);
  cr_assert_eq(big->hp[7].backing, Backing::kThp);
  cr_assert_eq(small->hp->backing, Backing::kThp);
  cr_assert_eq(os.thp_advised, 9u, "every hugepage in use");
  cr_assert_eq(os.collapses, 1u, "only the one holding data (the small span's) is collapsed");
  h.delete_span(big);
  h.release(true, false);
  Span *again = h.new_span(8 * 256, 0);
  cr_assert_eq(again->hp[7].backing, Backing::kThp, "advice survives a release");
  cr_assert(h.valid());
}

Test(release, plain_hugepages_give_free_pages_back_after_the_delay) {
  TestOs os;
  Heap h(&os, small_arenas());  // no THP, no pool: plain pages
  std::vector<Span *> spans;
  for (int i = 0; i < 100; ++i) spans.push_back(h.new_span(1, size_class_of(32)));
  for (Span *s : spans) memset(reinterpret_cast<void *>(s->start), 1, kPageSize);
  uintptr_t gone = spans[50]->start;
  for (int i = 1; i < 100; ++i) h.delete_span(spans[i]);
  cr_assert_eq(h.stats().released_bytes, 0u);
  os.clock += 2'000'000'000ull;
  h.delete_span(h.new_span(1, 3));  // a page heap call after the delay (reuses page 1)
  cr_assert_geq(h.stats().released_bytes, 98 * kPageSize);
  cr_assert_eq(resident_pages(gone, kPageSize), 0u);
  cr_assert(h.valid());
}

Test(release, thp_hugepages_keep_free_pages_until_broken) {
  TestOs os;
  PageHeapConfig cfg = thp_arenas(0);
  Heap h(&os, cfg);
  std::vector<Span *> spans;
  for (int i = 0; i < 100; ++i) spans.push_back(h.new_span(1, size_class_of(32)));
  for (int i = 1; i < 100; ++i) h.delete_span(spans[i]);
  os.clock += 2'000'000'000ull;
  h.delete_span(h.new_span(1, 3));
  cr_assert_eq(h.stats().released_bytes, 0u, "the hugepage stays whole");
  cr_assert(h.valid());
}

Test(page_heap, large_span_grows_in_place_when_the_next_pages_are_free) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *s = h.new_span(10, 0);
  uintptr_t start = s->start;
  cr_assert(h.try_extend(s, 100), "inside its hugepage");
  cr_assert_eq(s->start, start);
  cr_assert_eq(s->npages, 100u);
  cr_assert(h.try_extend(s, 1000), "into the free hugepages after it");
  cr_assert_eq(s->npages, 1000u);
  cr_assert_eq(h.stats().in_use_bytes, 1000 * kPageSize);
  cr_assert(h.valid());
  Span *next = h.new_span(20, 0);  // lands in the donated tail (24 pages), right after s
  cr_assert_eq(next->start, s->end());
  cr_assert_not(h.try_extend(s, 1001), "the next page is taken");
  cr_assert_eq(s->npages, 1000u);
  h.delete_span(s);
  h.delete_span(next);
  PageHeapStats st = h.stats();
  cr_assert_eq(st.in_use_bytes, 0u);
  cr_assert_eq(st.filler_hugepages + st.large_hugepages, 0u, "every hugepage is free again");
  cr_assert(h.valid());
}

Test(page_heap, whole_hugepage_span_grows_into_the_next_hugepage) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *s = h.new_span(512, 0);
  cr_assert(h.try_extend(s, 700));
  cr_assert_eq(h.stats().large_hugepages, 2u);
  cr_assert_eq(h.stats().filler_hugepages, 1u);
  h.delete_span(s);
  cr_assert_eq(h.stats().in_use_bytes, 0u);
  cr_assert(h.valid());
}

// delete_span(s, true): a large object's garbage pages in whole hugepages (and in hugepages it
// empties) go back to the OS at once, not after the delay; in a THP hugepage others still use its
// run only becomes free, so that the hugepage is not split (tests/heap/test_realloc_growth.cc
// has the rules, and plain pages).
Test(release, discarded_large_span_gives_its_pages_back_at_once) {
  TestOs os;
  PageHeapConfig cfg = thp_arenas(0);
  Heap h(&os, cfg);
  Span *keep = h.new_span(8, 0);  // shares the hugepage, so it stays in the filler
  Span *s = h.new_span(100, 0);
  Span *big = h.new_span(600, 0);  // two whole hugepages and a donated tail
  memset(reinterpret_cast<void *>(keep->start), 7, keep->bytes());
  memset(reinterpret_cast<void *>(s->start), 1, s->bytes());
  memset(reinterpret_cast<void *>(big->start), 2, big->bytes());
  uintptr_t gone = s->start, gone_big = big->start;
  uint64_t filler_free = h.stats().filler_free_bytes;
  h.delete_span(s, true);
  cr_assert_eq(os.decommits, 0u, "the THP hugepage keep uses is not split");
  cr_assert_eq(resident_pages(gone, 100 * kPageSize), 100 * kPageSize / 4096);
  cr_assert_eq(h.stats().filler_free_bytes, filler_free + 100 * kPageSize, "s's run is free");
  cr_assert_eq(resident_pages(keep->start, keep->bytes()), keep->bytes() / 4096);
  cr_assert_eq(static_cast<char *>(reinterpret_cast<void *>(keep->start))[0], 7);
  h.delete_span(big, true);
  cr_assert_eq(resident_pages(gone_big, 600 * kPageSize), 0u);
  PageHeapStats st = h.stats();
  cr_assert_eq(st.free_resident_bytes, 0u, "its whole hugepages are not kept for the delay");
  cr_assert_eq(st.released_bytes, os.decommitted_bytes);
  cr_assert_eq(st.in_use_bytes, keep->bytes());
  cr_assert(h.valid());
  Span *again = h.new_span(100, 0);  // reuses the run, which still holds s's bytes
  cr_assert_eq(again->start, gone);
  cr_assert(again->needzero);
  h.delete_span(again);
  h.delete_span(keep);
  cr_assert(h.valid());
}

// A request no run of resident free hugepages can serve, when the OS cannot move their memory,
// takes new memory; as many resident free hugepages go back to the OS then, ahead of their
// delay, so resident memory does not grow.
Test(release, new_memory_is_traded_for_resident_free_hugepages) {
  TestOs os;
  os.refuse_moves = true;
  Heap h(&os, small_arenas());
  Span *a = h.new_span(2 * kPagesPerHugePage, 0);  // hugepages 0-1
  Span *b = h.new_span(kPagesPerHugePage, 0);      // hugepage 2
  uintptr_t a_start = a->start;
  memset(reinterpret_cast<void *>(a_start), 1, a->bytes());
  h.delete_span(a);
  cr_assert_eq(h.stats().free_resident_bytes, 2 * kHugePageSize, "kept for the delay");
  Span *c = h.new_span(2 * kPagesPerHugePage, 0);  // fits the resident run: reused
  cr_assert_eq(c->start, a_start);
  cr_assert(c->needzero);
  cr_assert_eq(os.decommits, 0u);
  h.delete_span(c);
  Span *d = h.new_span(3 * kPagesPerHugePage, 0);  // does not fit: hugepages 3-5, new memory
  cr_assert_neq(d->start, a_start);
  PageHeapStats st = h.stats();
  cr_assert_eq(st.free_resident_bytes, 0u, "the two resident free hugepages were traded");
  cr_assert_eq(st.released_bytes, 2 * kHugePageSize);
  cr_assert_eq(resident_pages(a_start, 2 * kHugePageSize), 0u);
  h.delete_span(b);
  h.delete_span(d);
  cr_assert(h.valid());
}

Test(backing, pool_pages_only_once_the_heap_is_big) {
  TestOs os;
  os.pool = 8;
  PageHeapConfig cfg = thp_arenas(3 * kHugePageSize, true);  // counting the hugepage being taken
  Heap h(&os, cfg);
  Span *small = h.new_span(1, 3);
  cr_assert_eq(small->hp->backing, Backing::kPlain, "a small heap takes no pool page");
  cr_assert_eq(os.hugetlb_maps, 0u);
  Span *big = h.new_span(3 * 256, 0);
  // hp[0] was taken with 2 in use, on plain pages; the heap is big after: promoted to THP.
  cr_assert_eq(big->hp[0].backing, Backing::kThp, "2 hugepages in use with it, then promoted");
  cr_assert_eq(small->hp->backing, Backing::kThp);
  cr_assert_eq(big->hp[1].backing, Backing::kHugetlb);
  cr_assert_eq(big->hp[2].backing, Backing::kHugetlb);
  cr_assert_eq(h.stats().hugetlb_bytes, 2 * kHugePageSize);
  h.delete_span(big);
  h.delete_span(small);
  cr_assert(h.valid());
}

// The same request when the OS can move memory: the resident free hugepages' memory moves into
// the run (bytes and all: needzero), nothing is released and only the rest is new memory.
Test(release, resident_free_hugepages_move_into_a_run_that_needs_memory) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *a = h.new_span(2 * kPagesPerHugePage, 0);  // hugepages 0-1
  Span *b = h.new_span(kPagesPerHugePage, 0);      // hugepage 2
  uintptr_t a_start = a->start;
  memset(reinterpret_cast<void *>(a_start), 0x5a, a->bytes());
  h.delete_span(a);
  Span *d = h.new_span(3 * kPagesPerHugePage, 0);  // does not fit 0-1: hugepages 3-5
  cr_assert_eq(d->start, a_start + 3 * kHugePageSize);
  cr_assert(d->needzero, "moved memory holds old bytes");
  cr_assert_eq(os.moves, 2u);
  cr_assert_eq(h.huge().moved_hugepages(), 2u);
  PageHeapStats st = h.stats();
  cr_assert_eq(st.free_resident_bytes, 0u);
  cr_assert_eq(st.released_bytes, 0u, "nothing went back to the OS");
  cr_assert_eq(os.decommits, 0u);
  cr_assert_eq(resident_pages(a_start, 2 * kHugePageSize), 0u, "the old range is empty");
  cr_assert_eq(*reinterpret_cast<unsigned char *>(a_start + 4096), 0u, "and reads as zero");
  auto *q = reinterpret_cast<unsigned char *>(d->start);
  cr_assert_eq(q[0], 0x5a);
  cr_assert_eq(q[2 * kHugePageSize - 1], 0x5a);
  cr_assert_eq(q[2 * kHugePageSize], 0u, "the third hugepage is new memory");
  cr_assert_eq(h.resident_bytes(), 4 * kHugePageSize, "b and d: the old range counts no more");
  // The emptied hugepages are free and reusable, and come back zeroed.
  Span *e = h.new_span(2 * kPagesPerHugePage, 0);
  cr_assert_eq(e->start, a_start);
  cr_assert_eq(*reinterpret_cast<unsigned char *>(a_start), 0u);
  h.delete_span(b);
  h.delete_span(d);
  h.delete_span(e);
  cr_assert(h.valid());
}

// A hugepage some of whose pages were released while others were in use (broken: THP maps it by
// 4 KiB pages) does not move: it is traded; once released whole it may move again.
Test(release, broken_hugepages_are_not_moved) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *big = h.new_span(kPagesPerHugePage, 0);  // hugepage 0
  Span *s1 = h.new_span(1, 3);                   // hugepage 1 (filler)
  Span *s2 = h.new_span(1, 3);
  Span *big2 = h.new_span(kPagesPerHugePage, 0);  // hugepage 2: 1 stays a run of one
  memset(reinterpret_cast<void *>(s1->start), 1, 8192);
  memset(reinterpret_cast<void *>(s2->start), 1, 8192);
  h.delete_span(s1);
  h.release(false, true);  // breaks hugepage 1 (s1's page goes back)
  HugePage *hp1 = s2->hp;
  cr_assert(hp1->broken);
  h.delete_span(s2);  // hugepage 1 is free, resident (s2's page), broken
  cr_assert_eq(h.stats().free_resident_bytes, kHugePageSize);
  Span *d = h.new_span(2 * kPagesPerHugePage, 0);  // hugepages 3-4: new memory, 1 traded
  cr_assert_eq(d->start, big->start + 3 * kHugePageSize);
  cr_assert_eq(os.moves, 0u);
  cr_assert_eq(h.stats().free_resident_bytes, 0u);
  cr_assert(!hp1->broken, "released whole");
  h.delete_span(d);
  h.delete_span(big);
  h.delete_span(big2);
  cr_assert(h.valid());
}

// Mappings (lines of /proc/self/maps) that overlap [lo, hi).
static unsigned mappings_in(uintptr_t lo, uintptr_t hi) {
  FILE *f = fopen("/proc/self/maps", "r");
  cr_assert_not_null(f);
  unsigned n = 0;
  unsigned long a, b;
  char line[512];
  while (fgets(line, sizeof line, f) != nullptr)
    if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && b > lo) ++n;
  fclose(f);
  return n;
}

// Each hugepage that another's memory moved into is a mapping of its own: at most
// max_mappings / 8 of them at once.  Past the budget a request faults new memory and trades;
// a released remapped hugepage gets fresh memory mapped over it, the arena is one mapping again,
// and moves resume.
Test(release, moves_stop_at_the_budget_and_resume_when_remapped_hugepages_are_released) {
  TestOs os;
  os.mappings = 8;  // budget: 1 remapped hugepage
  Heap h(&os, small_arenas());
  Span *a = h.new_span(2 * kPagesPerHugePage, 0);              // hugepages 0-1
  Span *b = h.new_span(kPagesPerHugePage, 0);                  // hugepage 2
  uintptr_t base = a->start, end = base + 32 * kHugePageSize;  // the arena
  cr_assert_eq(mappings_in(base, end), 1u, "%u", mappings_in(base, end));
  memset(reinterpret_cast<void *>(a->start), 0x5a, a->bytes());
  h.delete_span(a);
  Span *d = h.new_span(3 * kPagesPerHugePage, 0);  // hugepages 3-5
  cr_assert_eq(d->start, base + 3 * kHugePageSize);
  cr_assert_eq(h.huge().move_budget(), 1u);
  cr_assert_eq(os.moves, 1u, "one move, then the budget is spent");
  cr_assert_eq(h.huge().remapped_hugepages(), 1u);
  cr_assert_eq(os.decommits, 1u, "the other resident free hugepage was traded");
  cr_assert_eq(h.stats().free_resident_bytes, 0u);
  cr_assert(h.valid());
  auto *q = reinterpret_cast<unsigned char *>(d->start);
  cr_assert_eq(q[kHugePageSize - 1], 0x5a, "the moved hugepage holds a's bytes");
  cr_assert_eq(q[kHugePageSize], 0u, "the next one is new memory");
  cr_assert_eq(mappings_in(base, end), 3u, "hugepage 3 splits the arena's mapping");
  memset(q, 1, d->bytes());
  h.delete_span(d);
  h.release(true, false);
  cr_assert_eq(os.fresh_maps, 1u, "the remapped hugepage got fresh memory");
  cr_assert_eq(h.huge().remapped_hugepages(), 0u);
  cr_assert_eq(resident_pages(base + 3 * kHugePageSize, 3 * kHugePageSize), 0u);
  cr_assert_eq(q[0], 0u);
  cr_assert_eq(mappings_in(base, end), 1u, "and joined the arena's mapping again");
  cr_assert(h.valid());
  // The budget is free again: a resident free hugepage moves into the next request.
  Span *e = h.new_span(kPagesPerHugePage, 0);  // hugepage 0
  Span *g = h.new_span(kPagesPerHugePage, 0);  // 1
  memset(reinterpret_cast<void *>(e->start), 7, e->bytes());
  h.delete_span(e);
  Span *f = h.new_span(2 * kPagesPerHugePage, 0);  // 0 does not fit: 3-4, 3 gets 0's memory
  cr_assert_eq(f->start, base + 3 * kHugePageSize);
  cr_assert_eq(os.moves, 2u);
  cr_assert_eq(*reinterpret_cast<unsigned char *>(f->start), 7u);
  cr_assert_eq(h.huge().remapped_hugepages(), 1u);
  h.delete_span(f);
  h.delete_span(g);
  h.delete_span(b);
  cr_assert(h.valid());
}

// A remapped hugepage whose memory moves on gets fresh memory mapped over it at once, so the
// remapped count stays that of the hugepages holding moved memory.
Test(release, a_remapped_hugepage_moved_out_of_is_whole_again) {
  TestOs os;
  Heap h(&os, small_arenas());
  Span *a = h.new_span(kPagesPerHugePage, 0);                  // hugepage 0
  Span *sep1 = h.new_span(kPagesPerHugePage, 0);               // 1
  uintptr_t base = a->start, end = base + 32 * kHugePageSize;  // the arena
  memset(reinterpret_cast<void *>(a->start), 0x11, a->bytes());
  h.delete_span(a);
  Span *d = h.new_span(2 * kPagesPerHugePage, 0);  // 2-3: 2 gets 0's memory
  cr_assert_eq(d->start, base + 2 * kHugePageSize);
  cr_assert_eq(os.moves, 1u);
  Span *sep2 = h.new_span(kPagesPerHugePage, 0);  // 0 (free, empty)
  Span *sep3 = h.new_span(kPagesPerHugePage, 0);  // 4
  cr_assert_eq(sep2->start, base);
  cr_assert_eq(sep3->start, base + 4 * kHugePageSize);
  memset(reinterpret_cast<void *>(d->start), 0x22, d->bytes());
  h.delete_span(d);                                // 2 (remapped) and 3 resident free
  Span *f = h.new_span(3 * kPagesPerHugePage, 0);  // 5-7: 5 gets 2's, 6 gets 3's, 7 is new
  cr_assert_eq(f->start, base + 5 * kHugePageSize);
  cr_assert_eq(os.moves, 3u);
  cr_assert_eq(os.fresh_maps, 1u, "hugepage 2 was remapped: it is whole again");
  cr_assert_eq(h.huge().remapped_hugepages(), 2u);
  auto *q = reinterpret_cast<unsigned char *>(f->start);
  cr_assert_eq(q[0], 0x22);
  cr_assert_eq(q[2 * kHugePageSize - 1], 0x22);
  cr_assert_eq(q[2 * kHugePageSize], 0u);
  cr_assert(h.valid());
  h.delete_span(f);
  h.release(true, false);
  cr_assert_eq(h.huge().remapped_hugepages(), 0u);
  cr_assert_eq(mappings_in(base, end), 1u);
  h.delete_span(sep1);
  h.delete_span(sep2);
  h.delete_span(sep3);
  cr_assert(h.valid());
}

// The bitmap's run queries against a bit-by-bit model, on random bitmaps of short and long runs.
Test(page_bitmap, run_queries_match_a_bit_by_bit_model) {
  uint64_t x = 88172645463325252ull;
  auto rnd = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  unsigned rests_told[2] = {};
  for (int round = 0; round < 300; ++round) {
    PageBitmap b;
    bool bit[kPagesPerHugePage] = {};
    for (uint32_t i = 0; i < kPagesPerHugePage;) {  // runs of 1..(round % 60 + 1) bits
      uint32_t len = 1 + static_cast<uint32_t>(rnd() % (round % 60 + 1));
      if (len > kPagesPerHugePage - i) len = kPagesPerHugePage - i;
      if (rnd() % 2 == 0) {
        b.set_range(i, len);
        for (uint32_t k = i; k < i + len; ++k) bit[k] = true;
      }
      i += len;
    }
    for (int q = 0; q < 20; ++q) {
      uint32_t i = static_cast<uint32_t>(rnd() % kPagesPerHugePage);
      uint32_t room = kPagesPerHugePage - i;
      uint32_t n = 1 + static_cast<uint32_t>(rnd() % (q % 2 == 0 && room > 8 ? 8 : room));
      bool any = false, all = true;
      for (uint32_t k = i; k < i + n; ++k) any |= bit[k], all &= bit[k];
      cr_assert_eq(b.any_range(i, n), any, "any_range(%u, %u)", i, n);
      cr_assert_eq(b.all_range(i, n), all, "all_range(%u, %u)", i, n);
      if (!bit[i]) {
        uint32_t lo = i, hi = i;
        while (lo > 0 && !bit[lo - 1]) --lo;
        while (hi < kPagesPerHugePage && !bit[hi]) ++hi;
        cr_assert_eq(b.clear_run_at(i), hi - lo, "clear_run_at(%u)", i);
      }
      uint32_t want = kPagesPerHugePage + 1, at = PageBitmap::kNone;
      for (uint32_t k = 0; k < kPagesPerHugePage;) {
        if (bit[k]) {
          ++k;
          continue;
        }
        uint32_t e = k;
        while (e < kPagesPerHugePage && !bit[e]) ++e;
        if (e - k >= n && e - k < want) want = e - k, at = k;
        k = e;
      }
      uint32_t len = 0, rest = 0;
      cr_assert_eq(b.find_best_clear_run(n, &len, &rest), at, "find_best_clear_run(%u)", n);
      if (at == PageBitmap::kNone) continue;
      cr_assert_eq(len, want);
      ++rests_told[rest != PageBitmap::kNone];
      PageBitmap taken = b;
      taken.set_range(at, n);
      if (rest != PageBitmap::kNone)
        cr_assert_eq(rest, taken.longest_clear_run(), "what is left after taking %u at %u", n, at);
    }
  }
  cr_assert(rests_told[0] > 100 && rests_told[1] > 100, "both cases ran: %u %u", rests_told[0],
            rests_told[1]);
}

// The filler keeps used_pages and longest_free incrementally: random runs allocated and freed
// in a few hugepages, valid() (which recounts both) after every step.
Test(filler, incremental_counts_stay_exact_under_random_churn) {
  TestOs os;
  Heap h(&os, small_arenas());
  uint64_t x = 0x9e3779b97f4a7c15ull;
  auto rnd = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  std::vector<Span *> live;
  for (int step = 0; step < 3000; ++step) {
    if (live.size() < 40 || rnd() % 2 == 0) {
      uint32_t n = 1 + static_cast<uint32_t>(rnd() % (rnd() % 4 == 0 ? 120 : 8));
      Span *s = h.new_span(n, 0);
      cr_assert_not_null(s);
      live.push_back(s);
    } else {
      size_t k = rnd() % live.size();
      h.delete_span(live[k]);
      live[k] = live.back();
      live.pop_back();
    }
    cr_assert(h.filler().valid(), "step %d", step);
  }
  for (Span *s : live) h.delete_span(s);
  cr_assert(h.valid());
  cr_assert_eq(h.stats().filler_hugepages, 0u);
}
