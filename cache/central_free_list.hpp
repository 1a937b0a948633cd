// cache/central_free_list.hpp: the central list of one size class (Go's mcentral, TCMalloc's
// CentralFreeList + TransferCache): it moves objects between thread caches and spans in batches.
//
// Two stores, both under lock_:
//   slots_   a transfer cache: up to kSlots runs of at most a batch each, as they came from
//            thread caches (linked lists through the objects' first words), handed out again
//            whole in O(1) or in part by walking the part, so a producer thread and a consumer
//            thread trade objects without touching spans;
//   spans    spans of this class with free objects, objects taken by bitmap (ctz) and given back
//            by bit (a second give of one object is a double free: HPMM_CHECK).  They sit in
//            kBuckets lists by how full they are, bucket(a) = (a * bucket_mult_) >> 16 for a =
//            objects - nfree in use, bucket_mult_ = floor(kBuckets * 2^16 / objects), so
//            0 <= bucket(a) < kBuckets and bucket is monotone in a; objects are taken from the
//            fullest nonempty bucket (TCMalloc's order), so lightly used spans are left to drain,
//            empty and go back to the page heap, where any class can reuse their pages.  A span
//            moves between buckets only when its bucket changes: O(1) (bucket_mask_ finds the
//            fullest bucket with one count-leading-zeros).
// Idle objects go back (TCMalloc's plunder): every idle_objects_ objects moved through
// remove_range and insert_range, the oldest transfer-cache runs that add up to at most the
// interval's low-water mark of slot_objects_ (objects no thread asked for all interval) go to
// their spans.  A span whose objects all came back returns to the page heap at once (no spare:
// with the 112-class table of the time, spares of up to 15 pages a class cost steady_heap,
// mixed_sizes and realloc_growth 2-5 MiB of peak RSS, and a 2-page spare a class did not lower
// the span traffic of prodcons under today's 71 classes, whose spans of 513 B - 8 KiB are 1-8
// pages of 1-14 objects: the transfer cache below keeps its runs from reaching the spans).
// Without these, each class's spans follow its own high point, and a program whose demand moves
// between classes (prodcons: 10 % of 8,704 live blocks spread over the 30 classes of 513 B -
// 8 KiB) holds the sum of the per-class maxima.
// Producer/consumer bursts (classes up to kMergeMaxSize): a one-way list's runs (whole, at most
// 16 KiB: 2-4 objects for 4-8 KiB) merge in the transfer cache up to a batch, so it holds kSlots
// batches of them, and the idle interval is kIdleOps batches of objects (not kIdleOps calls,
// which for runs of 2 was a quarter of a consumer's burst).  Otherwise the runs the producer
// takes next went to spans of 1-2 objects, emptied them, and each cost a page-heap round trip
// (prodcons: 13,253 span frees at scale 0.1, 8 % more instructions).  Above kMergeMaxSize (one
// object a run) each run keeps a slot and the interval is kIdleOps objects: there the longer
// hold cost mixed_sizes, whose single thread's lists turn one-way by chance, 2 MiB of RSS.
// Invariants (valid()): every span on list b has 0 < nfree, bucket(objects - nfree) == b, cls ==
// this class, is valid, and its prev links mirror next; bit b of bucket_mask_ is set iff list b is
// nonempty; free objects on the lists add to span_free_; slot counts add to slot_objects_; every
// slot holds at most a batch.
// Lock order: a central lock may be held while taking the page heap's lock, never the reverse.
#pragma once

#include <bit>
#include <cstdint>

#include "base/check.hpp"
#include "heap/page_heap.hpp"
#include "heap/size_classes.hpp"
#include "heap/span.hpp"
#include "heap/spin_lock.hpp"

namespace hpmm {

template <HeapOs Os>
class CentralFreeList {
 public:
  static constexpr uint32_t kSlots = 16;
  static constexpr uint64_t kPartialBytes = 16 * 1024;
  static constexpr uint32_t kBuckets = 16;
  // The idle interval: kIdleOps batches of objects moved (kIdleOps objects above kMergeMaxSize).
  static constexpr uint32_t kIdleOps = 32;
  // Classes up to this size merge one-way runs in the transfer cache (see the header).
  static constexpr uint32_t kMergeMaxSize = 8192;

  void init(uint32_t cls, PageHeap<Os> *heap) {
    cls_ = cls;
    heap_ = heap;
    // Bound what the transfer cache holds to about 256 KiB per class.
    uint64_t batch_bytes = uint64_t{kSizeClasses[cls].batch} * kSizeClasses[cls].size;
    uint64_t slots = (256 * 1024) / batch_bytes;
    max_slots_ = static_cast<uint32_t>(slots < 2 ? 2 : slots > kSlots ? kSlots : slots);
    objects_ = kSizeClasses[cls].objects;
    bucket_mult_ = (kBuckets << 16) / objects_;
    const bool merge = kSizeClasses[cls].size <= kMergeMaxSize;
    merge_limit_ = merge ? kSizeClasses[cls].batch : 0;
    idle_objects_ = kIdleOps * (merge ? kSizeClasses[cls].batch : 1);
  }

  SpinLock &lock() { return lock_; }

  // Up to n (>= 1) objects linked through their first words (a transfer-cache batch when one of
  // at most n objects is there); returns the count, 0 when the OS refuses memory.  *tail's link
  // is unset.
  uint32_t remove_range(void **head, void **tail, uint32_t n) {
    LockGuard g(lock_);
    if (nslots_ > 0) {
      Slot &s = slots_[nslots_ - 1];
      if (s.count <= n) {  // the whole batch
        --nslots_;
        slot_objects_ -= s.count;
        *head = s.head;
        *tail = s.tail;
        uint32_t got = s.count;
        tick(got);
        return got;
      }
      void *t = s.head;  // the first n of it
      for (uint32_t i = 1; i < n; ++i) t = *static_cast<void **>(t);
      *head = s.head;
      *tail = t;
      s.head = *static_cast<void **>(t);
      s.count -= n;
      slot_objects_ -= n;
      tick(n);
      return n;
    }
    low_water_ = 0;
    uint32_t got = 0;
    void *first = nullptr, *last = nullptr;
    while (got < n) {
      Span *s;
      uint32_t b;
      if (bucket_mask_ != 0) {
        b = 31 - static_cast<uint32_t>(std::countl_zero(bucket_mask_));
        s = lists_[b];
      } else {
        s = grow();
        if (s == nullptr) break;
        b = 0;
      }
      void *h, *t;
      uint32_t k = s->take(n - got, &h, &t);
      if (last != nullptr) {
        *static_cast<void **>(last) = h;
      } else {
        first = h;
      }
      last = t;
      got += k;
      span_free_ -= k;
      if (s->nfree == 0) {
        unlink(s, b);
      } else if (uint32_t nb = bucket_of(s); nb != b) {
        unlink(s, b);
        link(s, nb);
      }
    }
    *head = first;
    *tail = last;
    tick(got);
    return got;
  }

  // Takes back n (<= batch) objects linked from head (each must be an object of this class that
  // was handed out).  A full batch goes to the transfer cache when it has a free slot (at most
  // max_slots_, about 256 KiB of batches); so does a `whole` run, a one-way list's bound's worth
  // (ThreadCache::one_way_length, <= 16 KiB), since the other side takes such runs whole: it
  // joins the top slot while that stays within a batch (classes up to kMergeMaxSize), else takes
  // a slot of the kSlots while one is free (so whole runs hold at most kSlots batches: up to
  // 1 MiB for the classes of 1-8 KiB, whose batches are about 64 KiB, but the idle release
  // returns what the other side does not take; above kMergeMaxSize, kSlots runs of at most
  // 16 KiB).  Any other partial run (a
  // thread cache whose list is still short, max_length < batch, trades a few objects at a time)
  // goes there too while the transfer cache holds at most kPartialBytes, so that those trades
  // need no bitmap update per object either, yet objects parked there cannot keep many spans
  // from emptying (without that bound, realloc_growth's peak RSS grew by 17 %).
  void insert_range(void *head, void *tail, uint32_t n, bool whole = false) {
    LockGuard g(lock_);
    const uint32_t batch = kSizeClasses[cls_].batch;
    if (whole && nslots_ > 0 && slots_[nslots_ - 1].count + n <= merge_limit_) {
      Slot &top = slots_[nslots_ - 1];
      *static_cast<void **>(tail) = top.head;
      top.head = head;
      top.count += n;
      slot_objects_ += n;
      tick(n);
      return;
    }
    if ((whole ? nslots_ < kSlots : nslots_ < max_slots_) &&
        (n == batch || whole ||
         (n < batch && (slot_objects_ + n) * kSizeClasses[cls_].size <= kPartialBytes))) {
      slots_[nslots_++] = Slot{head, tail, n};
      slot_objects_ += n;
    } else {
      release_to_spans(head, n);
    }
    tick(n);
  }

  // Takes back one object freed by a thread without a cache, straight to its span's bitmap,
  // where a second free of it is caught (8-byte objects have no canary).
  void insert_one(void *p) {
    LockGuard g(lock_);
    release_to_spans(p, 1);
  }

  // Gives everything in the transfer cache back to the spans (for trimming and tests).
  void drain() {
    LockGuard g(lock_);
    while (nslots_ > 0) {
      Slot s = slots_[--nslots_];
      slot_objects_ -= s.count;
      release_to_spans(s.head, s.count);
    }
  }

  // Counters (read racily for statistics).
  uint64_t spans() const { return spans_; }
  uint64_t free_in_spans() const { return span_free_; }
  uint64_t in_transfer() const { return slot_objects_; }

  bool valid() {
    LockGuard g(lock_);
    uint64_t free = 0, in_slots = 0;
    for (uint32_t b = 0; b < kBuckets; ++b) {
      if (((bucket_mask_ >> b) & 1) != (lists_[b] != nullptr)) return false;
      Span *prev = nullptr;
      for (Span *s = lists_[b]; s != nullptr; prev = s, s = s->next) {
        if (s->nfree == 0 || !s->valid() || s->cls != cls_ || s->prev != prev) return false;
        if (bucket_of(s) != b) return false;
        free += s->nfree;
      }
    }
    for (uint32_t i = 0; i < nslots_; ++i) {
      if (slots_[i].count == 0 || slots_[i].count > kSizeClasses[cls_].batch) return false;
      in_slots += slots_[i].count;
    }
    return in_slots == slot_objects_ && free == span_free_;
  }

 private:
  struct Slot {
    void *head;
    void *tail;
    uint32_t count;
  };

  // Counts a transfer of n objects; every kIdleOps batches of them, the oldest runs that add up
  // to at most the low-water mark of slot_objects_ over the interval go to the spans.
  void tick(uint32_t n) {
    if (slot_objects_ < low_water_) low_water_ = slot_objects_;
    ops_ += n;
    if (ops_ < idle_objects_) return;
    ops_ = 0;
    uint64_t idle = low_water_;
    uint32_t k = 0;
    while (k < nslots_ && slots_[k].count <= idle) {
      idle -= slots_[k].count;
      slot_objects_ -= slots_[k].count;
      release_to_spans(slots_[k].head, slots_[k].count);
      ++k;
    }
    if (k > 0) {
      for (uint32_t i = k; i < nslots_; ++i) slots_[i - k] = slots_[i];
      nslots_ -= k;
    }
    low_water_ = slot_objects_;
  }

  // Gives n objects linked from head back to their spans' bitmaps.  A run's objects mostly come
  // in stretches from one span, so a span changes bucket (or leaves) once per stretch.
  void release_to_spans(void *head, uint32_t n) {
    Span *cur = nullptr;
    uint32_t cur_free = 0;  // cur->nfree before this stretch
    for (uint32_t k = 0; k < n; ++k) {
      void *obj = head;
      head = *static_cast<void **>(obj);
      // The page's entry tells its class and page in the span (a link overwritten after free
      // points elsewhere and is caught here): one object-start check, no Span field read.
      uint64_t e = heap_->entry_of(obj);
      uint32_t slot = entry_slot(e);
      uint32_t q = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(obj) & (kPageSize - 1));
      HPMM_CHECK(slot / kMaxSpanPages == cls_ && is_object_start_in_page(q, slot),
                 "free: not the start of an object of its class (a free list was overwritten)");
      Span *s = entry_span(e);
      if (s != cur) {
        if (cur != nullptr) settle(cur, cur_free);
        cur = s;
        cur_free = s->nfree;
      }
      uint32_t i =
          object_index(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(obj) - s->start), cls_);
      HPMM_ASSERT(i == s->index_of(obj));
      HPMM_CHECK(s->give(i), "double free of a small object");
      ++span_free_;
    }
    if (cur != nullptr) settle(cur, cur_free);
  }

  // Puts span s, which had old_free free objects before objects came back, on its new bucket's
  // list (or on one at all, if it was full) and gives it to the page heap when every object is
  // back.
  void settle(Span *s, uint32_t old_free) {
    const uint32_t objects = objects_;
    uint32_t nb = bucket_at(objects - s->nfree);
    if (old_free == 0) {
      link(s, nb);
    } else if (uint32_t ob = bucket_at(objects - old_free); ob != nb) {
      unlink(s, ob);
      link(s, nb);
    }
    if (s->nfree == objects) free_span(s);
  }

  // Gives an empty span on list 0 back to the page heap.
  void free_span(Span *s) {
    unlink(s, 0);
    span_free_ -= s->nfree;
    --spans_;
    LockGuard hg(heap_->lock());
    heap_->delete_span(s);
  }

  Span *grow() {
    Span *s;
    {
      LockGuard hg(heap_->lock());
      s = heap_->new_span(kSizeClasses[cls_].pages, cls_);
    }
    if (s == nullptr) return nullptr;
    ++spans_;
    span_free_ += s->nfree;
    link(s, 0);
    return s;
  }

  // The bucket of a span with a objects in use, and of span s.
  uint32_t bucket_at(uint32_t a) const { return (a * bucket_mult_) >> 16; }
  uint32_t bucket_of(const Span *s) const { return bucket_at(objects_ - s->nfree); }

  void link(Span *s, uint32_t b) {
    s->prev = nullptr;
    s->next = lists_[b];
    if (lists_[b] != nullptr) lists_[b]->prev = s;
    lists_[b] = s;
    bucket_mask_ |= uint32_t{1} << b;
  }
  void unlink(Span *s, uint32_t b) {
    if (s->prev != nullptr) {
      s->prev->next = s->next;
    } else {
      lists_[b] = s->next;
      if (s->next == nullptr) bucket_mask_ &= ~(uint32_t{1} << b);
    }
    if (s->next != nullptr) s->next->prev = s->prev;
    s->prev = s->next = nullptr;
  }

  SpinLock lock_;
  uint32_t cls_ = 0;
  uint32_t max_slots_ = 0;
  uint32_t objects_ = 0;  // objects per span of this class
  uint32_t bucket_mult_ = 0;
  uint32_t bucket_mask_ = 0;  // bit b set iff lists_[b] != nullptr
  PageHeap<Os> *heap_ = nullptr;
  Span *lists_[kBuckets] = {};
  uint32_t nslots_ = 0;
  Slot slots_[kSlots] = {};
  uint64_t spans_ = 0;
  uint64_t span_free_ = 0;
  uint64_t slot_objects_ = 0;
  uint64_t low_water_ = 0;     // min of slot_objects_ since the last idle release
  uint32_t ops_ = 0;           // objects moved since then
  uint32_t merge_limit_ = 0;   // a whole run joins the top slot up to this count (0: never)
  uint32_t idle_objects_ = 0;  // the idle interval in objects
};

}  // namespace hpmm
