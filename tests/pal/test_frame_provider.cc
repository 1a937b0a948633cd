// tests/pal/test_frame_provider.cc: the simulator's frame pool: each backing, the fallback chain
// and its reasons, prefaulting, bad sizes.
#include <criterion/criterion.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "pal/frame_provider.hpp"
#include "pal/hugepage_info.hpp"
#include "pal/os_memory.hpp"

using namespace hpmm;
using namespace hpmm::pal;

namespace {

constexpr Bytes k1TiB(uint64_t{1} << 40);

uintptr_t addr(const void *p) {
  return reinterpret_cast<uintptr_t>(p);
}
bool has(const char *haystack, const char *needle) {
  return std::strstr(haystack, needle);
}

MemoryUsage usage() {
  MemoryUsage u;
  cr_assert_eq(read_memory_usage(&u), 0);
  return u;
}

ReserveOptions opts(Backing b, bool strict = false, bool prefault = false,
                    PageSize hp = PageSize::k2M) {
  ReserveOptions o;
  o.backing = b;
  o.strict = strict;
  o.prefault = prefault;
  o.huge_page = hp;
  return o;
}

// A machine with no hugetlb and THP never: only plain can work.
HugePageInfo bare_machine() {
  HugePageInfo info;
  info.base_page_size = base_page_size();
  info.thp_enabled = info.thp_pmd_enabled = ThpMode::kNever;
  return info;
}

bool thp_usable(const HugePageInfo &info) {
  return info.thp_pmd_enabled == ThpMode::kAlways || info.thp_pmd_enabled == ThpMode::kMadvise;
}

}  // namespace

Test(frame_provider, plain_is_zero_filled_and_rounded_to_the_page) {
  const Bytes ask = 10_MiB + Bytes(1);
  FrameReservation r = reserve(ask, opts(Backing::kPlain, /*strict=*/true));
  cr_assert(r.ok(), "%s", r.reason());
  cr_assert(r.valid());
  cr_assert_eq(r.backing(), Backing::kPlain);
  cr_assert_eq(r.size(), 10_MiB + 4_KiB, "rounded up to the base page");
  cr_assert_eq(r.plain_bytes(), r.size());
  cr_assert_eq(r.page_size(), PageSize::k4K);
  auto *b = static_cast<unsigned char *>(r.base());
  for (uint64_t off = 0; off < r.size().value; off += 1024) cr_assert_eq(b[off], 0, "off %lu", off);
  std::memset(b, 1, r.size().value);
  cr_assert(has(r.reason(), "plain: 4KB pages"), "%s", r.reason());
  const Description d = r.describe();
  cr_assert_str_eq(d.c_str(), "plain: 10244 KiB (not populated yet)");
}

Test(frame_provider, prefault_raises_rss_before_any_access) {
  const MemoryUsage before = usage();
  FrameReservation r = reserve(32_MiB, opts(Backing::kPlain, true, /*prefault=*/true));
  cr_assert(r.ok(), "%s", r.reason());
  const MemoryUsage after = usage();
  cr_assert(after.rss.value >= before.rss.value + (30_MiB).value, "rss %lu -> %lu MiB",
            before.rss.value >> 20, after.rss.value >> 20);
  cr_assert(r.populated());
  cr_assert_eq(r.thp_bytes().value, 0u, "plain asks MADV_NOHUGEPAGE: no huge pages");
  cr_assert(has(r.reason(), "prefaulted"), "%s", r.reason());
  cr_assert(r.valid());
}

Test(frame_provider, thp_reservation_is_aligned_and_advised) {
  HugePageInfo info = discover_raw();
  if (!thp_usable(info)) cr_skip("THP for the PMD size is %s", name_of(info.thp_pmd_enabled));
  FrameReservation r = reserve(15_MiB, opts(Backing::kThp, true, /*prefault=*/true));
  cr_assert(r.ok(), "%s", r.reason());
  cr_assert(r.valid());
  cr_assert_eq(r.backing(), Backing::kThp);
  cr_assert_eq(r.size(), 16_MiB, "rounded up to 2 MiB");
  cr_assert_eq(addr(r.base()) % (2_MiB).value, 0u, "2 MiB aligned");
  cr_assert(has(r.reason(), "using madvise(MADV_HUGEPAGE)"), "%s", r.reason());
  cr_assert_eq((r.thp_bytes() + r.plain_bytes()), r.size());
  // AnonHugePages may legitimately be 0 under fragmentation: print what was obtained.
  const Description d = r.describe();
  cr_log_info("%s  [%s]", d.c_str(), r.reason());
  std::memset(r.base(), 3, r.size().value);
  cr_assert_eq(r.measure(), 0);
  cr_assert(r.valid());
}

Test(frame_provider, hugetlb_from_the_pool) {
  HugePageInfo info = discover_raw();
  const HugetlbPool *pool = info.pool(2_MiB);
  if (pool == nullptr) cr_skip("no 2MB hugetlb pool on this kernel");
  if (pool->available() < 2) {
    cr_skip("hugetlb 2MB pool has %lu available pages, need 2 (set vm.nr_hugepages to run this)",
            pool->available());
  }
  const MemoryUsage before = usage();
  FrameReservation r = reserve(3_MiB, opts(Backing::kHugetlb, true, /*prefault=*/true), info);
  if (!r.ok() && r.error() == ENOMEM) cr_skip("pool taken meanwhile: %s", r.reason());
  cr_assert(r.ok(), "%s", r.reason());
  cr_assert(r.valid());
  cr_assert_eq(r.backing(), Backing::kHugetlb);
  cr_assert_eq(r.size(), 4_MiB, "rounded up to whole huge pages");
  cr_assert_eq(r.hugetlb_bytes(), 4_MiB);
  cr_assert_eq(usage().hugetlb.value, before.hugetlb.value + (4_MiB).value, "prefault mapped both");
  const Description d = r.describe();
  cr_assert_str_eq(d.c_str(), "hugetlb 2MB: 4 MiB");
  cr_assert(has(r.reason(), "hugetlb 2MB: 2 pages from the pool"), "%s", r.reason());
  std::memset(r.base(), 5, r.size().value);
  r.release();
  cr_assert(!r.ok());
  cr_assert_eq(usage().hugetlb, before.hugetlb, "release gives the pages back");
}

Test(frame_provider, strict_hugetlb_beyond_the_pool_fails_naming_it) {
  errno = 0;
  FrameReservation r = reserve(k1TiB, opts(Backing::kHugetlb, /*strict=*/true));
  cr_assert(!r.ok());
  cr_assert(r.valid());
  cr_assert(r.error() == ENOMEM || r.error() == EINVAL);
  cr_assert(has(r.reason(), "hugetlb 2MB"), "%s", r.reason());
  if (discover_raw().pool(2_MiB) != nullptr) {
    cr_assert(has(r.reason(), "hugetlb 2MB pool has "), "%s", r.reason());
    cr_assert(has(r.reason(), "need 524288"), "%s", r.reason());
  }
  cr_assert(!has(r.reason(), "THP"), "strict must not fall back: %s", r.reason());
  cr_log_info("%s", r.reason());
}

Test(frame_provider, auto_falls_back_with_the_reason) {
  HugePageInfo info = discover_raw();
  const HugetlbPool *pool = info.pool(2_MiB);
  const uint64_t avail = pool == nullptr ? 0 : pool->available();
  if (avail + 1 > 512) cr_skip("the 2MB pool has %lu pages: too big to exceed cheaply", avail);
  const Bytes size = 2_MiB * (avail + 1);
  FrameReservation r = reserve(size, ReserveOptions{}, info);
  cr_assert(r.ok(), "%s", r.reason());
  cr_assert(r.valid());
  cr_assert_neq(r.backing(), Backing::kHugetlb);
  cr_assert(has(r.reason(), "hugetlb 2MB"), "%s", r.reason());
  cr_assert_eq(r.backing(), thp_usable(info) ? Backing::kThp : Backing::kPlain, "%s", r.reason());
  cr_assert(has(r.reason(), thp_usable(info) ? "; THP " : "; plain: "), "%s", r.reason());
  const Description d = r.describe();
  cr_log_info("auto, %lu MiB: %s  [%s]", size.value >> 20, d.c_str(), r.reason());
}

Test(frame_provider, made_up_machine_without_huge_pages_gets_plain) {
  HugePageInfo info = bare_machine();
  FrameReservation r = reserve(4_MiB, ReserveOptions{}, info);
  cr_assert(r.ok(), "%s", r.reason());
  cr_assert_eq(r.backing(), Backing::kPlain);
  cr_assert_str_eq(r.reason(),
                   "hugetlb 2MB: no pool of that size on this kernel; THP never: no transparent "
                   "huge pages; plain: 4KB pages, madvise(MADV_NOHUGEPAGE)");
  const Description d = r.describe();
  cr_assert_str_eq(d.c_str(), "plain: 4 MiB (not populated yet)");

  FrameReservation s = reserve(4_MiB, opts(Backing::kThp, /*strict=*/true), info);
  cr_assert(!s.ok());
  cr_assert_eq(s.error(), EINVAL);
  cr_assert_str_eq(s.reason(), "THP never: no transparent huge pages");
  cr_assert(s.valid());
}

Test(frame_provider, thp_notes_that_it_has_no_1g_pages) {
  HugePageInfo info = discover_raw();
  if (!thp_usable(info)) cr_skip("THP for the PMD size is %s", name_of(info.thp_pmd_enabled));
  info.npools = 0;  // force the fallback from hugetlb 1GB
  FrameReservation r = reserve(4_MiB, opts(Backing::kAuto, false, false, PageSize::k1G), info);
  cr_assert(r.ok(), "%s", r.reason());
  cr_assert_eq(r.backing(), Backing::kThp);
  cr_assert(has(r.reason(), "hugetlb 1GB: no pool of that size"), "%s", r.reason());
  cr_assert(has(r.reason(), "THP has 2MB pages only"), "%s", r.reason());
}

Test(frame_provider, bad_sizes_and_options_give_clear_errors) {
  FrameReservation z = reserve(Bytes(0), ReserveOptions{});
  cr_assert(!z.ok() && z.error() == EINVAL && z.valid());
  cr_assert_str_eq(z.reason(), "size 0: nothing to reserve");
  const Description dz = z.describe();
  cr_assert_str_eq(dz.c_str(), "none: EINVAL");

  FrameReservation huge = reserve(Bytes(uint64_t{1} << 62), ReserveOptions{});
  cr_assert(!huge.ok() && huge.error() == ENOMEM && huge.valid());
  cr_assert_str_eq(huge.reason(),
                   "size 4611686018427387904 bytes exceeds the 128 TiB user address space");

  FrameReservation a = reserve(2_MiB, opts(Backing::kAuto, /*strict=*/true));
  cr_assert(!a.ok() && a.error() == EINVAL);
  cr_assert(has(a.reason(), "strict needs backing"), "%s", a.reason());

  FrameReservation k = reserve(2_MiB, opts(Backing::kHugetlb, false, false, PageSize::k4K));
  cr_assert(!k.ok() && k.error() == EINVAL);
  cr_assert(has(k.reason(), "huge_page 4k"), "%s", k.reason());
}

Test(frame_provider, size_beyond_memory_fails_at_reserve_time) {
  std::ifstream f("/proc/sys/vm/overcommit_memory");
  int mode = -1;
  f >> mode;
  if (mode == 1) cr_skip("vm.overcommit_memory is 1: the kernel accepts any size at mmap");
  FrameReservation r = reserve(k1TiB * 64, opts(Backing::kPlain, /*strict=*/true));
  cr_assert(!r.ok());
  cr_assert_eq(r.error(), ENOMEM);
  cr_assert_str_eq(r.reason(), "plain: mmap of 64 TiB failed: ENOMEM");
}

Test(frame_provider, move_and_release) {
  FrameReservation a = reserve(1_MiB, opts(Backing::kPlain, true));
  cr_assert(a.ok());
  void *base = a.base();
  FrameReservation b = std::move(a);
  cr_assert(!a.ok() && a.valid());
  cr_assert(b.ok() && b.base() == base && b.valid());
  b.release();
  cr_assert(!b.ok() && b.valid());
  b.release();  // twice is fine
  const Description d = b.describe();
  cr_assert_str_eq(d.c_str(), "none: released");
  cr_assert_eq(b.measure(), EINVAL);
}
