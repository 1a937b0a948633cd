// pal/alloc_os_memory.hpp: the memory calls the malloc needs beyond pal/os_memory.hpp: putting a
// hugetlb page at an address the heap already reserved, giving it back, and the fork child's
// copy of such pages.
//
// Same rules as os_memory: allocation-free, callable before constructors run, errno preserved;
// results are 0 or the errno value that explains the failure.  Addresses and sizes are
// multiples of 2 MiB.
//   map_hugetlb_at(p)       takes one 2 MiB page from the hugetlb pool (reserved at once: ENOMEM
//                           now when the pool is short, never SIGBUS later) and moves it to p,
//                           replacing what was mapped there (mremap, so p is never left
//                           unmapped); on failure p is unchanged.  The page is MADV_DONTFORK:
//                           a fork child does not inherit it (the shim copies it instead).
//   replace_with_plain(p,n) maps fresh private anonymous MAP_NORESERVE memory over [p, p + n):
//                           a hugetlb page there goes back to the pool.
//   copy_readable(d, s, n)  copies up to n bytes from s to d, stopping at the first unreadable
//                           page instead of faulting (process_vm_readv on this process); returns
//                           the bytes copied.  For realloc of a block of unknown size that hpmm
//                           did not give out.
#pragma once

#include <cstdint>

#include "base/units.hpp"

namespace hpmm::pal {

int map_hugetlb_at(void *p);
int replace_with_plain(void *p, Bytes size);
// Moves the pages mapped at [from, from + size) to [to, to + size) (mremap MREMAP_FIXED: whatever
// was mapped at `to` goes; nothing is copied).  Addresses and size: multiples of 2 MiB (else
// EINVAL).  0, or the errno value.
int move_mapping(void *from, void *to, Bytes size);
// The same, but [from, from + size) stays mapped with its flags (THP advice included), empty:
// it reads as zero and is not resident (MREMAP_DONTUNMAP, Linux 5.13 for any private anonymous
// memory).  A transparent huge page moves whole (its page table entry is moved: no copy, no
// fault, no zeroing).  On failure both ranges are unchanged.
int move_pages_keep_source(void *from, void *to, Bytes size);
uint64_t copy_readable(void *dst, const void *src, Bytes n);

// CLOCK_MONOTONIC_COARSE in nanoseconds: the kernel's tick-granular clock (a few ms), read from
// the vDSO without a timer read, several times cheaper than now_ns().  Monotonic; for the heap's
// release delay, where milliseconds do not matter.
uint64_t coarse_now_ns();

// Whether the page holding p is mapped (mincore; errno preserved).
bool is_mapped(const void *p);

}  // namespace hpmm::pal
