// tests/cache/test_cache.cc: central lists (batches, transfer cache), thread caches, cross-thread
// frees, alignment, zeroing, statistics, and every bad call the core can see (death tests).
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "cache/allocator.hpp"
#include "tests/heap/test_os.hpp"

using namespace hpmm;
using Alloc = Allocator<TestOs>;

static AllocatorConfig test_config() {
  AllocatorConfig c;
  c.page_heap.backing.arena_bytes = 64ull << 20;
  c.thread_cache_bytes = 1u << 20;
  return c;
}

Test(central, batches_move_whole_and_through_the_transfer_cache) {
  TestOs os;
  Alloc a(&os, test_config());
  uint32_t cls = size_class_of(100);
  uint32_t batch = kSizeClasses[cls].batch;
  CentralFreeList<TestOs> &cl = a.central(cls);
  void *h, *t;
  uint32_t got = cl.remove_range(&h, &t, batch);
  cr_assert_eq(got, batch);
  std::set<void *> seen;
  void *p = h;
  for (uint32_t i = 0; i < got; ++i) {
    cr_assert(seen.insert(p).second, "objects are distinct");
    cr_assert_eq(a.page_heap().span_of(p)->cls, cls);
    if (i + 1 < got) p = *static_cast<void **>(p);
  }
  cr_assert_eq(p, t);
  cr_assert_eq(cl.free_in_spans() + got, cl.spans() * kSizeClasses[cls].objects);
  cl.insert_range(h, t, got);  // a full batch: kept whole
  cr_assert_eq(cl.in_transfer(), batch);
  void *h2, *t2;
  cr_assert_eq(cl.remove_range(&h2, &t2, batch), batch);
  cr_assert_eq(h2, h, "the same batch comes back in O(1)");
  cr_assert_eq(cl.in_transfer(), 0u);
  cl.insert_range(h2, t2, batch);
  cl.drain();
  cr_assert_eq(cl.in_transfer(), 0u);
  cr_assert_eq(cl.spans(), 0u, "every object back: the span went to the page heap");
  cr_assert(a.valid());
}

// Partial runs (from thread caches whose lists are still short) also pass through the transfer
// cache, up to kPartialBytes, and come back in part: the first n of a run, each object once.
Test(central, partial_runs_through_the_transfer_cache_up_to_a_bound) {
  TestOs os;
  Alloc a(&os, test_config());
  uint32_t cls = size_class_of(100);
  uint32_t size = kSizeClasses[cls].size;
  CentralFreeList<TestOs> &cl = a.central(cls);
  void *h, *t;
  cr_assert_eq(cl.remove_range(&h, &t, 5), 5u);
  cl.insert_range(h, t, 5);
  cr_assert_eq(cl.in_transfer(), 5u, "a partial run is kept");
  void *h2, *t2;
  cr_assert_eq(cl.remove_range(&h2, &t2, 3), 3u, "the first 3 of it");
  cr_assert_eq(h2, h);
  cr_assert_eq(cl.in_transfer(), 2u);
  void *h3, *t3;
  cr_assert_eq(cl.remove_range(&h3, &t3, 3), 2u, "the rest of it, no more");
  cr_assert_eq(*static_cast<void **>(t2), h3, "the two parts are the run, in order");
  cr_assert_eq(t3, t);
  cr_assert_eq(cl.in_transfer(), 0u);
  std::set<void *> seen;
  for (void *p = h2;; p = *static_cast<void **>(p)) {
    cr_assert(seen.insert(p).second, "each object once");
    if (p == t2) break;
  }
  for (void *p = h3;; p = *static_cast<void **>(p)) {
    cr_assert(seen.insert(p).second, "each object once");
    if (p == t3) break;
  }
  cr_assert_eq(seen.size(), 5u);
  cl.insert_range(h2, t2, 3);
  cl.insert_range(h3, t3, 2);
  cr_assert_eq(cl.in_transfer(), 5u);
  // Past the byte bound, partial runs go to the spans.
  uint32_t fit = static_cast<uint32_t>(CentralFreeList<TestOs>::kPartialBytes / size);
  std::vector<void *> more;
  for (uint32_t i = 0; i < fit; ++i) {
    void *o;
    cr_assert_eq(cl.remove_range(&o, &o, 1), 1u);
    more.push_back(o);
  }
  cr_assert_eq(cl.in_transfer(), 0u);
  uint64_t in_spans = cl.free_in_spans(), spans = cl.spans();
  for (void *o : more) cl.insert_range(o, o, 1);
  cr_assert_leq(cl.in_transfer() * size, CentralFreeList<TestOs>::kPartialBytes);
  cr_assert_lt(cl.in_transfer(), fit, "the rest went back to its spans");
  uint64_t emptied = (spans - cl.spans()) * kSizeClasses[cls].objects;  // went to the page heap
  cr_assert_eq(cl.in_transfer() + cl.free_in_spans() + emptied - in_spans, fit);
  cr_assert(a.valid());
  cl.drain();
  cr_assert_eq(cl.spans(), 0u);
}

// Objects come from the fullest span first, so a lightly used span is left alone, empties, and
// goes back to the page heap at once.
Test(central, the_fullest_span_serves_and_a_light_one_empties) {
  TestOs os;
  Alloc a(&os, test_config());
  uint32_t cls = size_class_of(100);
  uint32_t n = kSizeClasses[cls].objects;
  CentralFreeList<TestOs> &cl = a.central(cls);
  std::vector<void *> objs;
  for (uint32_t i = 0; i < 3 * n; ++i) {
    void *o;
    cr_assert_eq(cl.remove_range(&o, &o, 1), 1u);
    objs.push_back(o);
  }
  cr_assert_eq(cl.spans(), 3u);
  cr_assert_eq(cl.free_in_spans(), 0u, "three full spans");
  std::vector<std::vector<void *>> by_span;  // objects of the three spans, in span order
  std::vector<Span *> spans;
  for (void *o : objs) {
    Span *s = a.page_heap().span_of(o);
    size_t k = 0;
    while (k < spans.size() && spans[k] != s) ++k;
    if (k == spans.size()) {
      spans.push_back(s);
      by_span.emplace_back();
    }
    by_span[k].push_back(o);
  }
  cr_assert_eq(spans.size(), 3u);
  Span *full = spans[1];
  for (void *o : by_span[2]) cl.insert_one(o);
  cr_assert_eq(cl.spans(), 2u, "an empty span goes back to the page heap");
  for (uint32_t i = 0; i < 10; ++i) cl.insert_one(by_span[1][i]);  // n - 10 in use
  for (uint32_t i = 2; i < n; ++i) cl.insert_one(by_span[0][i]);   // 2 in use, freed last
  cr_assert(cl.valid());
  for (uint32_t i = 0; i < 10; ++i) {
    void *o;
    cr_assert_eq(cl.remove_range(&o, &o, 1), 1u);
    cr_assert_eq(a.page_heap().span_of(o), full, "object %u from the fullest span", i);
  }
  cr_assert(cl.valid());
  cl.insert_one(by_span[0][0]);
  cl.insert_one(by_span[0][1]);
  cr_assert_eq(cl.spans(), 1u, "the light span emptied and went back to the page heap");
  cr_assert_eq(cl.free_in_spans(), 0u, "the full one is full again");
  cr_assert(a.valid());
  for (void *o : by_span[1]) cl.insert_one(o);
  cr_assert_eq(cl.spans(), 0u);
}

// Runs that sat in the transfer cache through a whole interval of kIdleOps batches of objects
// moved (below its low-water mark) go back to their spans, so a span they fill goes to the page
// heap.
Test(central, idle_runs_go_back_to_spans) {
  TestOs os;
  Alloc a(&os, test_config());
  uint32_t cls = size_class_of(1024);  // 8 objects a span: a run of one span is a partial run
  uint32_t n = kSizeClasses[cls].objects;
  // The interval in transfers of n objects.
  const uint32_t kOps = CentralFreeList<TestOs>::kIdleOps * kSizeClasses[cls].batch / n;
  cr_assert_eq(CentralFreeList<TestOs>::kIdleOps * kSizeClasses[cls].batch % n, 0u);
  cr_assert(n < kSizeClasses[cls].batch && 2 * n * 1024 <= CentralFreeList<TestOs>::kPartialBytes);
  CentralFreeList<TestOs> &cl = a.central(cls);
  void *h1, *t1, *h2, *t2;
  cr_assert_eq(cl.remove_range(&h1, &t1, n), n);  // transfer 1: a whole span
  cr_assert_eq(cl.remove_range(&h2, &t2, n), n);  // 2: another
  cl.insert_range(h1, t1, n);                     // 3: run 1 parked at the bottom
  cr_assert_eq(cl.spans(), 2u);
  uint32_t ops = 3;
  bool run2_in = false;
  auto trade_run2 = [&](uint32_t until) {  // run 2 in and out on top of run 1
    for (; ops < until; ++ops) {
      if (run2_in) {
        void *h, *t;
        cr_assert_eq(cl.remove_range(&h, &t, n), n);
        cr_assert_eq(h, h2, "run 2 comes back whole");
      } else {
        cl.insert_range(h2, t2, n);
      }
      run2_in = !run2_in;
    }
  };
  uint64_t free0 = cl.free_in_spans();
  cr_assert_eq(free0, 0u, "two spans, both handed out");
  trade_run2(kOps);  // the first interval: run 1 was not there all along (low water 0)
  cr_assert_eq(cl.in_transfer(), n + (run2_in ? n : 0));
  cr_assert_eq(cl.free_in_spans(), free0, "nothing released after an interval without idle runs");
  trade_run2(2 * kOps);  // run 1 idle for a whole interval
  cr_assert_eq(cl.in_transfer(), run2_in ? n : 0u, "the idle run went to its spans");
  cr_assert_eq(cl.spans(), 1u, "its span emptied and went to the page heap");
  cr_assert_eq(cl.free_in_spans(), free0);
  cr_assert(cl.valid());
  trade_run2(3 * kOps);  // run 2 is busy: it stays
  cr_assert_eq(cl.in_transfer(), run2_in ? n : 0u);
  cr_assert_eq(cl.spans(), 1u);
  if (run2_in) {
    void *h, *t;
    cr_assert_eq(cl.remove_range(&h, &t, n), n);
  }
  cl.insert_range(h2, t2, n);
  cl.drain();
  cr_assert_eq(cl.spans(), 0u);
  cr_assert(a.valid());
}

Test(thread_cache, slow_start_then_batches_and_bounded_bytes) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  uint32_t cls = size_class_of(32);
  std::vector<void *> v;
  for (int i = 0; i < 5000; ++i) v.push_back(a.alloc(32, tc));
  cr_assert_gt(tc->bounds[cls].max_length, kSizeClasses[cls].batch, "grew past one batch");
  for (void *p : v) a.free(p, tc);
  cr_assert_leq(tc->length(cls), tc->bounds[cls].max_length);
  cr_assert(tc->valid());
  // Big objects: the cache gives half back whenever it passes its byte bound.
  std::vector<void *> big;
  for (int i = 0; i < 200; ++i) big.push_back(a.alloc(16384, tc));
  for (void *p : big) a.free(p, tc);
  cr_assert_leq(tc->bytes(), tc->max_bytes);
  cr_assert(tc->valid());
  a.destroy_cache(tc);
  AllocatorStats st = a.stats();
  cr_assert_eq(st.small_in_use_bytes, 0u);
  cr_assert_eq(st.thread_cache_bytes, 0u);
  cr_assert(a.valid());
}

// The byte bound is on capacity (sum of max_length * size): a list that grows past what is free
// takes capacity from another list, which gives back the objects past its lowered bound.
Test(thread_cache, capacity_moves_between_lists_within_the_bound) {
  TestOs os;
  AllocatorConfig cfg = test_config();
  cfg.thread_cache_bytes = 64 << 10;
  Alloc a(&os, cfg);
  ThreadCache *tc = a.create_cache();
  const uint32_t ca = size_class_of(1024), cb = size_class_of(2048);
  auto churn = [&](size_t n, uint32_t cls) {
    for (int round = 0; round < 80; ++round) {
      std::vector<void *> v;
      for (int i = 0; i < 48; ++i) v.push_back(a.alloc(n, tc));
      for (void *p : v) {
        a.free(p, tc);
        cr_assert_leq(tc->length(cls), tc->bounds[cls].max_length);
      }
      cr_assert_leq(tc->capacity, tc->max_bytes);
      cr_assert_leq(tc->bytes(), tc->capacity);
    }
  };
  churn(1024, ca);
  uint32_t before = tc->bounds[ca].max_length;
  cr_assert_geq(before, 48u, "the 1 KiB list grew to hold a burst");
  churn(2048, cb);
  cr_assert_gt(tc->bounds[cb].max_length, 16u, "the 2 KiB list grew too");
  cr_assert_lt(tc->bounds[ca].max_length, before, "by taking capacity from the 1 KiB list");
  cr_assert_leq(tc->length(ca), tc->bounds[ca].max_length, "which gave back what it held past it");
  cr_assert(tc->valid());
  a.destroy_cache(tc);
  cr_assert_eq(a.stats().thread_cache_bytes, 0u);
  cr_assert(a.valid());
}

// A list whose last slow-path events were all of one kind is one-way.
Test(thread_cache, a_streak_of_one_kind_makes_a_list_one_way) {
  ThreadCache tc(1 << 20);
  const uint32_t c = size_class_of(4096);
  for (int i = 1; i < ThreadCache::kOneWayStreak; ++i) cr_assert_not(tc.note(c, 1));
  cr_assert(tc.note(c, 1), "kOneWayStreak refills in a row");
  cr_assert(tc.note(c, 1), "and it stays so");
  cr_assert_not(tc.note(c, -1), "one overflow ends it");
  for (int i = 2; i < ThreadCache::kOneWayStreak; ++i) cr_assert_not(tc.note(c, -1));
  cr_assert(tc.note(c, -1), "kOneWayStreak overflows in a row");
  cr_assert(tc.valid());
  cr_assert_not(tc.note(c, 1), "one refill ends that");
  cr_assert(tc.valid());
  cr_assert_eq(ThreadCache::one_way_length(size_class_of(4096)), 4u);
  cr_assert_eq(ThreadCache::one_way_length(size_class_of(32768)), 1u);
  cr_assert_eq(ThreadCache::one_way_length(size_class_of(64)),
               kSizeClasses[size_class_of(64)].batch, "small classes keep a batch");
}

// One-way runs (`whole`, a few objects each for the classes above 2 KiB) merge in the transfer
// cache up to a batch, so it holds kSlots batches of them, and a producer/consumer pair's burst
// of frees waits there for the producer instead of emptying spans of 1-2 objects (each a
// page-heap round trip).  Classes above kMergeMaxSize keep one run a slot.
Test(central, one_way_runs_merge_into_batches) {
  TestOs os;
  Alloc a(&os, test_config());
  using CL = CentralFreeList<TestOs>;
  for (size_t size : {size_t{8192}, size_t{12288}}) {
    const uint32_t cls = size_class_of(size), batch = kSizeClasses[cls].batch;
    const uint32_t run = ThreadCache::one_way_length(cls), total = CL::kSlots * batch;
    cr_assert_lt(run, batch);
    CL &cl = a.central(cls);
    std::vector<void *> objs;
    for (uint32_t i = 0; i < total; ++i) {
      void *h, *t;
      cr_assert_eq(cl.remove_range(&h, &t, 1), 1u);
      objs.push_back(h);
    }
    const uint64_t spans = cl.spans();
    for (uint32_t i = 0; i < total; i += run) {  // the consumer's runs, linked
      for (uint32_t k = i; k + 1 < i + run; ++k) *static_cast<void **>(objs[k]) = objs[k + 1];
      cl.insert_range(objs[i], objs[i + run - 1], run, true);
    }
    const uint64_t held = cl.in_transfer();
    if (size <= CL::kMergeMaxSize) {
      cr_assert_eq(held, total, "size %zu: every run kept", size);
      cr_assert_eq(cl.spans(), spans, "no span emptied");
    } else {
      cr_assert_leq(held, CL::kSlots * run, "size %zu: one run a slot", size);
    }
    cr_assert(cl.valid());
    std::set<void *> back;  // the producer takes runs back, each object once
    for (void *h, *t; cl.in_transfer() > 0;) {
      uint32_t got = cl.remove_range(&h, &t, run);
      cr_assert_eq(got, run);
      for (uint32_t k = 0; k < got; ++k, h = *static_cast<void **>(h))
        cr_assert(back.insert(h).second, "an object handed out twice");
    }
    cr_assert_eq(back.size(), held);
    for (void *p : back) cl.insert_one(p);
    cr_assert_eq(cl.spans(), 0u, "every object back: every span went to the page heap");
    cr_assert(cl.valid());
  }
  cr_assert(a.valid());
}

// Producer/consumer: one cache only allocates a class, another only frees it.  Neither keeps
// more than one_way_length objects, the freed ones reach the producer through the transfer
// cache, and the class needs spans for about the live objects only.
Test(thread_cache, one_way_lists_hold_little) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *prod = a.create_cache(), *cons = a.create_cache();
  const size_t n = 4096;
  const uint32_t cls = size_class_of(n), cap = ThreadCache::one_way_length(cls);
  cr_assert_lt(cap, kSizeClasses[cls].batch);
  uint32_t max_spans = 0;
  for (int round = 0; round < 200; ++round) {
    std::vector<void *> v;
    for (int i = 0; i < 16; ++i) {
      void *p = a.alloc(n, prod);
      cr_assert_not_null(p);
      std::memset(p, round, n);
      v.push_back(p);
    }
    for (void *p : v) a.free(p, cons);
    if (round >= 2 * ThreadCache::kOneWayStreak) {
      cr_assert_leq(prod->bounds[cls].max_length, cap, "the producer's list is capped");
      cr_assert_leq(cons->bounds[cls].max_length, cap, "the consumer's list is capped");
      cr_assert_leq(cons->length(cls), cap);
      cr_assert_leq(prod->length(cls), cap);
    }
    uint32_t spans = static_cast<uint32_t>(a.central(cls).spans());
    if (spans > max_spans) max_spans = spans;
  }
  // 16 live objects plus at most cap on either side plus the transfer cache's runs.
  const uint32_t per_span = kSizeClasses[cls].objects;
  cr_assert_leq(max_spans * per_span, 16 + 2 * cap + 16 * cap + 2 * per_span, "spans: %u",
                max_spans);
  cr_assert(prod->valid());
  cr_assert(cons->valid());
  a.destroy_cache(prod);
  a.destroy_cache(cons);
  AllocatorStats st = a.stats();
  cr_assert_eq(st.small_in_use_bytes, 0u);
  cr_assert(a.valid());
}

// A TestOs whose arenas lie 4 GiB apart (from 16 TiB up), so the second is outside the first's
// 2 GiB page-map leaf (free()'s hot window).
struct FarOs : TestOs {
  uintptr_t next = uintptr_t{1} << 44;
  uintptr_t reserve(size_t n) {
    for (int tries = 0; tries < 64; ++tries, next += uintptr_t{4} << 30) {
      void *want = reinterpret_cast<void *>(next);
      void *p = mmap(want, n, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
      if (p == want) {
        ++reserves;
        next += uintptr_t{4} << 30;
        return reinterpret_cast<uintptr_t>(p);
      }
      if (p != MAP_FAILED) munmap(p, n);
    }
    return 0;
  }
};

// free()'s fast path reads only the page map's hot window; a small object past it must still go
// to the thread cache (through the whole map), not to the central list.
Test(thread_cache, small_objects_outside_the_hot_window_are_cached) {
  FarOs os;
  AllocatorConfig cfg = test_config();
  cfg.page_heap.backing.arena_bytes = 16 << 20;
  Allocator<FarOs> a(&os, cfg);
  ThreadCache *tc = a.create_cache();
  std::vector<void *> kept;
  void *p = nullptr;
  for (int i = 0; i < 20000 && p == nullptr; ++i) {
    void *q = a.alloc(4000, tc);
    cr_assert_not_null(q);
    if (a.page_heap().hot_entry_of(q) == 0) {
      p = q;
    } else {
      kept.push_back(q);
    }
  }
  cr_assert_not_null(p, "the first 16 MiB arena filled up, so a span lies in the second");
  cr_assert_geq(os.reserves, 2u);
  cr_assert_neq(a.page_heap().entry_of(p), 0u);
  uint32_t cls = size_class_of(4000);
  uint32_t before = tc->length(cls);
  cr_assert_lt(before, tc->bounds[cls].max_length, "the list has room for p");
  a.free(p, tc);
  cr_assert_eq(tc->length(cls), before + 1, "p went onto the thread cache's list");
  cr_assert_eq(a.alloc(4000, tc), p, "and comes back from it first");
  a.free(p, tc);
  for (void *q : kept) a.free(q, tc);
  a.destroy_cache(tc);
  cr_assert(a.valid());
}

Test(thread_cache, cross_thread_frees_without_a_global_lock) {
  TestOs os;
  Alloc a(&os, test_config());
  constexpr int kN = 20000;
  std::vector<void *> v(kN);
  std::thread producer([&] {
    ThreadCache *tc = a.create_cache();
    for (int i = 0; i < kN; ++i) {
      v[i] = a.alloc(16 + (i % 7) * 48, tc);
      std::memset(v[i], i & 0xff, 16);
    }
    a.destroy_cache(tc);
  });
  producer.join();
  std::thread consumer([&] {
    ThreadCache *tc = a.create_cache();
    for (int i = 0; i < kN; ++i) {
      cr_assert_eq(*static_cast<unsigned char *>(v[i]), i & 0xff);
      a.free(v[i], tc);
    }
    a.destroy_cache(tc);
  });
  consumer.join();
  AllocatorStats st = a.stats();
  cr_assert_eq(st.small_in_use_bytes, 0u);
  a.release(true, false);
  cr_assert_eq(a.stats().heap.in_use_bytes, 0u, "every span went back");
  cr_assert(a.valid());
}

Test(thread_cache, concurrent_alloc_free_keeps_contents) {
  TestOs os;
  Alloc a(&os, test_config());
  std::vector<void *> shared(4096, nullptr);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      ThreadCache *tc = a.create_cache();
      uint32_t x = 12345 + t;
      std::vector<std::pair<unsigned char *, size_t>> mine;
      for (int i = 0; i < 30000; ++i) {
        x = x * 1103515245 + 12345;
        size_t n = 1 + (x >> 8) % 3000;
        auto *p = static_cast<unsigned char *>(a.alloc(n, tc));
        std::memset(p, t + 1, n);
        mine.emplace_back(p, n);
        if (mine.size() > 64) {
          auto [q, m] = mine[(x >> 4) % mine.size()];
          for (size_t k = 0; k < m; k += 97) cr_assert_eq(q[k], t + 1);
          mine[(x >> 4) % mine.size()] = mine.back();
          mine.pop_back();
          a.free(q, tc);
        }
      }
      for (auto [q, m] : mine) a.free(q, tc);
      a.destroy_cache(tc);
    });
  }
  for (auto &th : ts) th.join();
  cr_assert_eq(a.stats().small_in_use_bytes, 0u);
  cr_assert(a.valid());
}

Test(alloc, alignment_edge_cases) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  for (size_t align = 8; align <= (8u << 20); align <<= 1) {
    for (size_t n : {size_t{0}, size_t{1}, align - 1, align, align + 1, size_t{33000}}) {
      void *p = a.alloc_aligned(n, align, tc);
      cr_assert_not_null(p, "align %zu n %zu", align, n);
      cr_assert_eq(reinterpret_cast<uintptr_t>(p) % align, 0u, "align %zu n %zu", align, n);
      cr_assert_geq(a.usable_size(p), n);
      std::memset(p, 0x5a, n);
      a.free(p, tc);
    }
  }
  for (size_t n = 1; n <= 512; ++n) {  // malloc's guarantee: 16-byte alignment from 16 bytes on
    void *p = a.alloc(n, tc);
    cr_assert_eq(reinterpret_cast<uintptr_t>(p) % (n < 16 ? 8 : 16), 0u);
    a.free(p, tc);
  }
  a.destroy_cache(tc);
  cr_assert(a.valid());
}

Test(alloc, zeroed_memory_is_zero_even_when_reused) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  for (size_t n : {size_t{24}, size_t{4000}, size_t{100000}, size_t{3u << 20}}) {
    void *p = a.alloc(n, tc);
    std::memset(p, 0xff, n);
    a.free(p, tc);
    auto *q = static_cast<unsigned char *>(a.alloc_zeroed(n, tc));
    for (size_t k = 0; k < n; ++k)
      if (q[k] != 0) cr_assert_fail("byte %zu of %zu is not zero", k, n);
    a.free(q, tc);
  }
  a.destroy_cache(tc);
}

Test(alloc, usable_size_and_foreign_pointers) {
  TestOs os;
  Alloc a(&os, test_config());
  void *p = a.alloc(100, nullptr);
  cr_assert_eq(a.usable_size(p), 112u);
  void *big = a.alloc(100000, nullptr);
  cr_assert_eq(a.usable_size(big), 13 * kPageSize);
  static char outside[64];
  cr_assert_eq(a.usable_size(outside), 0u);
  cr_assert_not(a.free(outside, nullptr), "a foreign pointer is reported, not freed");
  cr_assert(a.free(p, nullptr));
  cr_assert(a.free(big, nullptr));
  cr_assert_null(a.alloc(uint64_t{1} << 50, nullptr), "impossible size");
  cr_assert_null(a.alloc_aligned(uint64_t{1} << 50, 64, nullptr));
  cr_assert(a.valid());
}

Test(alloc, a_freed_and_reused_object_is_not_a_double_free) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  void *p = a.alloc(64, tc);
  a.free(p, tc);
  void *q = a.alloc(64, tc);
  cr_assert_eq(q, p, "LIFO reuse");
  a.free(q, tc);  // the canary was cleared when q was handed out
  a.destroy_cache(tc);
}

// 8-byte objects have no second word: their canary goes in the first, under the list link.
// Freeing and reusing them must leave the neighbouring object alone and raise no false alarm.
Test(alloc, eight_byte_objects_keep_their_neighbours_and_reuse_cleanly) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  std::vector<uint64_t *> v;
  for (int i = 0; i < 200; ++i) {
    v.push_back(static_cast<uint64_t *>(a.alloc(8, tc)));
    *v.back() = 0x1111000000000000ull + i;
  }
  for (int i = 0; i < 200; i += 2) a.free(v[i], tc);
  for (int i = 1; i < 200; i += 2)
    cr_assert_eq(*v[i], 0x1111000000000000ull + i, "object %d was written by a neighbour's free",
                 i);
  for (int i = 0; i < 100; ++i) {
    auto *p = static_cast<uint64_t *>(a.alloc(8, tc));
    *p = ~uint64_t{0};
    a.free(p, tc);  // at once: not a double free
    cr_assert_eq(a.alloc(8, tc), p, "LIFO reuse");
  }
  cr_assert(a.free(nullptr, tc), "free(nullptr) is a no-op, not a foreign pointer");
  cr_assert(a.free(nullptr, nullptr));
  a.destroy_cache(tc);
  cr_assert(a.valid());
}

Test(bad_calls, double_free_of_a_small_object, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  void *p = a.alloc(48, tc), *q = a.alloc(48, tc);
  a.free(p, tc);
  a.free(q, tc);
  a.free(p, tc);  // not at the head of the list: caught by the canary
}

Test(bad_calls, double_free_of_an_8_byte_object, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  void *p = a.alloc(8, tc);
  a.free(p, tc);
  a.free(p, tc);
}

Test(bad_calls, double_free_reaching_the_span_bitmap, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, test_config());
  void *p = a.alloc(8, nullptr), *q = a.alloc(8, nullptr);
  a.free(p, nullptr);
  a.free(q, nullptr);
  a.free(p, nullptr);  // no thread cache: straight to the central list's bitmap
}

Test(bad_calls, free_inside_a_small_object, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, test_config());
  char *p = static_cast<char *>(a.alloc(64, nullptr));
  a.free(p + 16, nullptr);
}

Test(bad_calls, free_inside_a_large_object, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, test_config());
  char *p = static_cast<char *>(a.alloc(1 << 20, nullptr));
  a.free(p + 16, nullptr);
}

Test(bad_calls, double_free_of_a_large_object, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, test_config());
  void *p = a.alloc(1 << 20, nullptr);
  a.free(p, nullptr);
  a.free(p, nullptr);
}

Test(bad_calls, free_of_heap_memory_never_given_out, .signal = SIGABRT) {
  TestOs os;
  Alloc a(&os, test_config());
  char *p = static_cast<char *>(a.alloc(1 << 20, nullptr));
  a.free(p + (4 << 20), nullptr);  // inside the arena, in no span
}

Test(stats, per_class_accounting) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *tc = a.create_cache();
  std::vector<void *> v;
  for (int i = 0; i < 1000; ++i) v.push_back(a.alloc(200, tc));
  void *big = a.alloc(5u << 20, tc);
  AllocatorStats st = a.stats();
  uint32_t c = size_class_of(200);
  cr_assert_eq(st.classes[c].in_use, 1000u);
  cr_assert_eq(st.classes[c].size, 208u);
  cr_assert_eq(st.small_in_use_bytes, 1000u * 208);
  cr_assert_eq(st.heap.large_bytes, 5u << 20);
  cr_assert_eq(st.thread_caches, 1u);
  for (void *p : v) a.free(p, tc);
  a.free(big, tc);
  st = a.stats();
  cr_assert_eq(st.classes[c].in_use, 0u);
  cr_assert_eq(st.heap.large_bytes, 0u);
  a.destroy_cache(tc);
}

Test(alloc, large_objects_grow_in_place) {
  TestOs os;
  Alloc a(&os, test_config());
  char *p = static_cast<char *>(a.alloc(40000, nullptr));
  std::memset(p, 9, 40000);
  cr_assert(a.try_grow_in_place(p, 300000));
  cr_assert_geq(a.usable_size(p), 300000u);
  cr_assert_eq(p[39999], 9, "contents stay");
  cr_assert_not(a.try_grow_in_place(p, uint64_t{1} << 50), "impossible size");
  void *small = a.alloc(100, nullptr);
  cr_assert_not(a.try_grow_in_place(small, 200), "only large objects grow in place");
  a.free(p, nullptr);
  a.free(small, nullptr);
  cr_assert(a.valid());
}

Test(fork, locks_taken_before_and_reset_in_the_child) {
  TestOs os;
  Alloc a(&os, test_config());
  ThreadCache *mine = a.create_cache();
  std::thread other([&] {
    ThreadCache *tc = a.create_cache();
    for (int i = 0; i < 1000; ++i) a.free(a.alloc(64, tc), tc);  // leaves objects cached there
  });
  other.join();
  void *kept = a.alloc(300, mine);
  std::memset(kept, 7, 300);
  a.lock_all();
  pid_t pid = fork();
  if (pid == 0) {
    a.after_fork_child(mine);  // only this thread's cache survives
    void *p = a.alloc(64, mine);
    void *big = a.alloc(1 << 20, mine);
    bool ok = p != nullptr && big != nullptr && static_cast<unsigned char *>(kept)[299] == 7;
    a.free(p, mine);
    a.free(big, mine);
    a.free(kept, mine);
    ok = ok && a.stats().thread_caches == 1 && a.valid();
    _exit(ok ? 0 : 1);
  }
  a.unlock_all();
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's heap works");
  a.free(kept, mine);
  cr_assert_eq(a.stats().thread_caches, 2u, "the parent still has both caches");
  a.destroy_cache(mine);
}
