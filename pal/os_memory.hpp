// pal/os_memory.hpp: the malloc's interface to the kernel's memory calls.
//
// Everything here is allocation-free, callable before constructors run, and leaves errno as it
// found it (each entry holds an ErrnoGuard); a failure is reported in the return value as the
// errno value that explains it:
//   EINVAL  an argument is wrong (zero size, alignment not a power of two, range not aligned);
//   ENOMEM  the kernel has no memory or address space for it (for hugetlb: the pool is short).
//
// Life of a range, Go-runtime style:  reserve_aligned (address space, MAP_NORESERVE)  ->
// commit (make it read-write, if it was reserved PROT_NONE)  ->  populate (optional prefault)  ->
// decommit (MADV_DONTNEED: RSS drops now, the range stays mapped and reads back as zeros)  ->
// unmap.  Huge pages: madvise_hugepage asks THP for an aligned range; map_hugetlb takes pages
// from the hugetlb pool and fails with ENOMEM, never SIGBUS later, when the pool is short.
//
// hugetlb and decommit (measured on Linux 6.18; MADV_DONTNEED on hugetlb needs Linux >= 5.18):
// decommit_hugetlb frees whole huge pages back to the pool (free_hugepages rises, the process's
// Private_Hugetlb falls), but a private mapping keeps its reservation (resv_hugepages rises too),
// so the pages stay promised to this mapping until unmap; a partial huge page at the end is
// silently kept by the kernel, which is why decommit_hugetlb insists on whole pages.  To hand
// pages to other processes, unmap the range.
#pragma once

#include <cstdint>

#include "base/units.hpp"

namespace hpmm::pal {

// The largest size or alignment accepted: the x86-64 user address space (47 bits).
inline constexpr uint64_t kMaxMapBytes = uint64_t{1} << 47;

// ok() == (ptr != nullptr); when !ok(), error is the errno value that explains it.
struct MapResult {
  void *ptr = nullptr;
  int error = 0;
  bool ok() const { return ptr != nullptr; }
};

enum class Access : uint8_t { kNone, kReadWrite };

// The kernel's base page size (AT_PAGESZ), 4 KiB on x86-64.
Bytes base_page_size();

// Anonymous private address space of `size` bytes (rounded up to the base page) whose start is a
// multiple of `alignment` (a power of two; values below the base page mean the base page).  The
// mapping is MAP_NORESERVE: nothing is charged or backed until touched.  Over-maps by
// alignment - page and trims both ends, so the result is exactly one mapping.
MapResult reserve_aligned(Bytes size, Bytes alignment, Access access);

// Makes [p, p + size) readable and writable (mprotect).  p: base-page aligned.
int commit(void *p, Bytes size);

// Backs every page of [p, p + size) now, writable: MADV_POPULATE_WRITE (Linux >= 5.14), or where
// the kernel lacks it, one atomic read-modify-write of zero per base page (contents unchanged).
// EINVAL if the range is not writable (e.g. reserved kNone and not committed).
int populate(void *p, Bytes size);

// Drops the pages of [p, p + size) (MADV_DONTNEED): RSS falls at once, the range stays mapped
// and reads back as zeros.  p: base-page aligned.  Not for hugetlb ranges: see decommit_hugetlb.
int decommit(void *p, Bytes size);

// Asks for transparent huge pages on [p, p + size) (MADV_HUGEPAGE).  Only 2 MiB-aligned whole
// 2 MiB blocks inside the range can become huge pages.
int madvise_hugepage(void *p, Bytes size);

// Makes the 2 MiB blocks of the THP-advised [p, p + size) transparent huge pages now
// (MADV_COLLAPSE, Linux >= 6.1): their contents are kept, missing pages read as zero.  p and size:
// multiples of 2 MiB.  EINVAL on a kernel without it; EAGAIN/ENOMEM when no huge page could be had.
int collapse_hugepages(void *p, Bytes size);

// `size` bytes (a multiple of the huge page) from the hugetlb pool of `page` (k2M or k1G), at an
// address that is a multiple of max(page, alignment).  No MAP_NORESERVE: the pages are reserved
// at mmap time, so a short pool gives ENOMEM here rather than SIGBUS on first touch.  EINVAL also
// when the kernel has no pool of that size.  With `prefault`, every page is populated now.
MapResult map_hugetlb(Bytes size, PageSize page, Bytes alignment, bool prefault);

// Returns the whole huge pages of [p, p + size) to the pool (see the note at the top).  p and
// size: multiples of bytes_of(page).
int decommit_hugetlb(void *p, Bytes size, PageSize page);

// munmap.  p: base-page aligned.
int unmap(void *p, Bytes size);

// The process's memory from /proc/self/smaps_rollup, read into a fixed buffer.
struct MemoryUsage {
  Bytes rss;        // Rss: resident pages (hugetlb pages are not counted here)
  Bytes anonymous;  // Anonymous
  Bytes anon_huge;  // AnonHugePages: anonymous memory mapped by PMD-size THP
  Bytes hugetlb;    // Private_Hugetlb + Shared_Hugetlb
};
int read_memory_usage(MemoryUsage *out);  // 0, or the errno value of the failed read
Bytes rss_bytes();                        // 0 if smaps_rollup cannot be read
Bytes anon_huge_bytes();                  // 0 if smaps_rollup cannot be read

// Bytes of [p, p + size) currently mapped by huge pages: PMD-mapped THP or hugetlb pages (a THP
// split into 4 KiB mappings no longer counts).  Exact through the PAGEMAP_SCAN ioctl (Linux >=
// 6.7); otherwise from /proc/self/smaps (AnonHugePages + *_Hugetlb of each overlapping mapping,
// each clamped to its overlap with the range: exact when the range covers whole mappings, an
// upper bound otherwise).  0 or the errno value.
int huge_mapped_bytes(const void *p, Bytes size, Bytes *out);

namespace detail {
// reserve_aligned with the choice of MAP_NORESERVE: without it the kernel charges the whole size
// to the commit limit at once, so an impossible size fails here (the frame provider wants that).
MapResult map_aligned(Bytes size, Bytes alignment, Access access, bool noreserve);
// The two ways of huge_mapped_bytes, exposed so that tests can compare them.  0 or errno value;
// the pagemap one gives ENOTTY/EINVAL on kernels without PAGEMAP_SCAN.
int huge_bytes_pagemap(const void *p, Bytes size, Bytes *out);
int huge_bytes_smaps(const void *p, Bytes size, Bytes *out);
// The fallback of populate(), exposed so that tests exercise it on kernels that do not need it.
void touch_pages(void *p, Bytes size);
}  // namespace detail

}  // namespace hpmm::pal
