// tests/cache/test_attach.cc: caches that are not attached (the shim's shared, read-only
// detached cache that every thread's TLS pointer starts at): the allocator's attach hook, which
// gives the cache to use, the central lists when it gives none, and no write into such a cache;
// attach_cache / detach_cache for caches whose storage the caller owns.
#include <criterion/criterion.h>
#include <sys/mman.h>

#include <algorithm>
#include <csignal>
#include <new>
#include <vector>

#include "cache/allocator.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Alloc = Allocator<TestOs>;

namespace {
AllocatorConfig attach_config() {
  AllocatorConfig c;
  c.page_heap.backing.arena_bytes = 64ull << 20;
  c.thread_cache_bytes = 1u << 20;
  return c;
}

Alloc *g_alloc = nullptr;  // for the hooks
int g_hook_calls = 0;
ThreadCache *attach_it(ThreadCache *tc) {  // attaches the cache it is given
  ++g_hook_calls;
  g_alloc->attach_cache(tc);
  return tc;
}
ThreadCache *refuse(ThreadCache *) {
  ++g_hook_calls;
  return nullptr;
}
ThreadCache *g_own = nullptr;  // what give_own hands out (made by the test)
ThreadCache *give_own(ThreadCache *) {
  ++g_hook_calls;
  if (g_own == nullptr) g_own = g_alloc->create_cache();
  return g_own;
}

// A constructed ThreadCache on a page of its own that is then made read-only: any write into it
// stops the test with SIGSEGV.
ThreadCache *read_only_cache() {
  static_assert(sizeof(ThreadCache) <= 4096);
  void *m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(m, MAP_FAILED);
  auto *tc = new (m) ThreadCache();
  cr_assert_eq(mprotect(m, 4096, PROT_READ), 0);
  return tc;
}

std::vector<void *> alloc_n(Alloc &a, size_t n, size_t size) {
  std::vector<void *> v;
  for (size_t i = 0; i < n; ++i) {
    void *p = a.alloc(size, nullptr);
    cr_assert_not_null(p);
    v.push_back(p);
  }
  return v;
}
}  // namespace

Test(attach, a_constructed_cache_is_empty_unattached_and_valid) {
  ThreadCache tc;
  cr_assert(!tc.attached);
  cr_assert_eq(tc.max_bytes, 0u);
  cr_assert_eq(tc.capacity, 0u);
  for (uint32_t c = 1; c < kNumClasses; ++c) {
    cr_assert_null(tc.lists[c].head);
    cr_assert_eq(tc.bounds[c].max_length, 0u);
  }
  cr_assert(tc.valid());
}

Test(attach, attach_registers_and_detach_empties_and_forgets) {
  TestOs os;
  Alloc a(&os, attach_config());
  ThreadCache tc;
  a.attach_cache(&tc);
  cr_assert(tc.attached);
  cr_assert_eq(tc.max_bytes, attach_config().thread_cache_bytes);
  cr_assert_eq(a.stats().thread_caches, 1u);
  std::vector<void *> v;
  for (int i = 0; i < 300; ++i) v.push_back(a.alloc(48, &tc));
  for (void *p : v) a.free(p, &tc);
  uint32_t cls = size_class_of(48);
  cr_assert_gt(tc.length(cls), 0u, "an attached cache keeps freed objects");
  cr_assert(tc.valid());
  a.detach_cache(&tc);
  cr_assert(!tc.attached);
  cr_assert_eq(a.stats().thread_caches, 0u);
  for (uint32_t c = 1; c < kNumClasses; ++c) {
    cr_assert_eq(tc.length(c), 0u);
    cr_assert_eq(tc.bounds[c].max_length, 0u, "class %u keeps a bound", c);
  }
  cr_assert_eq(tc.capacity, 0u);
  AllocatorStats st = a.stats();
  cr_assert_eq(st.small_in_use_bytes, 0u);
  cr_assert(tc.valid());
  // Attached again (a thread reusing the storage): it works as new.
  a.attach_cache(&tc);
  void *p = a.alloc(48, &tc);
  cr_assert_not_null(p);
  a.free(p, &tc);
  a.detach_cache(&tc);
  cr_assert(a.valid());
}

Test(attach, a_free_into_an_unattached_cache_calls_the_hook_which_attaches_it) {
  TestOs os;
  Alloc a(&os, attach_config());
  g_alloc = &a;
  g_hook_calls = 0;
  a.set_attach_hook(attach_it);
  std::vector<void *> v = alloc_n(a, 200, 100);  // from a thread without a cache
  ThreadCache tc;
  for (void *p : v) a.free(p, &tc);
  cr_assert_eq(g_hook_calls, 1, "the first free attaches; the others find it attached");
  cr_assert(tc.attached);
  cr_assert_eq(a.stats().thread_caches, 1u);
  cr_assert_gt(tc.length(size_class_of(100)), 0u, "later frees stay in the cache");
  cr_assert(tc.valid());
  a.detach_cache(&tc);
  cr_assert_eq(a.stats().small_in_use_bytes, 0u);
  cr_assert(a.valid());
}

Test(attach, without_an_attachment_every_free_goes_back_and_nothing_stays) {
  TestOs os;
  Alloc a(&os, attach_config());
  std::vector<void *> v = alloc_n(a, 300, 64);
  ThreadCache tc;  // no hook at all
  for (size_t i = 0; i < 100; ++i) a.free(v[i], &tc);
  cr_assert(!tc.attached);
  cr_assert_eq(tc.length(size_class_of(64)), 0u);
  g_hook_calls = 0;
  a.set_attach_hook(refuse);  // a thread past its exit: the hook declines
  for (size_t i = 100; i < v.size(); ++i) a.free(v[i], &tc);
  cr_assert_eq(g_hook_calls, 200);
  cr_assert(!tc.attached);
  cr_assert_eq(tc.length(size_class_of(64)), 0u);
  cr_assert(tc.valid());
  AllocatorStats st = a.stats();
  cr_assert_eq(st.small_in_use_bytes, 0u, "every object went back to its central list");
  cr_assert_eq(st.thread_caches, 0u);
  // The objects are handed out again, each once.
  std::vector<void *> w = alloc_n(a, 300, 64);
  std::sort(w.begin(), w.end());
  cr_assert(std::adjacent_find(w.begin(), w.end()) == w.end());
  for (void *p : w) a.free(p, nullptr);
  cr_assert(a.valid());
}

Test(attach, a_double_free_into_an_unattached_cache_still_stops, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, attach_config());
  void *p = a.alloc(64, nullptr);
  ThreadCache tc;
  a.free(p, &tc);
  a.free(p, &tc);
}

// The one-way bound's table: 16 KiB of objects, at least 1, at most a batch, for every class.
Test(attach, one_way_length_is_16_kib_of_objects_within_1_and_a_batch) {
  for (uint32_t c = 1; c < kNumClasses; ++c) {
    uint64_t m = ThreadCache::kOneWayBytes / kSizeClasses[c].size;
    uint64_t want = m < 1 ? 1 : m > kSizeClasses[c].batch ? kSizeClasses[c].batch : m;
    cr_assert_eq(ThreadCache::one_way_length(c), want, "class %u", c);
  }
  cr_assert_eq(ThreadCache::one_way_length(size_class_of(32768)), 1u);
  cr_assert_eq(ThreadCache::one_way_length(size_class_of(4096)), 4u);
}

// ThreadCache::skip (pop_range's walk, four links a round) lands on the k-th object for every k.
Test(attach, skip_follows_exactly_k_links) {
  void *nodes[11];
  for (int i = 0; i < 11; ++i) nodes[i] = i < 10 ? static_cast<void *>(&nodes[i + 1]) : nullptr;
  // nodes[i] lives at &nodes[i] and links to &nodes[i + 1].
  for (uint32_t k = 0; k <= 10; ++k)
    cr_assert_eq(ThreadCache::skip(&nodes[0], k), static_cast<void *>(&nodes[k]), "k = %u", k);
}

// The shim's case: one read-only detached cache shared by every thread without a cache.  The
// first free and the first malloc through it get the hook's cache, which then holds the objects;
// nothing is ever written into the detached one.
Test(attach, a_read_only_detached_cache_hands_over_to_the_hooks_cache) {
  TestOs os;
  Alloc a(&os, attach_config());
  g_alloc = &a;
  g_hook_calls = 0;
  g_own = nullptr;
  a.set_attach_hook(give_own);
  ThreadCache *det = read_only_cache();
  std::vector<void *> v = alloc_n(a, 100, 48);
  a.free(v[0], det);  // finds no room; the hook's cache takes it
  cr_assert_not_null(g_own);
  cr_assert_eq(g_hook_calls, 1);
  uint32_t cls = size_class_of(48);
  cr_assert_gt(g_own->bounds[cls].max_length, 0u, "the first free overflowed the own cache");
  cr_assert(det->valid());
  cr_assert_null(det->lists[cls].head);
  // Later frees through the own cache (as the shim's, once its TLS pointer moved) stay there.
  for (size_t i = 1; i < v.size(); ++i) a.free(v[i], g_own);
  cr_assert_gt(g_own->length(cls), 1u);
  cr_assert_eq(g_hook_calls, 1);
  // A malloc through the detached cache: its list is empty, the refill asks the hook.
  void *p = a.alloc(64, det);
  cr_assert_not_null(p);
  cr_assert_eq(g_hook_calls, 2);
  cr_assert_gt(g_own->bounds[size_class_of(64)].max_length, 0u, "the refill went to the own cache");
  a.free(p, g_own);
  cr_assert(g_own->valid());
  a.destroy_cache(g_own);
  g_own = nullptr;
  cr_assert_eq(a.stats().small_in_use_bytes, 0u);
  cr_assert(a.valid());
}

// Past a thread's exit (the hook declines): a read-only detached cache, every size class, frees
// and mallocs in any order: every object goes to and comes from the central lists, each once.
Test(attach, a_read_only_detached_cache_without_a_cache_uses_the_central_lists) {
  TestOs os;
  Alloc a(&os, attach_config());
  g_hook_calls = 0;
  a.set_attach_hook(refuse);
  ThreadCache *det = read_only_cache();
  std::vector<void *> v;
  for (uint32_t c = 1; c < kNumClasses; ++c)
    for (int i = 0; i < 3; ++i) {
      void *p = a.alloc(kSizeClasses[c].size, det);
      cr_assert_not_null(p, "class %u", c);
      v.push_back(p);
    }
  std::vector<void *> w = v;
  std::sort(w.begin(), w.end());
  cr_assert(std::adjacent_find(w.begin(), w.end()) == w.end(), "an object handed out twice");
  for (void *p : v) cr_assert(a.free(p, det));
  cr_assert_eq(g_hook_calls, 2 * static_cast<int>(v.size()), "every call asked the hook");
  cr_assert_eq(a.stats().small_in_use_bytes, 0u);
  cr_assert_eq(a.stats().thread_caches, 0u);
  cr_assert(det->valid());
  cr_assert(a.valid());
}

Test(attach, a_double_free_through_a_read_only_detached_cache_still_stops, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, attach_config());
  a.set_attach_hook(refuse);
  ThreadCache *det = read_only_cache();
  void *p = a.alloc(64, det);
  a.free(p, det);
  a.free(p, det);
}
