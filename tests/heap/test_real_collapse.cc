// tests/heap/test_real_collapse.cc: RealOs::collapse (MADV_COLLAPSE through pal/) on the real
// kernel: bad ranges are refused, errno is kept, and an advised hugepage written on 4 KiB pages
// keeps its bytes when collapsed (a huge page where the kernel has MADV_COLLAPSE and THP is on).
#include <criterion/criterion.h>
#include <errno.h>

#include <cstdio>
#include <cstring>

#include "heap/real_os.hpp"

using namespace hpmm;

// THP usable: /sys/kernel/mm/transparent_hugepage/enabled is not "[never]".
static bool thp_usable() {
  FILE *f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (f == nullptr) return false;
  char buf[128] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  return n > 0 && std::strstr(buf, "[never]") == nullptr;
}

Test(real_collapse, refuses_ranges_not_of_whole_hugepages) {
  RealOs os;
  uintptr_t a = os.reserve(4u << 20);
  cr_assert_neq(a, 0u);
  errno = 77;
  cr_assert_eq(os.collapse(a + 4096, 2u << 20), CollapseResult::kUnsupported, "unaligned start");
  cr_assert_eq(os.collapse(a, 4096), CollapseResult::kUnsupported, "not a whole hugepage");
  cr_assert_eq(os.collapse(0, 2u << 20), CollapseResult::kUnsupported, "null");
  cr_assert_eq(errno, 77, "errno is preserved");
}

Test(real_collapse, keeps_the_bytes_of_an_advised_hugepage) {
  RealOs os;
  uintptr_t a = os.reserve(2u << 20);
  cr_assert_neq(a, 0u);
  char *p = reinterpret_cast<char *>(a);
  for (size_t i = 0; i < (2u << 20); i += 8192) p[i] = static_cast<char>(i / 8192 + 1);
  bool advised = os.advise_thp(a, 2u << 20);
  bool collapsed = advised && os.collapse(a, 2u << 20) == CollapseResult::kDone;
  // A kernel before 6.1, THP off or no free huge page refuses; the bytes stay either way.
  if (thp_usable() && advised) cr_log_info("collapse: %s", collapsed ? "done" : "refused");
  for (size_t i = 0; i < (2u << 20); i += 8192)
    cr_assert_eq(p[i], static_cast<char>(i / 8192 + 1), "byte %zu", i);
  cr_assert_eq(p[4096], 0, "a page never written reads as zero");
}
