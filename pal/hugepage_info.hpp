// pal/hugepage_info.hpp: what huge pages this machine offers (hugetlb pools, THP, base page).
//
// HugePageInfo is a fixed-size value (no heap members), so the malloc can fill one on its stack
// before constructors run.  Two functions fill it:
//   discover_raw()                 allocation-free (open/read/getdents64/statfs into fixed
//                                  buffers), errno preserved; for libhpmm.
//   discover_with_libhugetlbfs()   sizes and mounts from libhugetlbfs (gethugepagesizes,
//                                  hugetlbfs_find_path_for_size); for hpmm-sim.  It lives in
//                                  hugepage_info_libhugetlbfs.cc, which libhpmm.so does not link.
// Both read the pool counts and the THP settings from sysfs the same way.  Absent files mean
// "not supported": a kernel without hugetlb gives npools == 0, one without THP gives kUnsupported.
//
// Invariants (valid()):
//   base_page_size is a power of two >= 4 KiB;  0 <= npools <= kMaxHugePageSizes;
//   pools[0..npools) have power-of-two page sizes > base_page_size, strictly ascending;
//   default_huge_page_size == 0 or equals some pools[i].page_size;
//   pools[i].has_mount == (pools[i].mount_path[0] != '\0');
//   thp_enabled == kUnsupported  =>  thp_pmd_enabled == kUnsupported.
// The counts of one pool are read from separate sysfs files one after the other, so they are a
// near-snapshot, not an atomic one: no relation between them is asserted.
#pragma once

#include <cstdint>

#include "base/units.hpp"

namespace hpmm::pal {

inline constexpr int kMaxHugePageSizes = 8;  // x86-64 has 2; arm64 up to 4; room to spare
inline constexpr int kMaxMountPath = 256;

enum class ThpMode : uint8_t { kUnsupported, kAlways, kMadvise, kNever };
enum class ThpDefrag : uint8_t { kUnsupported, kAlways, kDefer, kDeferMadvise, kMadvise, kNever };
const char *name_of(ThpMode m);    // "always", "madvise", "never", "unsupported"
const char *name_of(ThpDefrag d);  // "always", "defer", "defer+madvise", "madvise", "never", ...

// One hugetlb page size: its pool counts (/sys/kernel/mm/hugepages/hugepages-<N>kB/) and whether
// a hugetlbfs mount serves it.
struct HugetlbPool {
  Bytes page_size;
  uint64_t nr = 0;          // nr_hugepages: pages in the persistent pool
  uint64_t free = 0;        // free_hugepages: not mapped (includes reserved ones)
  uint64_t resv = 0;        // resv_hugepages: free but promised to existing mappings
  uint64_t surplus = 0;     // surplus_hugepages: allocated beyond nr through overcommit
  uint64_t overcommit = 0;  // nr_overcommit_hugepages: limit on surplus
  bool has_mount = false;
  char mount_path[kMaxMountPath] = {};

  // Pages a new private MAP_HUGETLB mapping can still get: the unreserved free ones plus what
  // overcommit may add.  A near-snapshot, as the counts are.
  uint64_t available() const {
    uint64_t unreserved = free > resv ? free - resv : 0;
    return unreserved + (overcommit > surplus ? overcommit - surplus : 0);
  }
};

struct HugePageInfo {
  Bytes base_page_size;
  Bytes default_huge_page_size;  // Hugepagesize of /proc/meminfo; 0 without hugetlb
  int npools = 0;
  HugetlbPool pools[kMaxHugePageSizes];
  ThpMode thp_enabled = ThpMode::kUnsupported;      // transparent_hugepage/enabled
  ThpMode thp_pmd_enabled = ThpMode::kUnsupported;  // effective for PMD-size THP (see below)
  ThpDefrag thp_defrag = ThpDefrag::kUnsupported;   // transparent_hugepage/defrag
  Bytes thp_pmd_size;                               // hpage_pmd_size; 0 without THP

  // The pool of that page size, or nullptr if the kernel has none.
  const HugetlbPool *pool(Bytes page_size) const;
  bool valid() const;
};

// Where discovery reads.  Tests point it at a fake tree to check absent and odd files; everyone
// else uses the defaults.
struct SysPaths {
  const char *hugepages_dir = "/sys/kernel/mm/hugepages";
  const char *thp_dir = "/sys/kernel/mm/transparent_hugepage";
  const char *meminfo = "/proc/meminfo";
  const char *mounts = "/proc/mounts";
};

// Allocation-free, async-signal-safe in style (only open/read/close/getdents64/statfs/access and
// getauxval), errno preserved.  thp_pmd_enabled: kernels with multi-size THP have
// <thp_dir>/hugepages-<pmd>kB/enabled, whose "inherit" means the global setting; without that file
// it is the global setting.
HugePageInfo discover_raw(const SysPaths &paths = SysPaths{});

// For hpmm-sim: huge page sizes (getpagesizes/gethugepagesizes), the default size
// (gethugepagesize) and mounts (hugetlbfs_find_path_for_size) from libhugetlbfs; pool counts and
// THP read as discover_raw() does.  libhugetlbfs allocates and may honour HUGETLB_* variables;
// never call this from the malloc.
HugePageInfo discover_with_libhugetlbfs();

namespace detail {
// Shared by both discoveries: fills the counts of pools[0..npools) from <hugepages_dir>, and the
// THP fields from <thp_dir>.
void read_pool_counts(const SysPaths &paths, HugePageInfo *info);
void read_thp(const SysPaths &paths, HugePageInfo *info);
// Sorts pools ascending by page size and drops duplicates.
void sort_pools(HugePageInfo *info);
}  // namespace detail

}  // namespace hpmm::pal
