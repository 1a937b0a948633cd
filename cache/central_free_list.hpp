// cache/central_free_list.hpp: the central list of one size class (Go's mcentral, TCMalloc's
// CentralFreeList + TransferCache): it moves objects between thread caches and spans in batches.
//
// Two stores, both under lock_:
//   slots_   a transfer cache: up to kSlots runs of at most a batch each, as they came from
//            thread caches (linked lists through the objects' first words), handed out again
//            whole in O(1) or in part by walking the part, so a producer thread and a consumer
//            thread trade objects without touching spans;
//   spans    spans of this class with free objects (nonempty_), objects taken by bitmap (ctz)
//            and given back by bit (a second give of one object is a double free: HPMM_CHECK).
// A span whose objects all came back returns to the page heap, except one kept as a spare so a
// workload at a batch boundary does not ping-pong spans.
// Invariants (valid()): every span on nonempty_ has 0 < nfree and is valid; slot counts add to
// slot_objects_; spare_ (if any) has nfree == objects and is on nonempty_.
// Lock order: a central lock may be held while taking the page heap's lock, never the reverse.
#pragma once

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

  void init(uint32_t cls, PageHeap<Os> *heap) {
    cls_ = cls;
    heap_ = heap;
    // Bound what the transfer cache holds to about 256 KiB per class.
    uint64_t batch_bytes = uint64_t{kSizeClasses[cls].batch} * kSizeClasses[cls].size;
    uint64_t slots = (256 * 1024) / batch_bytes;
    max_slots_ = static_cast<uint32_t>(slots < 2 ? 2 : slots > kSlots ? kSlots : slots);
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
        return s.count;
      }
      void *t = s.head;  // the first n of it
      for (uint32_t i = 1; i < n; ++i) t = *static_cast<void **>(t);
      *head = s.head;
      *tail = t;
      s.head = *static_cast<void **>(t);
      s.count -= n;
      slot_objects_ -= n;
      return n;
    }
    uint32_t got = 0;
    void *first = nullptr, *last = nullptr;
    while (got < n) {
      Span *s = nonempty_;
      if (s == nullptr) {
        s = grow();
        if (s == nullptr) break;
      }
      if (s == spare_) spare_ = nullptr;
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
      if (s->nfree == 0) unlink(s);
    }
    *head = first;
    *tail = last;
    return got;
  }

  // Takes back n (<= batch) objects linked from head (each must be an object of this class that
  // was handed out).  A full batch goes to the transfer cache when it has a free slot (at most
  // max_slots_, about 256 KiB of batches); so does a `whole` run, a one-way list's bound's worth
  // (ThreadCache::one_way_length, <= 16 KiB), while a slot of the kSlots is free (so again at
  // most about 256 KiB), since the other side takes such runs whole.  Any other partial run (a
  // thread cache whose list is still short, max_length < batch, trades a few objects at a time)
  // goes there too while the transfer cache holds at most kPartialBytes, so that those trades
  // need no bitmap update per object either, yet objects parked there cannot keep many spans
  // from emptying (without that bound, realloc_growth's peak RSS grew by 17 %).
  void insert_range(void *head, void *tail, uint32_t n, bool whole = false) {
    LockGuard g(lock_);
    const uint32_t batch = kSizeClasses[cls_].batch;
    if ((whole ? nslots_ < kSlots : nslots_ < max_slots_) &&
        (n == batch || whole ||
         (n < batch && (slot_objects_ + n) * kSizeClasses[cls_].size <= kPartialBytes))) {
      slots_[nslots_++] = Slot{head, tail, n};
      slot_objects_ += n;
      return;
    }
    release_to_spans(head, n);
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
    if (spare_ != nullptr) {
      Span *s = spare_;
      spare_ = nullptr;
      unlink(s);
      span_free_ -= s->nfree;
      --spans_;
      LockGuard hg(heap_->lock());
      heap_->delete_span(s);
    }
  }

  // Counters (read racily for statistics).
  uint64_t spans() const { return spans_; }
  uint64_t free_in_spans() const { return span_free_; }
  uint64_t in_transfer() const { return slot_objects_; }

  bool valid() {
    LockGuard g(lock_);
    uint64_t free = 0, in_slots = 0;
    for (Span *s = nonempty_; s != nullptr; s = s->next) {
      if (s->nfree == 0 || !s->valid() || s->cls != cls_) return false;
      free += s->nfree;
    }
    for (uint32_t i = 0; i < nslots_; ++i) in_slots += slots_[i].count;
    return in_slots == slot_objects_ && free == span_free_;
  }

 private:
  struct Slot {
    void *head;
    void *tail;
    uint32_t count;
  };

  void release_to_spans(void *head, uint32_t n) {
    const uint32_t objects = kSizeClasses[cls_].objects;
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
      uint32_t i =
          object_index(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(obj) - s->start), cls_);
      HPMM_ASSERT(i == s->index_of(obj));
      HPMM_CHECK(s->give(i), "double free of a small object");
      ++span_free_;
      if (s->nfree == 1) link(s);  // it was full
      if (s->nfree == objects) retire(s);
    }
  }

  // A span whose objects are all back: keep one spare, give the rest to the page heap.
  void retire(Span *s) {
    if (spare_ == nullptr) {
      spare_ = s;
      return;
    }
    unlink(s);
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
    link(s);
    return s;
  }

  void link(Span *s) {
    s->prev = nullptr;
    s->next = nonempty_;
    if (nonempty_ != nullptr) nonempty_->prev = s;
    nonempty_ = s;
  }
  void unlink(Span *s) {
    if (s->prev != nullptr) {
      s->prev->next = s->next;
    } else {
      nonempty_ = s->next;
    }
    if (s->next != nullptr) s->next->prev = s->prev;
    s->prev = s->next = nullptr;
  }

  SpinLock lock_;
  uint32_t cls_ = 0;
  uint32_t max_slots_ = 0;
  PageHeap<Os> *heap_ = nullptr;
  Span *nonempty_ = nullptr;
  Span *spare_ = nullptr;
  uint32_t nslots_ = 0;
  Slot slots_[kSlots] = {};
  uint64_t spans_ = 0;
  uint64_t span_free_ = 0;
  uint64_t slot_objects_ = 0;
};

}  // namespace hpmm
