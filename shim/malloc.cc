// shim/malloc.cc: the C allocation functions, glibc's __libc_* aliases and malloc's
// introspection calls.  These are (with shim/new_delete.cc and shim/stats.cc) the only exported
// symbols of libhpmm.so (shim/exports.map).
//
// Fast paths: malloc of <= 32 KiB pops the thread cache's list (no lock, no atomic); free reads
// the page map entry and pushes onto the list.  Everything else goes through *_slow.
// Behaviour at the edges (glibc's where glibc defines it; hpmm(3) lists it):
//   malloc(0) and friends return a unique pointer; calloc/reallocarray overflow, and sizes no
//   arena can hold, give NULL with errno ENOMEM; realloc(p, 0) frees p and returns NULL;
//   posix_memalign with an alignment that is not a power of two times sizeof(void *) returns
//   EINVAL; memalign rounds a non-power-of-two alignment up; aligned_alloc refuses one (EINVAL,
//   as glibc >= 2.38 does); pvalloc rounds the size up to the page.
//   Pointers hpmm never gave out and that lie outside its arenas ("foreign": from ld.so's
//   minimal malloc before hpmm took over, or another allocator) are left alone by free (counted
//   in hpmm_stats.foreign_frees); realloc copies what is readable of them into a new block.
//   A pointer inside hpmm's arenas that is not a live object start stops the program
//   (HPMM_CHECK), as does a detected double free.
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/hpmm/hpmm.h"
#include "pal/alloc_os_memory.hpp"
#include "shim/global.hpp"

using namespace hpmm;
using namespace hpmm::shim;

namespace {

constexpr size_t kSysPage = 4096;

__attribute__((noinline)) void *malloc_slow(size_t n) {
  ThreadCache *tc = cache();
  void *p = heap().alloc(n, tc);
  if (p == nullptr) errno = ENOMEM;
  return p;
}

// A pointer outside every arena.  Blocks given out before hpmm took over (ld.so's minimal malloc)
// are left alone and counted; but an address that is not mapped at all, or lies on the calling
// thread's stack (within 8 MiB above its stack pointer), cannot be a heap block: the program is
// stopped, as for any invalid free.
__attribute__((noinline)) void foreign(void *p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  HPMM_CHECK(!(a >= sp && a - sp < (uintptr_t{8} << 20)),
             "free of an invalid pointer: an address on the stack");
  HPMM_CHECK(pal::is_mapped(p), "free of an invalid pointer: an address that is not mapped");
  g_foreign_frees.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

__attribute__((noinline)) void hpmm::shim::free_slow(void *p) {
  if (p == nullptr || !ready()) return;  // nothing was given out yet: p is foreign
  if (!heap().free(p, cache())) foreign(p);
}

namespace {

void *aligned_impl(size_t align, size_t n) {
  void *p = heap().alloc_aligned(n, align, cache());
  if (p == nullptr) errno = ENOMEM;
  return p;
}

// glibc's memalign: small alignments are malloc's; others round up to a power of two.  (malloc
// gives 8-byte objects 8-byte alignment only, so 16 goes through alloc_aligned.)
void *memalign_impl(size_t align, size_t n) {
  if (align <= 8) return malloc(n);
  if (align > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return nullptr;
  }
  if (!is_pow2(align)) align = size_t{1} << (64 - __builtin_clzll(align));
  return aligned_impl(align, n);
}

// realloc of a block hpmm did not give out: its size is unknown, so copy what is readable of
// the new size into a new block (bytes past the old block are indeterminate, as realloc allows).
void *realloc_foreign(void *p, size_t n) {
  foreign(p);
  void *q = malloc(n);
  if (q != nullptr) pal::copy_readable(q, p, Bytes(n));
  return q;
}

// Frees the old copy of a block realloc moved.  A large one's bytes are garbage now, so its pages
// go back to the OS at once instead of staying resident as free pages until their hugepage empties
// (a buffer grown by realloc would otherwise hold its old copies too: bench/alloc's
// realloc_growth peaked at 163 MiB with them, 133 without, in THP mode).  Not below
// kDiscardBytes: such runs are soon reused by the blocks that follow, and each 4 KiB page given
// back costs a page fault then (realloc_growth: 56,000 -> 38,500 faults, system time 0.14 ->
// 0.11 s, peak RSS 106.9 -> 112.1 MiB, glibc's 110.8).
constexpr size_t kDiscardBytes = 96 << 10;
void free_moved(void *p, size_t old) {
  if (old < kDiscardBytes) return free(p);
  heap().free_moved_large(p);
}

void fill_mallinfo2(struct mallinfo2 *mi) {
  ensure_init();
  AllocatorStats st = heap().stats();
  *mi = {};
  uint64_t free_bytes = st.thread_cache_bytes + st.central_free_bytes + st.heap.filler_free_bytes +
                        st.heap.free_resident_bytes;
  mi->arena = st.small_in_use_bytes + free_bytes;  // resident in the heap, outside large objects
  mi->ordblks = st.heap.free_hugepages;
  mi->hblks = st.heap.large_hugepages;
  mi->hblkhd = st.heap.large_bytes;
  mi->uordblks = st.small_in_use_bytes + st.heap.large_bytes;
  mi->fordblks = free_bytes;
  mi->keepcost = st.heap.free_resident_bytes;
}

}  // namespace

extern "C" {

void *malloc(size_t n) noexcept {
  void *p = cache_alloc(n);
  if (__builtin_expect(p != nullptr, 1)) return p;
  return malloc_slow(n);
}

// free(NULL) takes the same path as any pointer: the page map finds no small object there, and
// the allocator's slow path returns at once.
void free(void *p) noexcept {
  free_impl(p);
}

void *calloc(size_t n, size_t size) noexcept {
  size_t bytes;
  if (__builtin_mul_overflow(n, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  ThreadCache *tc = cache();
  void *p = heap().alloc_zeroed(bytes, tc);
  if (p == nullptr) errno = ENOMEM;
  return p;
}

void *realloc(void *p, size_t n) noexcept {
  if (p == nullptr) return malloc(n);
  if (n == 0) {
    free(p);
    return nullptr;
  }
  if (!ready()) return realloc_foreign(p, n);
  size_t old = heap().usable_size(p);
  if (old == 0) {
    HPMM_CHECK(!heap().owns(p),
               "realloc of an invalid pointer: inside the heap but not allocated (or freed)");
    return realloc_foreign(p, n);
  }
  if (n <= old && n > old / 2) return p;  // fits, and not worth moving to a smaller block
  // Only large objects grow in place (from kMovedToPages up; a small object's test is one page
  // map read).  Else the block moves with room to grow by half again, from kMovedToPages up as a
  // large object (Allocator::alloc_moved): a buffer grown by small steps is copied O(log n)
  // times, and bench/alloc realloc_growth copied 122 MiB instead of 880 in its size classes.
  if (n > old && old >= Heap::kMovedToPages && heap().try_grow_in_place(p, n)) return p;
  void *q = heap().alloc_moved(old, n, cache());
  if (q == nullptr) {
    errno = ENOMEM;
    return nullptr;  // p is left as it was
  }
  memcpy(q, p, n < old ? n : old);
  free_moved(p, old);
  return q;
}

void *reallocarray(void *p, size_t n, size_t size) noexcept {
  size_t bytes;
  if (__builtin_mul_overflow(n, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(p, bytes);
}

void *memalign(size_t align, size_t n) noexcept {
  return memalign_impl(align, n);
}

void *aligned_alloc(size_t align, size_t n) noexcept {
  if (!is_pow2(align)) {
    errno = EINVAL;
    return nullptr;
  }
  return memalign_impl(align, n);
}

int posix_memalign(void **out, size_t align, size_t n) noexcept {
  if (align % sizeof(void *) != 0 || !is_pow2(align)) return EINVAL;
  int saved = errno;
  void *p = memalign_impl(align, n);
  errno = saved;
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void *valloc(size_t n) noexcept {
  return memalign_impl(kSysPage, n);
}

void *pvalloc(size_t n) noexcept {
  if (n > SIZE_MAX - kSysPage) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t rounded = n == 0 ? kSysPage : (n + kSysPage - 1) & ~(kSysPage - 1);
  return memalign_impl(kSysPage, rounded);
}

size_t malloc_usable_size(void *p) noexcept {
  if (p == nullptr || !ready()) return 0;
  return heap().usable_size(p);
}

void free_sized(void *p, size_t) noexcept {
  free(p);
}
void free_aligned_sized(void *p, size_t, size_t) noexcept {
  free(p);
}

int malloc_trim(size_t) noexcept {
  ensure_init();
  return heap().release(true, true) != 0 ? 1 : 0;
}

struct mallinfo2 mallinfo2() noexcept {
  struct mallinfo2 mi;
  fill_mallinfo2(&mi);
  return mi;
}

struct mallinfo mallinfo() noexcept {
  struct mallinfo2 m2;
  fill_mallinfo2(&m2);
  auto clamp = [](size_t v) { return v > INT32_MAX ? INT32_MAX : static_cast<int>(v); };
  struct mallinfo mi = {};
  mi.arena = clamp(m2.arena);
  mi.ordblks = clamp(m2.ordblks);
  mi.hblks = clamp(m2.hblks);
  mi.hblkhd = clamp(m2.hblkhd);
  mi.uordblks = clamp(m2.uordblks);
  mi.fordblks = clamp(m2.fordblks);
  mi.keepcost = clamp(m2.keepcost);
  return mi;
}

void malloc_stats() noexcept {
  hpmm_print_stats(2);
}

// Accepted and ignored: glibc's tunables (arenas, mmap threshold, ...) do not apply to hpmm.
int mallopt(int, int) noexcept {
  return 1;
}

// glibc's internal names, which some programs and libraries call directly.
void *__libc_malloc(size_t) noexcept __attribute__((alias("malloc"), copy(malloc)));
void __libc_free(void *) noexcept __attribute__((alias("free"), copy(free)));
void *__libc_calloc(size_t, size_t) noexcept __attribute__((alias("calloc"), copy(calloc)));
void *__libc_realloc(void *, size_t) noexcept __attribute__((alias("realloc"), copy(realloc)));
void *__libc_memalign(size_t, size_t) noexcept __attribute__((alias("memalign"), copy(memalign)));
void *__libc_valloc(size_t) noexcept __attribute__((alias("valloc"), copy(valloc)));
void *__libc_pvalloc(size_t) noexcept __attribute__((alias("pvalloc"), copy(pvalloc)));
struct mallinfo __libc_mallinfo() noexcept __attribute__((alias("mallinfo"), copy(mallinfo)));
int __libc_mallopt(int, int) noexcept __attribute__((alias("mallopt"), copy(mallopt)));

}  // extern "C"
