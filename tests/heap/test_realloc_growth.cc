// tests/heap/test_realloc_growth.cc: what realloc's moves rest on -- the size a moved block gets
// (room to grow by half), growth from 4 KiB up as whole pages that then grow in place, in new
// hugepages without THP advice, the fallback to the exact size and the refusal of memory -- and the
// discard of an old copy's pages: in a THP-advised hugepage its run only becomes free (no split)
// and the hugepage goes back whole when it empties; on plain pages the run goes back at once.
#include <criterion/criterion.h>
#include <sys/mman.h>

#include <cstring>
#include <vector>

#include "cache/allocator.hpp"
#include "heap/page_heap.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Alloc = Allocator<TestOs>;
using Heap = PageHeap<TestOs>;

static AllocatorConfig alloc_config() {
  AllocatorConfig c;
  c.page_heap.backing.arena_bytes = 64ull << 20;
  c.thread_cache_bytes = 1u << 20;
  return c;
}

static PageHeapConfig heap_config(bool thp) {
  PageHeapConfig c;
  c.backing.arena_bytes = 64ull << 20;
  c.backing.thp = thp;
  c.backing.thp_min_bytes = 0;
  return c;
}

static bool is_large(Alloc &a, const void *p) {
  uint64_t e = a.page_heap().entry_of(p);
  return e != 0 && entry_class(e) == 0;
}

Test(realloc_moves, growth_gets_room_to_grow_by_half_shrinking_gets_n) {
  cr_assert_eq(Alloc::moved_size(1000, 1001), 1500u, "a small step: half again");
  cr_assert_eq(Alloc::moved_size(1000, 1499), 1500u);
  cr_assert_eq(Alloc::moved_size(1000, 1500), 1500u);
  cr_assert_eq(Alloc::moved_size(1000, 4000), 4000u, "a big step: what was asked");
  cr_assert_eq(Alloc::moved_size(1000, 100), 100u, "shrinking: what was asked");
  cr_assert_eq(Alloc::moved_size(1000, 1000), 1000u);
  cr_assert_eq(Alloc::moved_size(1, 2), 2u, "no room below 2 bytes of growth");
}

Test(realloc_moves, small_growth_stays_in_a_class_with_room) {
  TestOs os;
  Alloc a(&os, alloc_config());
  ThreadCache *tc = a.create_cache();
  void *q = a.alloc_moved(1000, 1010, tc);
  cr_assert_not_null(q);
  cr_assert_not(is_large(a, q), "below 4 KiB: a size class");
  cr_assert_geq(a.usable_size(q), 1500u);
  std::memset(q, 3, a.usable_size(q));
  void *s = a.alloc_moved(40000, 100, tc);  // shrinking from a large block: the class of 100
  cr_assert_not(is_large(a, s));
  cr_assert_geq(a.usable_size(s), 100u);
  cr_assert_lt(a.usable_size(s), 200u);
  a.free(q, tc);
  a.free(s, tc);
  a.destroy_cache(tc);
  cr_assert(a.valid());
}

Test(realloc_moves, growth_past_4k_is_pages_that_then_grow_in_place) {
  TestOs os;
  Alloc a(&os, alloc_config());
  ThreadCache *tc = a.create_cache();
  void *q = a.alloc_moved(3000, 3100, tc);
  cr_assert_not_null(q);
  cr_assert(is_large(a, q), "4500 bytes wanted: a large object although a class would fit");
  cr_assert_eq(a.usable_size(q), kPageSize, "one whole page");
  std::memset(q, 5, kPageSize);
  cr_assert(a.try_grow_in_place(q, 20000), "the pages after it are free");
  cr_assert_geq(a.usable_size(q), 20000u);
  cr_assert_eq(static_cast<unsigned char *>(q)[kPageSize - 1], 5, "the bytes stay");
  std::memset(q, 6, a.usable_size(q));
  void *r = a.alloc_moved(2000, 5000, tc);  // a big step past 4 KiB: pages too
  cr_assert(is_large(a, r));
  cr_assert_geq(a.usable_size(r), 5000u);
  cr_assert(a.free(q, tc));
  cr_assert(a.free(r, tc));
  cr_assert_eq(a.page_heap().stats().large_bytes, 0u, "both went back to the page heap");
  a.destroy_cache(tc);
  cr_assert(a.valid());
}

// A hugepage the filler takes new for a realloc-grown block is not advised THP; other requests
// still get advice for the hugepages they take, and a whole-hugepage block always does.
Test(realloc_moves, grown_blocks_take_new_hugepages_without_thp_advice) {
  TestOs os;
  AllocatorConfig cfg = alloc_config();
  cfg.page_heap.backing.thp = true;
  cfg.page_heap.backing.thp_min_bytes = 0;
  Alloc a(&os, cfg);
  ThreadCache *tc = a.create_cache();
  void *q = a.alloc_moved(100000, 100100, tc);  // 150000 bytes: 19 pages of a new hugepage
  cr_assert(is_large(a, q));
  const HugePage *hp = a.page_heap().span_of(q)->hp;
  cr_assert_eq(hp->backing, Backing::kPlain);
  cr_assert_eq(os.thp_advised, 0u);
  void *other = a.alloc(100000, tc);  // fits next to q: the same hugepage, still plain
  cr_assert_eq(a.page_heap().span_of(other)->hp, hp);
  cr_assert_eq(os.thp_advised, 0u);
  void *big = a.alloc(300 * kPageSize, tc);  // a new hugepage for an ordinary request: advised
  cr_assert_eq(a.page_heap().span_of(big)->hp->backing, Backing::kThp);
  uint64_t advised = os.thp_advised;
  cr_assert_geq(advised, 1u);
  void *whole = a.alloc_moved(2u << 20, (2u << 20) + 1, tc);  // whole hugepages: advised
  cr_assert_eq(a.page_heap().span_of(whole)->hp->backing, Backing::kThp);
  cr_assert_gt(os.thp_advised, advised);
  for (void *p : {q, other, big, whole}) cr_assert(a.free(p, tc));
  a.destroy_cache(tc);
  cr_assert(a.valid());
}

// When the room cannot be had, the block gets exactly n; when n cannot be had either, nullptr
// and nothing changes (realloc then keeps the old block).
Test(realloc_moves, without_room_the_exact_size_then_nullptr) {
  TestOs os;
  os.fail_reserve_above = 120ull << 20;
  Alloc a(&os, alloc_config());
  ThreadCache *tc = a.create_cache();
  size_t old = 90ull << 20, n = 100ull << 20;  // room would be 135 MiB: more than the OS gives
  void *q = a.alloc_moved(old, n, tc);
  cr_assert_not_null(q);
  cr_assert_eq(a.usable_size(q), n, "exactly n: the room was refused");
  uint64_t in_use = a.page_heap().stats().in_use_bytes;
  cr_assert_null(a.alloc_moved(n, 200ull << 20, tc), "200 MiB: refused");
  cr_assert_null(a.alloc_moved(n, size_t{1} << 50, tc), "past any arena");
  cr_assert_eq(a.page_heap().stats().in_use_bytes, in_use, "a refusal takes nothing");
  cr_assert(a.free(q, tc));
  a.destroy_cache(tc);
  cr_assert(a.valid());
}

// The layout in the first hugepage (best fit from page 0): keep 0-7, s1 8-27, mid 28-37, s2 38-67,
// s3 68-72, then clean pages never handed out.
struct HpLayout {
  Span *keep, *s1, *mid, *s2, *s3;
};
static HpLayout make_layout(Heap &h) {
  HpLayout l{h.new_span(8, 0), h.new_span(20, 0), h.new_span(10, 0), h.new_span(30, 0),
             h.new_span(5, 0)};
  for (Span *s : {l.keep, l.s1, l.mid, l.s2, l.s3}) {
    cr_assert_not_null(s);
    std::memset(reinterpret_cast<void *>(s->start), 9, s->bytes());
  }
  cr_assert_eq(l.s3->start, l.keep->start + 68 * kPageSize, "the layout the test relies on");
  return l;
}

Test(discard, in_a_thp_hugepage_the_run_becomes_free_and_the_hugepage_goes_back_whole) {
  TestOs os;
  Heap h(&os, heap_config(true));
  HpLayout l = make_layout(h);
  HugePage *hp = l.keep->hp;
  uintptr_t s1 = l.s1->start, s2 = l.s2->start, base = hp->base;
  cr_assert_eq(hp->backing, Backing::kThp);
  h.delete_span(l.s1, true);
  h.delete_span(l.s2, true);
  h.delete_span(l.s3, true);
  cr_assert_eq(os.decommits, 0u, "no split: the runs just become free");
  cr_assert_not(hp->broken);
  cr_assert_eq(resident_pages(s2, 30 * kPageSize), 30 * kPageSize / 4096);
  PageHeapStats st = h.stats();
  cr_assert_eq(st.released_bytes, 0u);
  cr_assert_eq(st.filler_free_bytes, (256 - 18) * kPageSize);
  cr_assert(h.valid());
  Span *again = h.new_span(20, 0);  // best fit: s1's run again, not released, so dirty
  cr_assert_eq(again->start, s1);
  cr_assert(again->needzero, "its old bytes are still there");
  h.delete_span(again);
  h.delete_span(l.mid);
  h.delete_span(l.keep, true);  // empties the hugepage: it goes back whole, at once
  cr_assert_eq(os.decommits, 1u);
  cr_assert_eq(os.decommitted_bytes, kHugePageSize);
  cr_assert_eq(resident_pages(base, kHugePageSize), 0u);
  st = h.stats();
  cr_assert_eq(st.in_use_bytes, 0u);
  cr_assert_eq(st.free_resident_bytes, 0u, "not kept for the delay");
  cr_assert(h.valid());
}

Test(discard, on_plain_pages_only_the_discarded_run_goes_back) {
  TestOs os;
  Heap h(&os, heap_config(false));
  HpLayout l = make_layout(h);
  cr_assert_eq(l.keep->hp->backing, Backing::kPlain);
  uintptr_t s1 = l.s1->start;
  h.delete_span(l.s1);
  h.delete_span(l.s2, true);
  cr_assert_eq(os.decommits, 1u);
  cr_assert_eq(os.decommitted_bytes, 30 * kPageSize, "no hugepage to split: just its run");
  cr_assert_eq(resident_pages(s1, 20 * kPageSize), 20 * kPageSize / 4096, "s1's pages stay");
  h.delete_span(l.s3);
  h.delete_span(l.mid);
  h.delete_span(l.keep);
  cr_assert(h.valid());
}
