// heap/os_source.hpp: what the page heap needs from the operating system, as a concept, so the
// same heap runs on real memory (heap/real_os.hpp, through pal/) or on a test double that counts
// calls and controls time (tests/heap).
//
// Contract of an Os o (addresses and lengths are multiples of 8 KiB; hugepage calls take 2 MiB
// aligned addresses):
//   o.reserve(n)          n bytes (a multiple of 2 MiB) of 2 MiB aligned address space, readable
//                         and writable, untouched (reads as zero, not resident); 0 on failure
//   o.advise_thp(a, n)    ask for transparent huge pages on [a, a+n); false if refused
//   o.map_hugetlb(a)      put a page of the hugetlbfs pool at [a, a+2 MiB) (zeroed); false when
//                         the pool has none, leaving the range as it was
//   o.unmap_hugetlb(a)    give that pool page back; the range becomes untouched plain memory
//                         again (not THP-advised); false on failure
//   o.decommit(a, n)      drop the pages of [a, a+n) (they read as zero afterwards, RSS falls)
//   o.move_hugepage(f, t) move the memory of the plain or THP hugepage at f (bytes and
//                         residency, nothing copied or faulted) to the hugepage at t, which
//                         takes f's THP advice; f stays reserved with its advice, reading as
//                         zero, not resident; false when refused, both left as they were
//   o.map_fresh(a)        map fresh, untouched memory (not THP-advised) over the plain or THP
//                         hugepage at a, so that the range joins its neighbouring mapping again
//                         (pages dropped, RSS falls); false on failure, the range left as it was
//   o.collapse(a, n)      make the THP-advised, 2 MiB aligned [a, a+n) transparent huge pages now
//                         (MADV_COLLAPSE): contents kept, missing pages zero; kDone, kRefused
//                         (no huge page free now: EAGAIN, ENOMEM, EBUSY) or kUnsupported (the
//                         kernel has no MADV_COLLAPSE, or THP is off for the process: EINVAL,
//                         EPERM; asking again would fail the same way); the range left as it was
//                         unless kDone
//   o.max_mappings()      how many mappings the process may have (vm.max_map_count)
//   o.map_meta(n)         n bytes of zeroed memory for metadata (never given back); nullptr on
//                         failure
//   o.now_ns()            a monotonic clock
// None may allocate with malloc or change errno.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace hpmm {

enum class CollapseResult : uint8_t { kDone, kRefused, kUnsupported };

template <class O>
concept HeapOs = requires(O &o, uintptr_t a, size_t n) {
  { o.reserve(n) } -> std::same_as<uintptr_t>;
  { o.advise_thp(a, n) } -> std::same_as<bool>;
  { o.map_hugetlb(a) } -> std::same_as<bool>;
  { o.unmap_hugetlb(a) } -> std::same_as<bool>;
  { o.decommit(a, n) } -> std::same_as<bool>;
  { o.move_hugepage(a, a) } -> std::same_as<bool>;
  { o.map_fresh(a) } -> std::same_as<bool>;
  { o.collapse(a, n) } -> std::same_as<CollapseResult>;
  { o.max_mappings() } -> std::same_as<uint64_t>;
  { o.map_meta(n) } -> std::same_as<void *>;
  { o.now_ns() } -> std::same_as<uint64_t>;
};

}  // namespace hpmm
