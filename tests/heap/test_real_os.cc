// tests/heap/test_real_os.cc: the page heap on the real kernel (RealOs through pal/): memory it
// gives back really leaves RSS, hugetlb pages come and go cleanly (or are refused cleanly when
// the pool is empty), and errno is never touched.
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/mman.h>

#include <cstring>
#include <vector>

#include "cache/allocator.hpp"
#include "heap/real_os.hpp"

using namespace hpmm;

static size_t resident_4k(uintptr_t a, size_t bytes) {
  std::vector<unsigned char> v(bytes / 4096);
  if (mincore(reinterpret_cast<void *>(a), bytes, v.data()) != 0) return SIZE_MAX;
  size_t r = 0;
  for (unsigned char c : v) r += c & 1;
  return r;
}

Test(real_os, reserve_decommit_and_errno) {
  RealOs os;
  errno = 1234;
  uintptr_t a = os.reserve(8u << 20);
  cr_assert_neq(a, 0u);
  cr_assert_eq(a % (2u << 20), 0u);
  cr_assert_eq(resident_4k(a, 8u << 20), 0u, "reserved memory is not resident");
  std::memset(reinterpret_cast<void *>(a), 7, 4u << 20);
  cr_assert_geq(resident_4k(a, 8u << 20), 1024u);
  cr_assert(os.decommit(a, 4u << 20));
  cr_assert_eq(resident_4k(a, 8u << 20), 0u, "decommit drops the pages");
  cr_assert_eq(*reinterpret_cast<char *>(a), 0);
  cr_assert(os.advise_thp(a, 4u << 20));
  cr_assert_eq(errno, 1234, "errno is preserved");
  void *m = os.map_meta(100000);
  cr_assert_not_null(m);
  cr_assert_eq(static_cast<char *>(m)[99999], 0);
}

Test(real_os, hugetlb_page_at_a_reserved_address_or_a_clean_refusal) {
  RealOs os;
  uintptr_t a = os.reserve(4u << 20);
  std::memset(reinterpret_cast<void *>(a), 3, 4096);
  if (!os.map_hugetlb(a)) {
    // No pool page: the range is as it was.
    cr_assert_eq(*reinterpret_cast<char *>(a), 3);
    return;
  }
  cr_assert_eq(*reinterpret_cast<char *>(a), 0, "a fresh pool page is zero");
  std::memset(reinterpret_cast<void *>(a), 5, 2u << 20);
  cr_assert(os.unmap_hugetlb(a));
  cr_assert_eq(*reinterpret_cast<char *>(a), 0, "plain untouched memory again");
  *reinterpret_cast<char *>(a) = 1;  // writable
}

Test(real_os, move_hugepage_moves_bytes_and_leaves_the_source_empty_and_mapped) {
  RealOs os;
  const size_t h = 2u << 20;
  uintptr_t a = os.reserve(3 * h);
  cr_assert(os.advise_thp(a, 3 * h));
  std::memset(reinterpret_cast<void *>(a), 9, h);
  std::memset(reinterpret_cast<void *>(a + 2 * h), 4, h);
  errno = 77;
  if (!os.move_hugepage(a, a + 2 * h)) {
    // A kernel without MREMAP_DONTUNMAP for anonymous memory (before 5.13): both unchanged.
    cr_assert_eq(*reinterpret_cast<char *>(a), 9);
    cr_assert_eq(*reinterpret_cast<char *>(a + 2 * h), 4);
    return;
  }
  cr_assert_eq(errno, 77, "errno is preserved");
  auto *to = reinterpret_cast<unsigned char *>(a + 2 * h);
  cr_assert_eq(to[0], 9u);
  cr_assert_eq(to[h - 1], 9u, "the whole hugepage moved, replacing what was there");
  cr_assert_eq(resident_4k(a, h), 0u, "the source holds nothing");
  cr_assert_eq(*reinterpret_cast<char *>(a + 12345), 0, "and reads as zero");
  std::memset(reinterpret_cast<void *>(a), 1, h);  // still mapped and writable
  cr_assert_eq(to[0], 9u, "the moved bytes are not shared with the source");
  cr_assert(!os.move_hugepage(a + 4096, a + h), "unaligned addresses are refused");
  cr_assert_eq(*reinterpret_cast<char *>(a + 4096), 1);
}

Test(real_os, allocator_gives_whole_hugepages_back) {
  RealOs os;
  AllocatorConfig cfg;
  cfg.page_heap.backing.arena_bytes = 64u << 20;
  cfg.page_heap.backing.thp = true;
  cfg.page_heap.backing.thp_min_bytes = 0;
  Allocator<RealOs> a(&os, cfg);
  void *p = a.alloc(16u << 20, nullptr);
  std::memset(p, 1, 16u << 20);
  uintptr_t at = reinterpret_cast<uintptr_t>(p);
  cr_assert_geq(resident_4k(at, 16u << 20), 4096u);
  a.free(p, nullptr);
  uint64_t released = a.release(true, false);
  cr_assert_eq(released, 16u << 20);
  cr_assert_eq(resident_4k(at, 16u << 20), 0u, "RSS fell by the whole object");
  cr_assert(a.valid());
}
