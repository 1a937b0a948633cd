// shim/global.hpp: the process's one allocator and each thread's binding to it (internal to
// libhpmm.so; nothing here is exported).
//
// State machine of the global (g_state): kNone -> kInitializing (one thread, in init_slow) ->
// kReady.  The allocator lives in static storage, constructed in place by the first call into
// the library (which may come from ld.so, another library's constructor, or dlsym's own
// allocation), so nothing depends on constructor order.  Initialisation makes no allocation:
// the environment is walked by hand and the machine's hugepage setup read by pal's raw discovery.
// Threads: t_cache (initial-exec TLS, one pointer: with t_exiting libhpmm's whole static TLS is 9
// bytes, so a dlopen() of it finds room in glibc's small spare static TLS) points to the thread's
// cache.  It starts at kDetached, one process-wide cache in read-only data that is not attached and
// has every bound 0, so the fast paths need no null test: malloc finds its list empty, free finds
// no room, and neither writes before that test.  The slow paths then give the thread its own cache
// (cache_slow, also as the allocator's attach hook: a thread whose first call is a free), made
// from metadata and given back by a pthread key destructor at thread exit, which points t_cache
// at kDetached again and sets t_exiting, so the thread's late calls (other destructors) go to the
// central lists.  (The cache itself in TLS, 1.5 KiB, found it with no fewer instructions: from a
// shared library a TLS variable takes the GOT load of its offset and one %fs-relative load
// either way.  What the shared cache costs is free's test of room before its writes: 2 more
// instructions than a push that tests after; malloc is 1 shorter, 16 against 17 with ret.)
// Synchronisation: g_state is atomic (acquire/release); the allocator has its own locks.
#pragma once

// The system headers and lower layers the core uses, first, with default visibility ...
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "base/bits.hpp"
#include "base/check.hpp"
#include "base/units.hpp"
#include "pal/alloc_os_futex.hpp"
#include "pal/alloc_os_memory.hpp"
#include "pal/os_memory.hpp"

// ... then the core with hidden visibility, so the shim reaches its tables (size classes, object
// checks) and template code PC-relative instead of through the GOT.  The exported functions are
// declared outside this region (system headers, include/hpmm/hpmm.h).
#pragma GCC visibility push(hidden)
#include "cache/allocator.hpp"
#include "cache/env_config.hpp"
#include "heap/real_os.hpp"

namespace hpmm::shim {

using Heap = Allocator<RealOs>;

enum : int { kNone = 0, kInitializing = 1, kReady = 2 };

extern std::atomic<int> g_state;
extern unsigned char g_storage[];
extern EnvConfig g_env;
extern BackingChoice g_backing;
extern std::atomic<uint64_t> g_foreign_frees;

extern const ThreadCache kDetached;
extern __thread ThreadCache *t_cache __attribute__((tls_model("initial-exec")));
extern __thread bool t_exiting __attribute__((tls_model("initial-exec")));

inline Heap &heap() {
  return *reinterpret_cast<Heap *>(g_storage);
}
inline bool ready() {
  return g_state.load(std::memory_order_acquire) == kReady;
}

// Makes the allocator if nobody has (waits if another thread is making it).
void init_slow();
inline void ensure_init() {
  if (__builtin_expect(!ready(), 0)) init_slow();
}

// The calling thread's cache, made now if it has none; nullptr for a thread past its exit
// destructor (or when metadata cannot be mapped).  Initialises the allocator if needed.
ThreadCache *cache_slow();
inline ThreadCache *cache() {
  ThreadCache *tc = t_cache;
  return __builtin_expect(tc->attached, 1) ? tc : cache_slow();
}

// malloc's fast path: an object of n bytes from the calling thread's cache, or nullptr when n is
// large or the list is empty (always, for kDetached; the caller then takes its slow path).  Bounds
// are tested small first, so the common request pays one compare.
inline void *cache_alloc(size_t n) {
  uint32_t off;
  if (__builtin_expect(n <= 1024, 1)) {
    off = kListOffsetBySize[n];
  } else if (n <= kMaxSmallSize) {
    off = size_class_of_above_1k(n) * sizeof(FreeList);
  } else {
    return nullptr;
  }
  return ThreadCache::pop(t_cache->list_at(off));  // clears the canary word
}

// free's slow path: large objects, foreign and invalid pointers, null, and anything freed
// before the allocator is made.  (shim/malloc.cc)
void free_slow(void *p);

// free and every operator delete: the fast path inline, every other case a tail call.  (Before
// the allocator is made its storage is zero: the page map's window is empty, so every pointer
// goes to free_slow.)
inline void free_impl(void *p) {
  if (__builtin_expect(heap().free_fast(p, t_cache), 1)) return;
  free_slow(p);
}

}  // namespace hpmm::shim

#pragma GCC visibility pop
