// heap/page_heap.hpp: the page heap (Go's mheap, TCMalloc's hugepage-aware PageHeap): runs of
// 8 KiB pages for spans of small objects and for large objects, hugepage aware.
//
//   n < 256 pages        from the filler (heap/filler.hpp), packed into partly used hugepages;
//   n >= 256 pages       ceil(n / 256) contiguous free hugepages (heap/arena.hpp); the unused
//                        tail of the last one is donated to the filler.
// Freed runs go back where they came from; a hugepage whose last run leaves becomes free, and
// free hugepages go back to the OS whole, after release_delay_ns (checked on page heap calls, at
// most every delay / 4), or at once on release(all).  Breaking hugepages (giving back the free
// pages of partly used ones) happens only when asked (release with break_hugepages) or when
// resident memory passes limit_bytes: the last resort under pressure.  Hugepages backed by plain
// pages (THP not advised, e.g. below the THP threshold or with HPMM_HUGEPAGES=off) have nothing
// to break: their free pages go back after the delay too.
// A block realloc grows (new_span with thp false) does not get THP advice for a hugepage the
// filler takes new for it: the buffer moves on and the discard of its old copy splits the
// hugepage, so a THP fault there would zero 2 MiB and keep resident what the program never
// touches (realloc_growth: 72 THP faults and 49 splits; peak RSS 125 -> 107 MiB without).
// A large object freed with discard (realloc's old copy: its bytes are garbage) gives back at
// once, without the delay, the hugepages it covered whole and those it leaves empty; in a
// hugepage others still use, its run goes back only on plain pages (nothing to split), and in a
// THP-advised one or a pool page it just becomes free: breaking a hugepage stays a last resort.
// Spans: new_span/delete_span make and unmake Span records and their page map entries.
// Invariants (valid()): the filler, the arenas and the map are valid; every hugepage is in one
// state; in_use_pages == pages in live spans.
// Synchronisation: every call but span_of/entry_of is made with lock() held; those read the map
// lock-free.
#pragma once

#include <cstdint>
#include <new>

#include "base/check.hpp"
#include "heap/arena.hpp"
#include "heap/filler.hpp"
#include "heap/meta_alloc.hpp"
#include "heap/os_source.hpp"
#include "heap/page_map.hpp"
#include "heap/span.hpp"
#include "heap/spin_lock.hpp"

namespace hpmm {

struct PageHeapConfig {
  BackingConfig backing;
  uint64_t release_delay_ns = 1'000'000'000;  // free hugepages wait this long before release
  uint64_t limit_bytes = 0;                   // resident bytes above which we release at once
                                              // and then break hugepages (0: no limit)
};

struct PageHeapStats {
  uint64_t reserved_bytes;       // address space of the arenas
  uint64_t in_use_bytes;         // pages in live spans
  uint64_t large_bytes;          // of which in large objects
  uint64_t filler_free_bytes;    // free pages inside partly used hugepages
  uint64_t free_resident_bytes;  // free hugepages still holding memory (awaiting release)
  uint64_t released_bytes;       // cumulative bytes given back to the OS
  uint64_t hugetlb_bytes;        // resident on pages of the hugetlbfs pool
  uint64_t thp_bytes;            // hugepages in use advised MADV_HUGEPAGE
  uint64_t filler_hugepages;     // partly or fully used hugepages of the filler
  uint64_t large_hugepages;      // hugepages wholly inside large objects
  uint64_t free_hugepages;       // in the free set (resident or not)
  uint64_t metadata_bytes;       // spans, hugepage records, map nodes
  uint64_t spans;
};

template <HeapOs Os>
class PageHeap {
 public:
  PageHeap(Os *os, const PageHeapConfig &cfg)
      : os_(os), cfg_(cfg), meta_(os), huge_(os, &meta_, cfg.backing), map_(os) {}
  PageHeap(const PageHeap &) = delete;
  PageHeap &operator=(const PageHeap &) = delete;

  SpinLock &lock() { return lock_; }
  MetaAlloc<Os> &meta() { return meta_; }
  const PageHeapConfig &config() const { return cfg_; }
  void set_config(const PageHeapConfig &cfg) {
    cfg_ = cfg;
    huge_.set_config(cfg.backing);
  }

  // A span of npages (>= 1) for class cls (0: a large object), its first page a multiple of
  // align_pages (a power of two).  thp false (a block realloc grows: it will move on and leave a
  // hole): a hugepage the filler takes new for it is not advised MADV_HUGEPAGE (see the header).
  // nullptr when the OS refuses memory.
  Span *new_span(uint32_t npages, uint32_t cls, uint64_t align_pages = 1, bool thp = true) {
    Span *s = static_cast<Span *>(meta_.alloc(Span::bytes_for(cls)));
    if (s == nullptr) return nullptr;
    new (s) Span();
    s->cls = static_cast<uint8_t>(cls);
    s->npages = npages;
    if (!alloc_run(npages, align_pages, s, thp)) {
      meta_.free(s, Span::bytes_for(cls));
      return nullptr;
    }
    bool mapped = true;
    if (cls != 0) {
      s->init_small();
      for (uint32_t i = 0; i < npages; ++i)
        mapped &= map_.set(s->start + (uintptr_t{i} << kPageShift), pack_entry(s, cls, i));
    } else {
      mapped = map_.set(s->start, pack_entry(s, 0, 0));
      large_pages_ += npages;
    }
    if (!mapped) {
      unmap_entries(s);
      free_run(s->start, npages, s->hp, os_->now_ns());
      meta_.free(s, Span::bytes_for(cls));
      return nullptr;
    }
    in_use_pages_ += npages;
    ++spans_;
    maybe_release(os_->now_ns());
    return s;
  }

  // Frees s.  discard (a large object whose bytes are garbage, e.g. the old copy of a block
  // realloc moved): hugepages it covered whole or leaves empty go back to the OS now, not after
  // the delay, and so does its run in a hugepage on plain pages; in a THP-advised hugepage (or a
  // pool page) others still use, its run only becomes free (see the header).
  void delete_span(Span *s, bool discard = false) {
    unmap_entries(s);
    in_use_pages_ -= s->npages;
    if (s->cls == 0) large_pages_ -= s->npages;
    --spans_;
    uint64_t now = os_->now_ns();
    free_run(s->start, s->npages, s->hp, now, discard);
    meta_.free(s, Span::bytes_for(s->cls));
    maybe_release(now);
  }

  // Grows the large span s in place to npages when the pages after it are free (realloc).
  // False, changing nothing, otherwise.
  bool try_extend(Span *s, uint32_t npages) {
    HPMM_ASSERT(s->cls == 0 && npages > s->npages);
    uint32_t extra = npages - s->npages;
    uintptr_t end = s->end();
    HugePage *last = huge_.hugepage_of(end - 1);
    uint32_t idx = static_cast<uint32_t>((end - last->base) >> kPageShift);  // in `last`
    uint32_t here = idx < kPagesPerHugePage ? kPagesPerHugePage - idx : 0;
    if (here > extra) here = extra;
    if (here > 0) {
      if (last->state != HpState::kFiller || last->used.any_range(idx, here)) return false;
      if (here == extra) {  // fits in the hugepage it ends in
        filler_.extend(last, idx, here);
        return grow_span(s, extra);
      }
      if (last->used.next_set(idx) != kPagesPerHugePage) return false;
    }
    // The rest needs whole free hugepages right after `last`, the final one maybe partly.
    uint32_t rest = extra - here;
    uint32_t k = (rest + kPagesPerHugePage - 1) / kPagesPerHugePage;
    Arena *a = huge_.arena_of(last->base);
    if (a->index_of(last->base) + 1 + uint64_t{k} > a->nhp ||
        !huge_.take(last->base + kHugePageSize, k))
      return false;
    if (here > 0) filler_.extend(last, idx, here);
    uint32_t tail = rest - (k - 1) * kPagesPerHugePage;
    for (uint32_t h = 1; h <= k; ++h) {
      HugePage &p = last[h];
      if (h == k && tail != kPagesPerHugePage) {
        filler_.add(&p, 0, tail, true);
        break;
      }
      p.state = HpState::kLarge;
      p.used.set_all();
      p.dirty.set_all();
      p.nallocs = 1;
      p.refresh();
    }
    grew();
    return grow_span(s, extra);
  }

  // Lock-free readers.
  uint64_t entry_of(const void *p) const { return map_.get(reinterpret_cast<uintptr_t>(p)); }
  // entry_of(p) for p in the page map's hot window, else 0 (PageMap::get_hot).
  uint64_t hot_entry_of(const void *p) const {
    return map_.get_hot(reinterpret_cast<uintptr_t>(p));
  }
  Span *span_of(const void *p) const { return entry_span(entry_of(p)); }
  // Whether p lies in an arena of this heap (a pointer we may have given out).  Lock held.
  bool owns(const void *p) const {
    return huge_.arena_of(reinterpret_cast<uintptr_t>(p)) != nullptr;
  }

  // Gives memory back now: free hugepages past the delay (all of them when `all`), and with
  // break_hugepages the free pages inside partly used hugepages too.  Returns bytes released.
  uint64_t release(bool all, bool break_hugepages) {
    uint64_t now = os_->now_ns();
    uint64_t b = huge_.release(now, cfg_.release_delay_ns, all);
    if (break_hugepages) b += break_filler();
    next_check_ns_ = now + cfg_.release_delay_ns / 4;
    return b;
  }

  PageHeapStats stats() const {
    PageHeapStats st{};
    st.reserved_bytes = huge_.reserved_bytes();
    st.in_use_bytes = in_use_pages_ << kPageShift;
    st.large_bytes = large_pages_ << kPageShift;
    st.filler_free_bytes = filler_.free_pages() << kPageShift;
    st.released_bytes = huge_.released_bytes() + filler_released_;
    st.hugetlb_bytes = huge_.hugetlb_pages() * kHugePageSize;
    st.filler_hugepages = filler_.hugepages();
    st.free_hugepages = huge_.free_hugepages();
    st.metadata_bytes = meta_.mapped_bytes() + map_.node_bytes();
    st.spans = spans_;
    for (Arena *a = huge_.arenas(); a != nullptr; a = a->next) {
      for (uint32_t h = 0; h < a->built; ++h) {  // unbuilt records: free, not resident
        const HugePage &p = a->hp[h];
        if (p.resident_free()) st.free_resident_bytes += kHugePageSize;
        if (p.state == HpState::kLarge) ++st.large_hugepages;
        if (p.state != HpState::kFree && p.backing == Backing::kThp) st.thp_bytes += kHugePageSize;
      }
    }
    return st;
  }
  // Resident bytes as the heap counts them: dirty pages, and whole hugetlb pages.
  uint64_t resident_bytes() const {
    uint64_t b = 0;
    for (Arena *a = huge_.arenas(); a != nullptr; a = a->next)
      for (uint32_t h = 0; h < a->built; ++h)
        b += a->hp[h].backing == Backing::kHugetlb ? kHugePageSize
                                                   : uint64_t{a->hp[h].dirty.count()} << kPageShift;
    return b;
  }

  template <class Copy>
  void unshare_hugetlb(Copy &&copy) {
    huge_.unshare_hugetlb(copy);
  }
  uint64_t hugetlb_pages() const { return huge_.hugetlb_pages(); }
  // fn(base) for every hugepage on a hugetlb pool page that holds objects (not free), in the
  // order unshare_hugetlb passes them with live == true.
  template <class Fn>
  void for_each_live_hugetlb(Fn &&fn) const {
    for (Arena *a = huge_.arenas(); a != nullptr; a = a->next)
      for (uint32_t h = 0; h < a->built; ++h)
        if (a->hp[h].backing == Backing::kHugetlb && a->hp[h].state != HpState::kFree)
          fn(a->hp[h].base);
  }
  // Calls fn(base, bytes) for every arena (for measuring what the kernel maps with huge pages).
  template <class Fn>
  void for_each_arena(Fn &&fn) const {
    for (Arena *a = huge_.arenas(); a != nullptr; a = a->next)
      fn(a->base, uint64_t{a->nhp} * kHugePageSize);
  }

  const HugePageFiller &filler() const { return filler_; }
  const HugeSet<Os> &huge() const { return huge_; }

  bool valid() const { return filler_.valid() && huge_.valid(); }

 private:
  bool grow_span(Span *s, uint32_t extra) {
    s->npages += extra;
    in_use_pages_ += extra;
    large_pages_ += extra;
    return true;
  }

  // A run of n pages aligned to align_pages; fills s->start, s->hp, s->needzero.  thp: see
  // new_span (runs of whole hugepages are always advised).
  bool alloc_run(uint32_t n, uint64_t align_pages, Span *s, bool thp) {
    if (n < kPagesPerHugePage && align_pages <= kPagesPerHugePage) {
      HugePageFiller::Alloc a = filler_.alloc(n, static_cast<uint32_t>(align_pages));
      if (a.hp == nullptr) {
        bool nz;
        HugePage *fresh = huge_.alloc(1, &nz, kHugePageSize, thp);
        if (fresh == nullptr) return false;
        a = {fresh, 0, fresh->dirty.any_range(0, n)};
        filler_.add(fresh, 0, n, false);
        grew();
      }
      s->start = a.hp->base + (uintptr_t{a.index} << kPageShift);
      s->hp = a.hp;
      s->needzero = a.needzero;
      return true;
    }
    uint32_t k = (n + kPagesPerHugePage - 1) / kPagesPerHugePage;
    uint32_t tail = n - (k - 1) * kPagesPerHugePage;  // pages used in the last hugepage
    uint64_t align = align_pages << kPageShift;
    bool nz;
    HugePage *first = huge_.alloc(k, &nz, align > kHugePageSize ? align : kHugePageSize);
    if (first == nullptr) return false;
    uint32_t full = tail == kPagesPerHugePage ? k : k - 1;
    for (uint32_t h = 0; h < full; ++h) {
      first[h].state = HpState::kLarge;
      first[h].used.set_all();
      first[h].dirty.set_all();
      first[h].nallocs = 1;
      first[h].refresh();
    }
    if (full != k) filler_.add(&first[k - 1], 0, tail, true);
    s->start = first->base;
    s->hp = first;
    s->needzero = nz;
    grew();
    return true;
  }

  // Gives back the run [start, start + n pages); hp holds its first page.  discard: its pages
  // go back to the OS now (see delete_span).
  void free_run(uintptr_t start, uint32_t n, HugePage *hp, uint64_t now, bool discard = false) {
    while (n > 0) {
      uint32_t idx = static_cast<uint32_t>((start - hp->base) >> kPageShift);
      uint32_t here = kPagesPerHugePage - idx < n ? kPagesPerHugePage - idx : n;
      if (hp->state == HpState::kLarge) {
        HPMM_CHECK(idx == 0 && here == kPagesPerHugePage, "page heap: partial free of a hugepage");
        huge_.free(hp, 1, now);
        if (discard) huge_.release_one(hp);
      } else {
        HPMM_CHECK(hp->state == HpState::kFiller && hp->used.all_range(idx, here),
                   "page heap: freeing pages that are not in use");
        hp->free_since_ns = now;  // the filler's last free here (release_plain_pages)
        bool empty = filler_.free(hp, idx, here);
        if (empty) huge_.free(hp, 1, now);
        if (discard && empty) {
          huge_.release_one(hp);
        } else if (discard && hp->backing == Backing::kPlain) {
          // A hugepage on plain pages has nothing to split: the run alone goes back.
          filler_released_ += break_run(hp, idx, here);
        }
      }
      start += uintptr_t{here} << kPageShift;
      n -= here;
      ++hp;  // runs never cross arenas, and an arena's records are contiguous
    }
  }

  // The free pages [i, i + n) of the filler hugepage hp (not a pool page) go back to the OS.
  // Returns the bytes released (0 when the OS refuses); the caller counts them in
  // filler_released_.
  uint64_t decommit_run(HugePage *hp, uint32_t i, uint32_t n) {
    HPMM_ASSERT(hp->backing != Backing::kHugetlb);
    if (!os_->decommit(hp->base + (uintptr_t{i} << kPageShift), uintptr_t{n} << kPageShift))
      return 0;
    hp->dirty.clear_range(i, n);
    return uint64_t{n} << kPageShift;
  }
  // decommit_run, and hp is marked broken (pages released while others stay resident).
  uint64_t break_run(HugePage *hp, uint32_t i, uint32_t n) {
    const uint64_t bytes = decommit_run(hp, i, n);
    if (bytes != 0) hp->broken = true;
    return bytes;
  }

  void unmap_entries(Span *s) {
    uint32_t n = s->cls != 0 ? s->npages : 1;
    for (uint32_t i = 0; i < n; ++i) map_.clear(s->start + (uintptr_t{i} << kPageShift));
  }

  void maybe_release(uint64_t now) {
    if (now < next_check_ns_) return;
    next_check_ns_ = now + cfg_.release_delay_ns / 4;
    huge_.release(now, cfg_.release_delay_ns, false);
    release_plain_pages(now);
  }

  // Hugepages on plain pages (no THP advice, no pool page) have no hugepage to keep whole: their
  // free pages go back once the hugepage has seen no free for the delay.
  void release_plain_pages(uint64_t now) {
    uint64_t bytes = 0;
    filler_.for_each([&](HugePage *hp) {
      if (hp->backing != Backing::kPlain || now - hp->free_since_ns < cfg_.release_delay_ns) return;
      hp->used.for_each_clear_run([&](uint32_t i, uint32_t n) {
        if (hp->dirty.any_range(i, n)) bytes += decommit_run(hp, i, n);
      });
    });
    filler_released_ += bytes;
  }

  // After the heap took more memory: enforce the limit, if any.
  void grew() {
    if (cfg_.limit_bytes == 0 || resident_bytes() <= cfg_.limit_bytes) return;
    huge_.release(os_->now_ns(), 0, true);
    if (resident_bytes() > cfg_.limit_bytes) break_filler();
  }

  // Releases the free, dirty pages of partly used hugepages (not hugetlb ones: a pool page is
  // all or nothing).  These hugepages are "broken": THP splits them.
  uint64_t break_filler() {
    uint64_t bytes = 0;
    filler_.for_each([&](HugePage *hp) {
      if (hp->backing == Backing::kHugetlb) return;
      hp->used.for_each_clear_run([&](uint32_t i, uint32_t n) {
        if (hp->dirty.any_range(i, n)) bytes += break_run(hp, i, n);
      });
    });
    filler_released_ += bytes;
    return bytes;
  }

  SpinLock lock_;
  Os *os_;
  PageHeapConfig cfg_;
  MetaAlloc<Os> meta_;
  HugeSet<Os> huge_;
  HugePageFiller filler_;
  PageMap<Os> map_;
  uint64_t in_use_pages_ = 0;
  uint64_t large_pages_ = 0;
  uint64_t spans_ = 0;
  uint64_t filler_released_ = 0;
  uint64_t next_check_ns_ = 0;
};

}  // namespace hpmm
