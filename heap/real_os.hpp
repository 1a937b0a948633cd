// heap/real_os.hpp: the page heap's Os on the real kernel, through pal/ (the only layer that
// makes system calls).  Satisfies HeapOs (heap/os_source.hpp): allocation-free, errno preserved.
//   reserve      MAP_NORESERVE read-write address space, 2 MiB aligned (nothing resident)
//   advise_thp   MADV_HUGEPAGE;  decommit  MADV_DONTNEED (RSS falls at once)
//   collapse     MADV_COLLAPSE (Linux >= 6.1; kUnsupported, and the heap goes on, on older kernels)
//   move_hugepage  mremap MREMAP_DONTUNMAP (a THP moves by its page table entry)
//   map_hugetlb  a pool page moved onto the reserved hugepage; unmap_hugetlb  plain memory over
//                it (the page goes back to the pool)
//   map_fresh    MAP_FIXED anonymous memory over the hugepage (what unmap_hugetlb does too)
//   max_mappings /proc/sys/vm/max_map_count (65530, the kernel's default, if unreadable)
//   map_meta     MAP_NORESERVE memory for metadata (touched only as used)
//   now_ns       the coarse monotonic clock (tick granular: the release delay is milliseconds)
#pragma once

#include <cerrno>
#include <cstdint>

#include "heap/os_source.hpp"
#include "pal/alloc_os_memory.hpp"
#include "pal/os_memory.hpp"
#include "pal/proc_text.hpp"

namespace hpmm {

struct RealOs {
  uintptr_t reserve(size_t n) {
    pal::MapResult m =
        pal::reserve_aligned(Bytes(n), Bytes(uint64_t{2} << 20), pal::Access::kReadWrite);
    return m.ok() ? reinterpret_cast<uintptr_t>(m.ptr) : 0;
  }
  bool advise_thp(uintptr_t a, size_t n) {
    return pal::madvise_hugepage(reinterpret_cast<void *>(a), Bytes(n)) == 0;
  }
  CollapseResult collapse(uintptr_t a, size_t n) {
    switch (pal::collapse_hugepages(reinterpret_cast<void *>(a), Bytes(n))) {
      case 0:
        return CollapseResult::kDone;
      case EAGAIN:
      case ENOMEM:
      case EBUSY:
        return CollapseResult::kRefused;
      default:  // EINVAL (no MADV_COLLAPSE, THP disabled for the process or range), EPERM
        return CollapseResult::kUnsupported;
    }
  }
  bool map_hugetlb(uintptr_t a) { return pal::map_hugetlb_at(reinterpret_cast<void *>(a)) == 0; }
  bool unmap_hugetlb(uintptr_t a) { return map_fresh(a); }
  bool decommit(uintptr_t a, size_t n) {
    return pal::decommit(reinterpret_cast<void *>(a), Bytes(n)) == 0;
  }
  bool move_hugepage(uintptr_t from, uintptr_t to) {
    return pal::move_pages_keep_source(reinterpret_cast<void *>(from), reinterpret_cast<void *>(to),
                                       Bytes(uint64_t{2} << 20)) == 0;
  }
  bool map_fresh(uintptr_t a) {
    return pal::replace_with_plain(reinterpret_cast<void *>(a), Bytes(uint64_t{2} << 20)) == 0;
  }
  uint64_t max_mappings() {
    uint64_t v = 0;
    return pal::read_u64_file("/proc/sys/vm/max_map_count", &v) && v != 0 ? v : 65530;
  }
  void *map_meta(size_t n) {
    pal::MapResult m = pal::reserve_aligned(Bytes(n), Bytes(4096), pal::Access::kReadWrite);
    return m.ptr;
  }
  uint64_t now_ns() { return pal::coarse_now_ns(); }
};
static_assert(HeapOs<RealOs>);

}  // namespace hpmm
