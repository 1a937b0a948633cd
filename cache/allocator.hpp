// cache/allocator.hpp: one whole allocator: the page heap (mheap), a central list per size class
// (mcentral) and the registry of thread caches (mcache).  The shim owns one global instance and
// gives each thread a ThreadCache (create_cache) on its first slow path, through the attach hook
// (a thread's initial-exec TLS pointer starts at a shared, read-only cache that is not attached);
// tests make their own instances and caches.
//
// Paths:
//   small (<= 32 KiB)  thread cache list of the class -> central list (batch) -> a span
//   large              a span straight from the page heap (under its lock)
//   free               the page map entry of p gives its class (small) or its span (large)
//                      without touching the span; p must be the start of an object (HPMM_CHECK)
// Double frees of small objects: a freed object of >= 16 bytes carries, in its second word, a
// canary (address ^ key_, key_ random per process) that malloc clears when it hands the object
// out; a free that finds the canary stops the program.  8-byte objects have no room for it: only
// a free of the object at the head of its list is caught there; the central lists catch the rest
// when the object reaches its span's bitmap.  Pointers outside every arena are "foreign" (given
// out before hpmm took over, e.g. by ld.so's minimal malloc): free() reports them to the caller.
// Central lists are made on first use (bind): until then a class's storage in central_mem_ is
// not written, so a program's start-up touches only the pages of the classes it uses (592 bytes
// a list; in the shim's zeroed static storage the others stay untouched: libhpmm's .bss
// resident at small_lifo's exit 92 -> 52 KiB with the 112 classes of the time).  bound_[c] != 0
// <=> list c is constructed; it never goes back to 0.
// Invariants: see valid(); stats() explains the accounting.
// Synchronisation: thread caches are owned by their threads; central lists have their locks; the
// page heap has its lock; the registry (reg_lock_) guards the list of thread caches; bind_lock_
// serialises the construction of central lists (bound_[c] is stored with release after it and
// read with acquire).  Lock order: reg_lock_ -> bind_lock_ -> central locks (in class order) ->
// page heap lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "base/check.hpp"
#include "cache/central_free_list.hpp"
#include "cache/thread_cache.hpp"
#include "heap/page_heap.hpp"
#include "heap/size_classes.hpp"

namespace hpmm {

struct AllocatorConfig {
  PageHeapConfig page_heap;
  uint64_t thread_cache_bytes = 4u << 20;  // per thread, before it gives half back
  uint64_t canary_key = 0x9e3779b97f4a7c15;
};

struct ClassStats {
  uint64_t size;
  uint64_t spans;
  uint64_t in_use;            // objects held by the program
  uint64_t in_thread_caches;  // objects free in thread caches
  uint64_t in_central;        // objects free in spans and transfer caches
};

struct AllocatorStats {
  PageHeapStats heap;
  uint64_t small_in_use_bytes;
  uint64_t thread_cache_bytes;
  uint64_t central_free_bytes;
  uint64_t thread_caches;
  ClassStats classes[kNumClasses];
};

template <HeapOs Os>
class Allocator {
 public:
  Allocator(Os *os, const AllocatorConfig &cfg) : cfg_(cfg), heap_(os, cfg.page_heap) {}
  Allocator(const Allocator &) = delete;
  Allocator &operator=(const Allocator &) = delete;

  PageHeap<Os> &page_heap() { return heap_; }
  // The central list of class c (1 <= c < kNumClasses), made on first use.
  CentralFreeList<Os> &central(uint32_t c) {
    if (HPMM_UNLIKELY(bound_[c].load(std::memory_order_acquire) == 0)) bind(c);
    return *std::launder(central_at(c));
  }
  bool central_bound(uint32_t c) const { return bound_[c].load(std::memory_order_acquire) != 0; }
  const AllocatorConfig &config() const { return cfg_; }
  void set_config(const AllocatorConfig &cfg) {
    cfg_ = cfg;
    LockGuard g(heap_.lock());
    heap_.set_config(cfg.page_heap);
  }

  // ---- thread caches ----
  ThreadCache *create_cache() {
    void *mem;
    {
      LockGuard g(heap_.lock());
      mem = heap_.meta().alloc(sizeof(ThreadCache));
    }
    if (mem == nullptr) return nullptr;
    auto *tc = new (mem) ThreadCache();
    attach_cache(tc);
    return tc;
  }
  // Gives every cached object back and forgets tc.
  void destroy_cache(ThreadCache *tc) {
    detach_cache(tc);
    LockGuard g(heap_.lock());
    heap_.meta().free(tc, sizeof(ThreadCache));
  }
  // Registers a cache whose storage the caller owns, in its constructed or detached state:
  // empty, every max_length 0.
  void attach_cache(ThreadCache *tc) {
    HPMM_ASSERT(!tc->attached && tc->capacity == 0);
    tc->max_bytes = cfg_.thread_cache_bytes;
    LockGuard g(reg_lock_);
    tc->prev = nullptr;
    tc->next = caches_;
    if (caches_ != nullptr) caches_->prev = tc;
    caches_ = tc;
    ++ncaches_;
    tc->attached = true;
  }
  // Gives every cached object back, sets every bound to 0 (so each later call takes a slow path,
  // which asks the hook for a cache and otherwise goes to the central lists) and forgets tc.
  void detach_cache(ThreadCache *tc) {
    flush(tc);
    for (uint32_t c = 1; c < kNumClasses; ++c) tc->set_max_length(c, 0);
    tc->max_bytes = 0;
    LockGuard g(reg_lock_);
    if (tc->prev != nullptr) {
      tc->prev->next = tc->next;
    } else {
      caches_ = tc->next;
    }
    if (tc->next != nullptr) tc->next->prev = tc->prev;
    tc->prev = tc->next = nullptr;
    --ncaches_;
    tc->attached = false;
  }
  // Called by a slow path (a free that finds room 0, a malloc that finds the list empty) given a
  // cache that is not attached -- in the shim, the shared detached cache a thread's TLS pointer
  // starts at and returns to at its exit: the cache to use instead (attached), or nullptr when
  // there is none (a thread past its exit), in which case the call goes to the central lists.
  // The allocator never writes into a cache that is not attached, so such a cache may be shared
  // by threads and read-only.  Without a hook such caches stay detached.
  using AttachHook = ThreadCache *(*)(ThreadCache *);
  void set_attach_hook(AttachHook h) { attach_hook_ = h; }
  void flush(ThreadCache *tc) {
    for (uint32_t c = 1; c < kNumClasses; ++c) release(tc, c, tc->length(c));
  }

  // ---- allocation; nullptr when the OS refuses memory ----
  // n bytes (n == 0 is served as 1).  tc may be nullptr (a thread without a cache).
  void *alloc(size_t n, ThreadCache *tc) {
    if (HPMM_LIKELY(n <= kMaxSmallSize)) return alloc_small(size_class_of(n), tc);
    return alloc_large(n, 1, nullptr);
  }
  void *alloc_small(uint32_t cls, ThreadCache *tc) {
    void *p = tc != nullptr ? tc->pop(cls) : nullptr;
    if (HPMM_UNLIKELY(p == nullptr)) {
      p = refill(cls, tc);
      if (p == nullptr) return nullptr;
      if (cls > 1) static_cast<uintptr_t *>(p)[1] = 0;  // no canary on a live object
    }
    return p;
  }
  // n bytes aligned to align (a power of two).
  void *alloc_aligned(size_t n, size_t align, ThreadCache *tc) {
    if (align <= 16 && (align <= 8 || n > 8)) return alloc(n, tc);
    if (n <= kMaxSmallSize && align <= kPageSize) {
      for (uint32_t c = size_class_of(n == 0 ? 1 : n); c < kNumClasses; ++c)
        if (kSizeClasses[c].size % align == 0) return alloc_small(c, tc);
    }
    uint64_t align_pages = align > kPageSize ? align >> kPageShift : 1;
    return alloc_large(n, align_pages, nullptr);
  }
  // n zeroed bytes.  Large objects on memory fresh from the OS are not cleared again.
  void *alloc_zeroed(size_t n, ThreadCache *tc) {
    if (n <= kMaxSmallSize) {
      void *p = alloc_small(size_class_of(n), tc);
      if (p != nullptr) std::memset(p, 0, n);
      return p;
    }
    bool needzero = true;
    void *p = alloc_large(n, 1, &needzero);
    if (p != nullptr && needzero) std::memset(p, 0, n);
    return p;
  }
  // A large object of n bytes (whole pages) aligned to align_pages pages.  thp false: a block
  // realloc grows (alloc_moved), see PageHeap::new_span.
  void *alloc_large(size_t n, uint64_t align_pages, bool *needzero, bool thp = true) {
    if (HPMM_UNLIKELY(n > (uint64_t{1} << 44))) return nullptr;  // 16 TiB: past any arena
    uint64_t pages = n == 0 ? 1 : (n + kPageSize - 1) >> kPageShift;
    Span *s;
    {
      LockGuard g(heap_.lock());
      s = heap_.new_span(static_cast<uint32_t>(pages), 0, align_pages, thp);
    }
    if (s == nullptr) return nullptr;
    if (needzero != nullptr) *needzero = s->needzero;
    return reinterpret_cast<void *>(s->start);
  }

  // ---- free ----
  // Frees p.  Returns false when p is foreign (outside every arena); stops the program when p is
  // inside the heap but not an object hpmm gave out, or is freed twice (as detectable).  A null
  // p is a no-op (it fails the page map's window test, so the fast path does not test for it).
  bool free(void *p, ThreadCache *tc) {
    if (HPMM_LIKELY(tc != nullptr && free_fast(p, tc))) return true;
    uint64_t e = heap_.entry_of(p);  // the whole map: also outside the hot window
    if (tc != nullptr && free_to_cache(p, tc, e)) return true;
    return free_slow(p, e);
  }

  // free()'s fast path (tc not null): true when p started a small object and is now on tc's
  // list; false for everything else (then free() takes it, which re-reads the page map).  Its
  // only call is free_full (a list with no room), last, so callers can make every exit a tail
  // call.  Writes nothing into a cache that is not attached.
  __attribute__((always_inline)) bool free_fast(void *p, ThreadCache *tc) {
    // 0 outside the page map's hot window, which free() then reads whole.
    return free_to_cache(p, tc, heap_.hot_entry_of(p));
  }

 private:
  // Pushes p onto tc's list if e (its page's entry, or 0) says it starts a small object.  Nothing
  // is written before the list's room is tested: a list with no room (every list of a cache that
  // is not attached) goes to free_full.
  __attribute__((always_inline)) bool free_to_cache(void *p, ThreadCache *tc, uint64_t e) {
    uint32_t slot = entry_slot(e);
    // Slots 0..15 (large objects, and entry 0: foreign pointers, null, addresses outside the
    // window) have no object starts, so this one test also tells a small object; free() takes
    // every other case.
    uint32_t q = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p) & (kPageSize - 1));
    if (HPMM_UNLIKELY(!is_object_start_in_page(q, slot))) return false;
    // slot = class * 16 + page and a FreeList is 16 bytes: the list's offset is the slot's top.
    static_assert(sizeof(FreeList) == kMaxSpanPages && offsetof(ThreadCache, lists) == 0);
    FreeList &l = tc->list_at(slot & ~(kMaxSpanPages - 1));
    int32_t room = l.room - 1;  // after the push
    if (HPMM_UNLIKELY(room < 0)) {
      free_full(p, tc, slot / kMaxSpanPages);  // a tail call: nothing follows it
      return true;
    }
    void *head = l.head;
    if (HPMM_LIKELY(mark_freed(p, l, head))) {
      *static_cast<void **>(p) = head;  // for 8-byte objects this link replaces the canary
      l.head = p;
      l.room = room;
      return true;
    }
    double_free_found();  // does not return; a tail call, so the fast path needs no frame
    return true;
  }

  // p starts a small object of class cls and tc's list has no room: tc is not attached (the
  // hook gives the cache to use, or the object goes to its central list), or the list is full
  // (p goes on it and the list overflows).
  __attribute__((noinline)) void free_full(void *p, ThreadCache *tc, uint32_t cls) {
    if (HPMM_UNLIKELY(!tc->attached)) {
      tc = adopt(tc);
      if (tc == nullptr) return free_to_central(p, cls);
    }
    const FreeList &l = tc->lists[cls];
    if (HPMM_UNLIKELY(!mark_freed(p, l, l.head))) double_free_found();
    if (HPMM_UNLIKELY(tc->push(p, cls))) overflow(tc, cls);
  }

  // The double-free test of both cache paths: p, about to go on list l (whose head is head),
  // gets its canary (p ^ key, at l.canary_off) unless it already carries it or heads the list;
  // then it returns false having written nothing.  The canary catches a second free of an object
  // still in a cache or central list (the link at offset 0 overwrites it only in 8-byte objects,
  // where the head test is all there is).
  __attribute__((always_inline)) bool mark_freed(void *p, const FreeList &l, const void *head) {
    auto *w = reinterpret_cast<uintptr_t *>(static_cast<char *>(p) + l.canary_off);
    uintptr_t canary = reinterpret_cast<uintptr_t>(p) ^ cfg_.canary_key;
    if (*w == canary || head == p) return false;
    *w = canary;
    return true;
  }

  // The attached cache to use in place of tc, which is not attached: the hook's, or nullptr.
  __attribute__((noinline, cold)) ThreadCache *adopt(ThreadCache *tc) {
    ThreadCache *r = attach_hook_ != nullptr ? attach_hook_(tc) : nullptr;
    HPMM_CHECK(r == nullptr || r->attached, "the attach hook gave a cache that is not attached");
    return r;
  }

  // A small object p of class cls (its start checked) straight to its central list.
  void free_to_central(void *p, uint32_t cls) {
    if (cls > 1) {
      uintptr_t *w = static_cast<uintptr_t *>(p);
      uintptr_t canary = reinterpret_cast<uintptr_t>(p) ^ cfg_.canary_key;
      HPMM_CHECK(w[1] != canary, "double free of a small object");
      w[1] = canary;
    }
    central(cls).insert_one(p);
  }

 public:
  // ---- realloc's moves (shim/malloc.cc: realloc grows in place, else moves through these) ----
  // Growth by realloc from kMovedToPages bytes up makes a large object: whole pages, which go
  // straight back to the page heap when the buffer moves on, and can grow in place.  A buffer
  // grown by small steps passes through many size classes once each, and the objects it leaves
  // behind sit free in their classes' spans (thread caches, central lists) rather than serving
  // the next request: bench/alloc realloc_growth peaked 6 MiB higher that way (5 seeds).
  static constexpr size_t kMovedToPages = 4096;

  // Bytes to ask for when realloc moves a block of `old` usable bytes to hold n: growth gets room
  // to grow by half again (max(n, old + old / 2)), so a buffer grown by small steps moves
  // O(log n) times rather than once per size class it passes (above 8 KiB classes are 256 B to
  // 2 KiB apart); a block that shrinks gets n.
  static size_t moved_size(size_t old, size_t n) {
    return n > old && n - old < old / 2 ? old + old / 2 : n;
  }

  // The new block for a realloc that moves a block of `old` usable bytes to n > 0 bytes: of
  // moved_size(old, n) bytes if the OS gives them, else of n; a large object when it grows to
  // kMovedToPages or more.  nullptr when the OS refuses memory (the caller keeps the old block).
  // A grown large object below a hugepage goes into the filler, and a hugepage taken new for it
  // is not advised THP (alloc_large with thp false): the buffer will move on and leave its old
  // copy free there, and a THP fault would zero and keep resident 2 MiB for the part it touches.
  void *alloc_moved(size_t old, size_t n, ThreadCache *tc) {
    const size_t want = moved_size(old, n);
    const bool pages = n > old && want >= kMovedToPages;
    auto take = [&](size_t m) { return pages ? alloc_large(m, 1, nullptr, false) : alloc(m, tc); };
    void *q = take(want);
    return q == nullptr && want != n ? take(n) : q;
  }

  // Frees the old copy of a large block realloc moved: its bytes are garbage, so its pages go back
  // to the OS at once (PageHeap::delete_span with discard) instead of staying resident as free
  // pages until their hugepage empties.  p must start a live large object.
  void free_moved_large(void *p) { free_large(p, heap_.entry_of(p), true); }

  // Grows the large object at p in place to at least n bytes if the pages after it are free.
  bool try_grow_in_place(void *p, size_t n) {
    uint64_t e = heap_.entry_of(p);
    if (e == 0 || entry_class(e) != 0 || n > (uint64_t{1} << 44)) return false;
    Span *s = entry_span(e);
    uint64_t pages = (n + kPageSize - 1) >> kPageShift;
    LockGuard g(heap_.lock());
    if (s->start != reinterpret_cast<uintptr_t>(p) || pages <= s->npages) return false;
    return heap_.try_extend(s, static_cast<uint32_t>(pages));
  }

  // Bytes usable at p (the class size, or the large object's pages), 0 if p is foreign.
  size_t usable_size(const void *p) const {
    uint64_t e = heap_.entry_of(p);
    uint32_t cls = entry_class(e);
    if (cls != 0) return kSizeClasses[cls].size;
    if (e == 0) return 0;
    const Span *s = entry_span(e);
    return s->end() - reinterpret_cast<uintptr_t>(p);
  }
  // Whether p is a live object start of this heap (for realloc of pointers that may be foreign).
  bool owns(const void *p) {
    if (heap_.entry_of(p) != 0) return true;
    LockGuard g(heap_.lock());
    return heap_.owns(p);
  }

  // ---- memory back to the OS ----
  uint64_t release(bool all, bool break_hugepages) {
    if (all)
      for (uint32_t c = 1; c < kNumClasses; ++c)
        if (central_bound(c)) central(c).drain();
    LockGuard g(heap_.lock());
    return heap_.release(all, break_hugepages);
  }

  // ---- fork: every lock, in lock order ----
  void lock_all() {
    reg_lock_.lock();
    bind_lock_.lock();  // the set of bound lists stays as it is until unlock_all
    for (uint32_t c = 1; c < kNumClasses; ++c)
      if (central_bound(c)) central(c).lock().lock();
    heap_.lock().lock();
  }
  void unlock_all() {
    heap_.lock().unlock();
    for (uint32_t c = kNumClasses - 1; c >= 1; --c)
      if (central_bound(c)) central(c).lock().unlock();
    bind_lock_.unlock();
    reg_lock_.unlock();
  }
  // In the child: only `survivor` (the forking thread's cache, may be null) still has a thread.
  void after_fork_child(ThreadCache *survivor) {
    heap_.lock().reset();
    for (uint32_t c = 1; c < kNumClasses; ++c)
      if (central_bound(c)) central(c).lock().reset();
    bind_lock_.reset();
    reg_lock_.reset();
    caches_ = survivor;
    ncaches_ = survivor != nullptr ? 1 : 0;
    if (survivor != nullptr) survivor->prev = survivor->next = nullptr;
  }

  AllocatorStats stats() {
    AllocatorStats st{};
    {
      LockGuard g(heap_.lock());
      st.heap = heap_.stats();
    }
    uint64_t cached[kNumClasses] = {};
    {
      LockGuard g(reg_lock_);
      for (ThreadCache *tc = caches_; tc != nullptr; tc = tc->next)
        for (uint32_t c = 1; c < kNumClasses; ++c) cached[c] += tc->length(c);
      st.thread_caches = ncaches_;
    }
    for (uint32_t c = 1; c < kNumClasses; ++c) {
      ClassStats &cs = st.classes[c];
      uint64_t spans = 0, free = 0, transfer = 0;
      if (central_bound(c)) {
        CentralFreeList<Os> &cl = central(c);
        LockGuard g(cl.lock());
        spans = cl.spans();
        free = cl.free_in_spans();
        transfer = cl.in_transfer();
      }
      cs.size = kSizeClasses[c].size;
      cs.spans = spans;
      cs.in_thread_caches = cached[c];
      cs.in_central = free + transfer;
      uint64_t total = spans * kSizeClasses[c].objects;
      uint64_t out = free + transfer + cached[c];
      cs.in_use = total > out ? total - out : 0;
      st.small_in_use_bytes += cs.in_use * cs.size;
      st.thread_cache_bytes += cached[c] * cs.size;
      st.central_free_bytes += cs.in_central * cs.size;
    }
    return st;
  }

  bool valid() {
    for (uint32_t c = 1; c < kNumClasses; ++c)
      if (central_bound(c) && !central(c).valid()) return false;
    LockGuard g(heap_.lock());
    return heap_.valid();
  }

 private:
  // p must start an object: the check of its page's slot (class and page in span, from the
  // entry) on p's offset in the page.
  static void check_small(const void *p, uint32_t slot) {
    uint32_t q = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p) & (kPageSize - 1));
    HPMM_CHECK(is_object_start_in_page(q, slot),
               "free of an invalid pointer: inside a small object, not its start");
  }

  // Stops the program.  Not declared noreturn, so that free_fast can reach it by a tail call.
  __attribute__((noinline, cold)) static void double_free_found() {
    check_failed(__FILE__, __LINE__, "canary or list head", "double free of a small object");
  }

  // Small objects of a thread without a cache, pointers inside small objects (which stop the
  // program here), large objects, foreign pointers, null.
  __attribute__((noinline)) bool free_slow(void *p, uint64_t e) {
    if (p == nullptr) return true;
    uint32_t cls = entry_class(e);
    if (cls != 0) {
      check_small(p, entry_slot(e));
      free_to_central(p, cls);
      return true;
    }
    return free_large(p, e);
  }

  bool free_large(void *p, uint64_t e, bool discard = false) {
    LockGuard g(heap_.lock());
    if (e == 0) {
      HPMM_CHECK(
          !heap_.owns(p),
          "free of an invalid pointer: inside the heap but not allocated (or a double free)");
      return false;
    }
    Span *s = entry_span(e);
    HPMM_CHECK(s->start == reinterpret_cast<uintptr_t>(p),
               "free of an invalid pointer: inside a large object, not its start");
    heap_.delete_span(s, discard);
    return true;
  }

  // A list's next bound below a batch: doubled (1, 2, 4, ... batch), so a list whose bound was
  // lowered for another's growth is back at a batch after a few refills or overflows.
  static uint32_t slow_start(uint32_t max_length, uint32_t batch) {
    uint32_t m = max_length > 0 ? max_length * 2 : 1;
    return m < batch ? m : batch;
  }

  // The list of cls is empty: a batch from the central list (at most max_length, at least 1; at
  // most one_way_length for a one-way list, whose bound is then capped there).
  __attribute__((noinline)) void *refill(uint32_t cls, ThreadCache *tc) {
    void *h, *t;
    if (tc != nullptr && HPMM_UNLIKELY(!tc->attached)) tc = adopt(tc);
    if (tc == nullptr) return central(cls).remove_range(&h, &t, 1) != 0 ? h : nullptr;
    uint32_t max_length = tc->bounds[cls].max_length;
    uint32_t batch = kSizeClasses[cls].batch;
    uint32_t cap = ThreadCache::one_way_length(cls);
    bool one_way = tc->note(cls, 1) && cap < batch;
    uint32_t want = max_length < batch ? max_length : batch;
    if (one_way && want > cap) want = cap;
    uint32_t got = central(cls).remove_range(&h, &t, want > 0 ? want : 1);
    if (got == 0) return nullptr;
    if (got > 1) tc->push_range(*static_cast<void **>(h), t, got - 1, cls);
    if (one_way) {
      bound_one_way(tc, cls, cap);
      return h;
    }
    uint32_t m = max_length + batch;
    if (m > ThreadCache::kMaxListLength) m = ThreadCache::kMaxListLength;
    if (max_length < batch) {
      grow(tc, cls, slow_start(max_length, batch));
    } else if (tc->capacity + uint64_t{batch} * kSizeClasses[cls].size <= tc->max_bytes) {
      tc->set_max_length(cls, m - m % batch);  // past a batch only while capacity is free
    }
    return h;
  }

  // A list grew past its max_length.  A one-way list (it only overflows) is capped at
  // one_way_length and gives back runs of that length whole, which the transfer cache keeps
  // (merged up to a batch for classes up to CentralFreeList::kMergeMaxSize) for the allocating
  // side.
  __attribute__((noinline)) void overflow(ThreadCache *tc, uint32_t cls) {
    HPMM_ASSERT(tc->attached);
    ListBound &b = tc->bounds[cls];
    uint32_t batch = kSizeClasses[cls].batch;
    uint32_t cap = ThreadCache::one_way_length(cls);
    if (tc->note(cls, -1) && cap < batch) {
      bound_one_way(tc, cls, cap);
      uint32_t len = tc->length(cls);
      release_runs(tc, cls, len < cap ? len : len - len % cap, cap, true);
      return;
    }
    release(tc, cls, batch);
    if (b.max_length < batch) {
      grow(tc, cls, slow_start(b.max_length, batch));
    } else if (b.max_length > batch && ++b.overages > ThreadCache::kMaxOverages) {
      tc->set_max_length(cls, b.max_length - batch);
      b.overages = 0;
    }
  }

  // A one-way list's bound: capped at cap (one_way_length), or growing towards it.
  void bound_one_way(ThreadCache *tc, uint32_t cls, uint32_t cap) {
    uint32_t max_length = tc->bounds[cls].max_length;
    if (max_length == cap) return;  // the steady state: no call to grow
    if (max_length > cap) {
      tc->set_max_length(cls, cap);
    } else {
      grow(tc, cls, slow_start(max_length, cap));
    }
  }

  // Raises list cls's max_length to m if capacity allows, lowering other lists' bounds round
  // robin as needed: each gives up at least half of its bound (and gives back what it holds past
  // the new one); a list whose growth the others cannot pay for keeps its bound.
  void grow(ThreadCache *tc, uint32_t cls, uint32_t m) {
    if (m <= tc->bounds[cls].max_length) return;
    const uint64_t need = uint64_t{m - tc->bounds[cls].max_length} * kSizeClasses[cls].size;
    while (tc->capacity + need > tc->max_bytes) {
      uint32_t v = tc->next_bounded(cls);
      if (v == 0) return;
      uint32_t vmax = tc->bounds[v].max_length;
      uint64_t vsize = kSizeClasses[v].size;
      uint64_t take = (tc->capacity + need - tc->max_bytes + vsize - 1) / vsize;
      if (take < (vmax + 1) / 2) take = (vmax + 1) / 2;
      tc->set_max_length(v, take >= vmax ? 0 : vmax - static_cast<uint32_t>(take));
      if (tc->lists[v].room < 0) release(tc, v, static_cast<uint32_t>(-tc->lists[v].room));
    }
    tc->set_max_length(cls, m);
  }

  // Gives n objects of list c back to the central list, a batch at a time.
  void release(ThreadCache *tc, uint32_t c, uint32_t n) {
    release_runs(tc, c, n, kSizeClasses[c].batch, false);
  }
  // Gives n objects of list c back in runs of at most `run`; `whole` runs count as full batches
  // for the transfer cache (a one-way list's runs, which the other side takes whole).
  void release_runs(ThreadCache *tc, uint32_t c, uint32_t n, uint32_t run, bool whole) {
    while (n > 0) {
      void *h, *t;
      uint32_t k = tc->pop_range(c, n < run ? n : run, &h, &t);
      if (k == 0) return;
      central(c).insert_range(h, t, k, whole);
      n -= k;
    }
  }

  // Constructs central list c (once; see the header).
  __attribute__((noinline, cold)) void bind(uint32_t c) {
    LockGuard g(bind_lock_);
    if (bound_[c].load(std::memory_order_relaxed) != 0) return;
    auto *cl = new (central_at(c)) CentralFreeList<Os>();
    cl->init(c, &heap_);
    bound_[c].store(1, std::memory_order_release);
  }

  // Cache lines: free()'s fast path reads cfg_.canary_key and the page map's hot window on every
  // call, from every thread; the page heap's lock word and counters and the central lists' locks
  // are written by whichever thread takes them.  So none of these shares a line with another:
  // heap_ starts a line (PageMap keeps its window on a line of its own), and each central list
  // has whole lines (kCentralStride).  With them packed, prodcons's consumer missed on canary_key
  // at each span the producer took (the page heap lock was on its line), and neighbouring
  // classes' lists, used by the two threads at once, shared lines.
  static constexpr size_t kLine = 64;
  static constexpr size_t kCentralStride =
      (sizeof(CentralFreeList<Os>) + kLine - 1) / kLine * kLine;
  CentralFreeList<Os> *central_at(uint32_t c) {
    return reinterpret_cast<CentralFreeList<Os> *>(central_mem_ + size_t{c} * kCentralStride);
  }

  AllocatorConfig cfg_;
  alignas(kLine) PageHeap<Os> heap_;
  // Storage of the central lists (index = class; 0 unused), written only by bind.
  alignas(kLine) unsigned char central_mem_[kCentralStride * kNumClasses];
  std::atomic<uint8_t> bound_[kNumClasses] = {};
  SpinLock bind_lock_;
  SpinLock reg_lock_;
  AttachHook attach_hook_ = nullptr;  // set once, before any thread's first free
  ThreadCache *caches_ = nullptr;
  uint64_t ncaches_ = 0;
};

}  // namespace hpmm
