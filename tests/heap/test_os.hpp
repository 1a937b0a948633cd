// tests/heap/test_os.hpp: an Os for the heap's tests: real anonymous memory (so objects can be
// written), a clock the test moves by hand, a simulated hugetlbfs pool of `pool` pages, and
// counters of every call, so tests can see what the heap asked of the OS.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "heap/os_source.hpp"

struct TestOs {
  uint64_t clock = 1'000'000'000;
  uint64_t pool = 0;  // simulated hugetlb pages available
  uint64_t reserves = 0, thp_advised = 0, hugetlb_maps = 0, hugetlb_unmaps = 0;
  uint64_t decommits = 0, decommitted_bytes = 0, meta_bytes = 0, moves = 0, fresh_maps = 0;
  uint64_t collapses = 0, collapsed_bytes = 0, collapse_calls = 0;
  // What collapse() answers: kDone; kRefused (no huge page free); kUnsupported (a kernel older
  // than 6.1).
  hpmm::CollapseResult collapse_answer = hpmm::CollapseResult::kDone;
  uint64_t mappings = 65530;  // max_mappings()
  bool refuse_moves = false;  // move_hugepage() fails (as on a kernel without MREMAP_DONTUNMAP)
  uint64_t fail_reserve_above = UINT64_MAX;  // reserve() of more bytes fails

  uintptr_t reserve(size_t n) {
    if (n > fail_reserve_above) return 0;
    size_t align = 2u << 20;
    void *p = mmap(nullptr, n + align, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return 0;
    uintptr_t a = (reinterpret_cast<uintptr_t>(p) + align - 1) & ~(align - 1);
    ++reserves;
    return a;  // the slack stays mapped: a test's address space is not scarce
  }
  bool advise_thp(uintptr_t, size_t) { return ++thp_advised, true; }
  hpmm::CollapseResult collapse(uintptr_t, size_t n) {
    ++collapse_calls;
    if (collapse_answer != hpmm::CollapseResult::kDone) return collapse_answer;
    ++collapses;
    collapsed_bytes += n;
    return collapse_answer;
  }
  bool map_hugetlb(uintptr_t) {
    if (pool == 0) return false;
    --pool;
    ++hugetlb_maps;
    return true;
  }
  bool unmap_hugetlb(uintptr_t a) {
    ++pool;
    ++hugetlb_unmaps;
    return decommit(a, 2u << 20);
  }
  bool decommit(uintptr_t a, size_t n) {
    ++decommits;
    decommitted_bytes += n;
    return madvise(reinterpret_cast<void *>(a), n, MADV_DONTNEED) == 0;
  }
  bool move_hugepage(uintptr_t from, uintptr_t to) {
    if (refuse_moves) return false;
    ++moves;
    size_t n = 2u << 20;
    void *r =
        mremap(reinterpret_cast<void *>(from), n, n,
               MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, reinterpret_cast<void *>(to));
    return r != MAP_FAILED;
  }
  bool map_fresh(uintptr_t a) {
    ++fresh_maps;
    void *r = mmap(reinterpret_cast<void *>(a), 2u << 20, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return r != MAP_FAILED;
  }
  uint64_t max_mappings() { return mappings; }
  void *map_meta(size_t n) {
    void *p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    meta_bytes += n;
    return p;
  }
  uint64_t now_ns() { return clock; }
};
static_assert(hpmm::HeapOs<TestOs>);

// How many of the 4 KiB pages of [a, a + bytes) are resident (mincore); SIZE_MAX if it fails.
inline size_t resident_pages(uintptr_t a, size_t bytes) {
  size_t n = bytes / 4096, r = 0;
  std::vector<unsigned char> v(n);
  if (mincore(reinterpret_cast<void *>(a), bytes, v.data()) != 0) return SIZE_MAX;
  for (unsigned char c : v) r += c & 1;
  return r;
}
