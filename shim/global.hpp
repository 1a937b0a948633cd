// shim/global.hpp: the process's one allocator and each thread's binding to it (internal to
// libhpmm.so; nothing here is exported).
//
// State machine of the global (g_state): kNone -> kInitializing (one thread, in init_slow) ->
// kReady.  The allocator lives in static storage, constructed in place by the first call into
// the library (which may come from ld.so, another library's constructor, or dlsym's own
// allocation), so nothing depends on constructor order.  Initialisation makes no allocation:
// the environment is walked by hand and the machine's hugepage setup read by pal's raw discovery.
// Threads: t_cache (initial-exec TLS) points to the thread's cache, made on its first malloc or
// free and given back by a pthread key destructor at thread exit; after that t_exiting routes the
// thread's late calls (other destructors) to the central lists directly.
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
  return __builtin_expect(tc != nullptr, 1) ? tc : cache_slow();
}

// malloc's fast path: an object of n bytes from the calling thread's cache, or nullptr when the
// thread has no cache, n is large, or the list is empty (the caller then takes its slow path).
// Bounds are tested small first, so the common request pays one compare.
inline void *cache_alloc(size_t n) {
  ThreadCache *tc = t_cache;
  if (__builtin_expect(tc == nullptr, 0)) return nullptr;
  uint32_t off;
  if (__builtin_expect(n <= 1024, 1)) {
    off = kListOffsetBySize[n];
  } else if (n <= kMaxSmallSize) {
    off = size_class_of_above_1k(n) * sizeof(FreeList);
  } else {
    return nullptr;
  }
  return ThreadCache::pop(tc->list_at(off));  // clears the canary word
}

// free's slow path: a thread without a cache (or not yet initialised), large objects, foreign
// and invalid pointers, null.  (shim/malloc.cc)
void free_slow(void *p);

// free and every operator delete: the fast path inline, every other case a tail call.
inline void free_impl(void *p) {
  ThreadCache *tc = t_cache;
  if (__builtin_expect(tc != nullptr, 1) && __builtin_expect(heap().free_fast(p, tc), 1)) return;
  free_slow(p);
}

}  // namespace hpmm::shim

#pragma GCC visibility pop
