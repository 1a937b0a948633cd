// pal/hugepage_info_libhugetlbfs.cc: huge page discovery through libhugetlbfs, for hpmm-sim.
//
// libhugetlbfs allocates, reads HUGETLB_* environment variables and runs a constructor when it
// is loaded, none of which a malloc may do; so this file is left out of libhpmm.so (the Makefile
// filters out pal/*_libhugetlbfs.cc there) and only the simulator and the tests link it.
#include <cstddef>

#include "pal/errno_guard.hpp"
#include "pal/hugepage_info.hpp"

extern "C" {
#include <hugetlbfs.h>  // not C++-aware: no extern "C" of its own, needs size_t declared first
}

namespace hpmm::pal {

HugePageInfo discover_with_libhugetlbfs() {
  ErrnoGuard keep_errno;
  HugePageInfo info;
  // getpagesizes lists the base page size first, then the huge page sizes.
  long sizes[kMaxHugePageSizes + 1];
  int n = getpagesizes(sizes, kMaxHugePageSizes + 1);
  long base = n > 0 ? sizes[0] : -1;
  info.base_page_size = Bytes(base > 0 ? static_cast<uint64_t>(base) : 0);

  long deflt = gethugepagesize();  // -1 (errno ENOSYS) without hugetlb support
  info.default_huge_page_size = Bytes(deflt > 0 ? static_cast<uint64_t>(deflt) : 0);

  n = gethugepagesizes(sizes, kMaxHugePageSizes);
  for (int i = 0; i < n && info.npools < kMaxHugePageSizes; ++i) {
    if (sizes[i] <= 0) continue;
    info.pools[info.npools++].page_size = Bytes(static_cast<uint64_t>(sizes[i]));
  }
  detail::sort_pools(&info);

  for (int i = 0; i < info.npools; ++i) {
    HugetlbPool &p = info.pools[i];
    const char *mount = hugetlbfs_find_path_for_size(static_cast<long>(p.page_size.value));
    if (mount == nullptr || mount[0] == '\0') continue;
    size_t len = 0;
    while (mount[len] != '\0' && len + 1 < sizeof(p.mount_path)) {
      p.mount_path[len] = mount[len];
      ++len;
    }
    p.mount_path[len] = '\0';
    p.has_mount = mount[len] == '\0';  // a path too long to keep is treated as no mount
    if (!p.has_mount) p.mount_path[0] = '\0';
  }

  const SysPaths paths;
  detail::read_pool_counts(paths, &info);
  detail::read_thp(paths, &info);
  return info;
}

}  // namespace hpmm::pal
