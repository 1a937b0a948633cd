// tests/cache/test_central_bind.cc: central lists are made on first use (Allocator::bind), so the
// storage of classes a program never uses is never written (start-up pages); an allocator with
// unbound classes still reports, checks, releases, locks for fork, and binds under contention.
#include <criterion/criterion.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "cache/allocator.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Alloc = Allocator<TestOs>;

static AllocatorConfig bind_config() {
  AllocatorConfig c;
  c.page_heap.backing.arena_bytes = 64ull << 20;
  c.thread_cache_bytes = 1u << 20;
  return c;
}

static uint32_t bound_classes(Alloc &a) {
  uint32_t n = 0;
  for (uint32_t c = 1; c < kNumClasses; ++c) n += a.central_bound(c) ? 1 : 0;
  return n;
}

Test(central_bind, a_new_allocator_has_no_central_list_and_still_reports_and_checks) {
  TestOs os;
  Alloc a(&os, bind_config());
  cr_assert_eq(bound_classes(a), 0u);
  AllocatorStats st = a.stats();
  cr_assert_eq(st.small_in_use_bytes, 0u);
  cr_assert_eq(st.central_free_bytes, 0u);
  cr_assert_eq(st.classes[5].size, kSizeClasses[5].size);
  cr_assert_eq(st.classes[5].spans, 0u);
  cr_assert(a.valid());
  a.release(true, true);
  a.lock_all();
  a.unlock_all();
  cr_assert_eq(bound_classes(a), 0u, "reporting, checking, releasing and locking bind nothing");
}

Test(central_bind, only_the_classes_used_are_bound) {
  TestOs os;
  Alloc a(&os, bind_config());
  ThreadCache *tc = a.create_cache();
  cr_assert_not_null(tc);
  uint32_t c100 = size_class_of(100), c5000 = size_class_of(5000);
  void *p = a.alloc(100, tc);
  void *q = a.alloc(5000, nullptr);  // a thread without a cache
  cr_assert(p != nullptr && q != nullptr);
  cr_assert(a.central_bound(c100) && a.central_bound(c5000));
  cr_assert_eq(bound_classes(a), 2u);
  AllocatorStats st = a.stats();
  cr_assert_eq(st.classes[c100].in_use, 1u);
  cr_assert_eq(st.classes[c5000].in_use, 1u);
  cr_assert(a.free(p, tc));
  cr_assert(a.free(q, nullptr));
  a.destroy_cache(tc);
  cr_assert(a.valid());
  cr_assert_eq(bound_classes(a), 2u);
}

// The storage of classes nobody used is never written: an allocator in fresh mapped memory (as
// the shim's is in zeroed static storage) leaves the pages that hold only such lists not resident.
// (mincore, not a byte pattern: the compiler may drop stores made before a placement new.)
Test(central_bind, unused_classes_storage_is_not_touched) {
  TestOs os;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t len = (sizeof(Alloc) + page - 1) / page * page;
  void *mem = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(mem, MAP_FAILED);
  Alloc *a = new (mem) Alloc(&os, bind_config());
  uint32_t c = size_class_of(64);
  void *p = a->alloc(64, nullptr);
  cr_assert_not_null(p);
  const size_t stride = sizeof(CentralFreeList<TestOs>);
  auto first = reinterpret_cast<uintptr_t>(&a->central(c)) + stride;  // class c + 1's list
  auto last = reinterpret_cast<uintptr_t>(&a->central(c)) + (kNumClasses - c) * stride;
  uintptr_t lo = (first + page - 1) / page * page, hi = last / page * page;
  cr_assert_gt(hi, lo, "the unused lists span at least one whole page");
  std::vector<unsigned char> vec((hi - lo) / page);
  cr_assert_eq(mincore(reinterpret_cast<void *>(lo), hi - lo, vec.data()), 0);
  for (size_t i = 0; i < vec.size(); ++i)
    cr_assert_eq(vec[i] & 1, 0, "page %zu of the unused classes' lists is resident", i);
  cr_assert(a->free(p, nullptr));
  cr_assert(a->valid());
  a->~Alloc();
  munmap(mem, len);
}

// Threads using a class for the first time at once: one list is made, no object is lost or
// handed out twice.
Test(central_bind, concurrent_first_use_binds_once) {
  TestOs os;
  Alloc a(&os, bind_config());
  constexpr int kThreads = 4, kPer = 300;
  std::vector<std::vector<void *>> got(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      ThreadCache *tc = t % 2 == 0 ? a.create_cache() : nullptr;
      for (int i = 0; i < kPer; ++i) got[t].push_back(a.alloc(48 + 16 * (i % 5), tc));
      if (tc != nullptr) a.destroy_cache(tc);
    });
  }
  for (auto &th : ts) th.join();
  std::set<void *> all;
  for (auto &v : got)
    for (void *p : v) {
      cr_assert_not_null(p);
      cr_assert(all.insert(p).second, "an object was handed out twice");
    }
  cr_assert_eq(bound_classes(a), 5u);
  cr_assert(a.valid());
  for (auto &v : got)
    for (void *p : v) cr_assert(a.free(p, nullptr));
  cr_assert(a.valid());
  AllocatorStats st = a.stats();
  cr_assert_eq(st.small_in_use_bytes, 0u);
}

// fork's lock_all holds the bind lock: a class bound after unlock_all works, and the child's
// after_fork_child leaves both bound and unbound classes usable.
Test(central_bind, lock_all_and_fork_reset_with_unbound_classes) {
  TestOs os;
  Alloc a(&os, bind_config());
  ThreadCache *tc = a.create_cache();
  void *p = a.alloc(32, tc);
  a.lock_all();
  a.unlock_all();
  a.lock_all();
  a.after_fork_child(tc);
  void *q = a.alloc(2000, tc);  // a class bound after the reset
  cr_assert(p != nullptr && q != nullptr);
  cr_assert(a.central_bound(size_class_of(2000)));
  cr_assert(a.free(p, tc));
  cr_assert(a.free(q, tc));
  a.destroy_cache(tc);
  cr_assert(a.valid());
}
