// tests/heap/test_lazy_records.cc: an arena's hugepage records are built when their hugepages are
// first taken (heap/arena.hpp), so a small heap never writes the records of a 1 GiB arena's
// other hugepages; growth in place into hugepages without a record builds theirs.
#include <criterion/criterion.h>
#include <sys/mman.h>

#include <new>

#include "heap/page_heap.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Heap = PageHeap<TestOs>;

static PageHeapConfig gib_arena() {
  PageHeapConfig c;
  c.backing.arena_bytes = 1ull << 30;  // 512 hugepages: the shim's arena
  return c;
}

Test(lazy_records, a_small_heap_builds_and_touches_one_record) {
  TestOs os;
  Heap h(&os, gib_arena());
  uint32_t cls = size_class_of(64);
  Span *s = h.new_span(kSizeClasses[cls].pages, cls);
  cr_assert_not_null(s);
  Arena *a = h.huge().arenas();
  cr_assert_eq(a->nhp, 512u);
  cr_assert_eq(a->built, 1u, "only the hugepage taken has a record");
  // The records' memory past the first page was never written: not resident.
  size_t bytes = sizeof(HugePage) * a->nhp;
  size_t pages = resident_pages(reinterpret_cast<uintptr_t>(a->hp), bytes / 4096 * 4096);
  cr_assert(pages <= 1, "%zu of the records' pages are resident", pages);
  cr_assert_null(h.huge().hugepage_of(a->base + 5 * kHugePageSize), "no record yet");
  cr_assert_eq(h.huge().hugepage_of(s->start), s->hp);
  PageHeapStats st = h.stats();
  cr_assert_eq(st.free_hugepages, 511u, "unbuilt hugepages count as free");
  cr_assert(h.valid());
  h.delete_span(s);
  cr_assert(h.valid());
}

Test(lazy_records, large_spans_and_growth_in_place_build_their_records) {
  TestOs os;
  Heap h(&os, gib_arena());
  Span *big = h.new_span(3 * kPagesPerHugePage, 0);  // 3 whole hugepages
  cr_assert_not_null(big);
  Arena *a = h.huge().arenas();
  cr_assert_eq(a->built, 3u);
  // Growing by 2 hugepages takes hugepages 3 and 4, which have no record yet.
  cr_assert(h.try_extend(big, 5 * kPagesPerHugePage));
  cr_assert_eq(a->built, 5u);
  cr_assert_eq(big->npages, 5 * kPagesPerHugePage);
  for (uint32_t i = 0; i < 5; ++i) {
    cr_assert_eq(a->hp[i].state, HpState::kLarge);
    cr_assert_eq(a->hp[i].base, a->base + i * kHugePageSize);
  }
  cr_assert(h.valid());
  h.delete_span(big);
  cr_assert_eq(h.stats().free_hugepages, 512u);
  cr_assert(h.valid());
  // The freed hugepages are reused first; nothing past them is built.
  Span *s = h.new_span(1, size_class_of(128));
  cr_assert_not_null(s);
  cr_assert_eq(a->built, 5u);
  cr_assert(h.valid());
}

Test(lazy_records, growth_past_the_arena_end_fails_cleanly) {
  TestOs os;
  PageHeapConfig c;
  c.backing.arena_bytes = 4ull << 21;  // 4 hugepages
  Heap h(&os, c);
  Span *big = h.new_span(3 * kPagesPerHugePage, 0);
  cr_assert_not_null(big);
  Arena *a = h.huge().arenas();
  cr_assert_eq(a->nhp, 4u);
  cr_assert_not(h.try_extend(big, 5 * kPagesPerHugePage), "only one hugepage is left");
  cr_assert_eq(a->built, 3u, "a failed growth builds nothing");
  cr_assert(h.try_extend(big, 4 * kPagesPerHugePage));
  cr_assert_eq(a->built, 4u);
  cr_assert(h.valid());
}

// The filler's list heads are defined only while their list is non-empty, so constructing one in
// fresh memory writes its small words, not the 20 KiB of heads (the shim's .bss stays untouched).
Test(lazy_records, filler_construction_leaves_its_heads_untouched) {
  size_t bytes = (sizeof(HugePageFiller) + 4095) / 4096 * 4096;
  void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(mem, MAP_FAILED);
  auto *f = new (mem) HugePageFiller;  // default-initialised, as PageHeap holds it
  size_t pages = resident_pages(reinterpret_cast<uintptr_t>(mem), bytes);
  cr_assert(pages <= 1, "%zu of the filler's %zu pages are resident", pages, bytes / 4096);
  cr_assert(f->valid());
  // It works as a filler: runs go to the hugepage, the lists it passes through get heads.
  HugePage hp;
  hp.base = 0x40000000;
  f->add(&hp, 0, 10, false);
  for (uint32_t n = 1; n <= 20; ++n)  // 10 + 210 pages cr_assert_eq(f->alloc(n).hp, &hp);
    cr_assert(f->valid());
  cr_assert_null(f->alloc(kPagesPerHugePage - 1).hp, "no run that long is left");
  f->~HugePageFiller();
  munmap(mem, bytes);
}
