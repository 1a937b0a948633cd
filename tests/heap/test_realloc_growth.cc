// tests/heap/test_realloc_growth.cc: what realloc's moves rest on: the discard of an old copy's
// pages -- the first one in a whole THP hugepage gives back every free dirty page of it at once,
// later ones only their own run.
#include <criterion/criterion.h>
#include <sys/mman.h>

#include <cstring>
#include <vector>

#include "heap/page_heap.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Heap = PageHeap<TestOs>;

static PageHeapConfig heap_config(bool thp) {
  PageHeapConfig c;
  c.backing.arena_bytes = 64ull << 20;
  c.backing.thp = thp;
  c.backing.thp_min_bytes = 0;
  return c;
}

static size_t resident_pages(uintptr_t a, size_t bytes) {
  size_t n = bytes / 4096, r = 0;
  std::vector<unsigned char> v(n);
  if (mincore(reinterpret_cast<void *>(a), bytes, v.data()) != 0) return SIZE_MAX;
  for (unsigned char c : v) r += c & 1;
  return r;
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

Test(discard, first_discard_in_a_whole_thp_hugepage_gives_back_every_free_dirty_page) {
  TestOs os;
  Heap h(&os, heap_config(true));
  HpLayout l = make_layout(h);
  uintptr_t s1 = l.s1->start, s2 = l.s2->start, s3 = l.s3->start;
  cr_assert_eq(l.keep->hp->backing, Backing::kThp);
  h.delete_span(l.s1);  // an ordinary free: its pages stay resident in the whole hugepage
  cr_assert_eq(os.decommits, 0u);
  h.delete_span(l.s2, true);  // splits the hugepage: s1's free pages go back too, in one step
  cr_assert_eq(os.decommits, 2u, "one call per free dirty run; the clean tail is left alone");
  cr_assert_eq(os.decommitted_bytes, 50 * kPageSize);
  cr_assert_eq(resident_pages(s1, 20 * kPageSize), 0u);
  cr_assert_eq(resident_pages(s2, 30 * kPageSize), 0u);
  cr_assert_eq(resident_pages(l.mid->start, l.mid->bytes()), l.mid->bytes() / 4096);
  cr_assert_eq(static_cast<unsigned char *>(reinterpret_cast<void *>(l.mid->start))[0], 9);
  cr_assert(l.keep->hp->broken);
  h.delete_span(l.s3, true);  // broken already: only its own run
  cr_assert_eq(os.decommits, 3u);
  cr_assert_eq(os.decommitted_bytes, 55 * kPageSize);
  cr_assert_eq(resident_pages(s3, 5 * kPageSize), 0u);
  PageHeapStats st = h.stats();
  cr_assert_eq(st.released_bytes, 55 * kPageSize);
  cr_assert_eq(st.in_use_bytes, 18 * kPageSize);
  cr_assert(h.valid());
  Span *again = h.new_span(20, 0);  // best fit: s1's run again, released, so zero
  cr_assert_eq(again->start, s1);
  cr_assert_not(again->needzero, "released pages read as zero");
  h.delete_span(again);
  h.delete_span(l.mid);
  h.delete_span(l.keep);
  cr_assert_eq(h.stats().in_use_bytes, 0u);
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
