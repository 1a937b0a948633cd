// tests/cache/test_attach.cc: thread caches whose storage the caller owns (the shim's TLS
// caches): attach_cache / detach_cache, and Allocator::overflow's attach hook for a cache whose
// first call is a free.
#include <criterion/criterion.h>

#include <algorithm>
#include <csignal>
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
bool attach_it(ThreadCache *tc) {
  ++g_hook_calls;
  g_alloc->attach_cache(tc);
  return true;
}
bool refuse(ThreadCache *) {
  ++g_hook_calls;
  return false;
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
