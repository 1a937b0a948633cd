// heap/arena.hpp: arenas (reserved address ranges made of 2 MiB hugepages) and the set of free
// hugepages in them, from which the page heap takes whole hugepages for the filler and for large
// objects, and to which it gives them back; free hugepages return to the OS after a delay.
//
// An arena of nhp hugepages has a record per hugepage (heap/huge_page.hpp) and two bitmaps:
//   free_bits      bit h set  <=>  hp[h].state == kFree
//   resident_bits  bit h set  <=>  hp[h].resident_free()  (free, still holding memory)
// Records are built when first taken (a 1 GiB arena's 512 records are 56 KiB, most of which a
// small program never needs): hp[h] is constructed  <=>  h < built; for h >= built the hugepage
// is free, untouched and unadvised (free bit set, resident bit clear), and its record's memory
// (zero from map_meta) is not read or written.
// Free neighbours need no merging step: a run of set free_bits is one free range, so the first
// fit of k contiguous hugepages finds the union of everything freed next to each other.
// Backing: a hugepage that is not resident gets its backing when taken: a page of the hugetlbfs
// pool while `hugetlb` is allowed and the pool gives one, else THP when `thp` (the hugepage is
// advised MADV_HUGEPAGE) and the taker did not decline it (alloc's thp: realloc growth), else
// plain pages; pool pages and THP only once the hugepages in use reach thp_min_bytes, so that a
// small program is not charged 2 MiB per hugepage it touches (a heap of a few MiB gains nothing
// from huge pages: the STLB's 1,536-3,072 entries map 6-12 MiB of 4 KiB pages; its free pages go
// back page by page).  The heap is big from the moment the hugepages in use first reach
// thp_min_bytes (big_, never reset: a program that was big once does not pay promotions again);
// then the hugepages it took on plain pages are promoted: advised MADV_HUGEPAGE and collapsed
// (Os::collapse, MADV_COLLAPSE) when they hold data, so a big heap stays on huge pages from its
// first byte.  Hugepages taken with thp false (`declined`: realloc growth) are not promoted.
// Release gives back whole hugepages only: MADV_DONTNEED, or the pool page to the pool.  Taking: a
// run of resident free hugepages first; when only a run that needs new memory fits, as many
// resident free hugepages are released at once (trade), so resident memory does not grow while free
// memory sits unused.  Rather than fault new memory, a hugepage that needs memory gets a resident
// free hugepage's moved in (move_into); the moved range becomes a mapping of its own (`remapped`),
// so moves are bounded: remapped_ == #{h : hp[h].remapped} <= move_budget() ==
// max_mappings / 8 (each remapped hugepage splits the arena's mapping in at most 2 more); a
// remapped hugepage that is released or moved out gets fresh memory mapped over it, which joins
// its neighbours' mapping again.  Synchronised by the page heap's lock.
#pragma once

#include <bit>
#include <cstdint>
#include <new>

#include "base/bits.hpp"
#include "base/check.hpp"
#include "heap/huge_page.hpp"
#include "heap/meta_alloc.hpp"
#include "heap/os_source.hpp"

namespace hpmm {

struct Arena {
  uintptr_t base = 0;
  uint32_t nhp = 0;
  uint32_t built = 0;  // hp[0, built) are constructed (see the header)
  HugePage *hp = nullptr;
  uint64_t *free_bits = nullptr;
  uint64_t *resident_bits = nullptr;
  Arena *next = nullptr;

  uint32_t words() const { return (nhp + 63) / 64; }
  bool contains(uintptr_t a) const { return a - base < uint64_t{nhp} * kHugePageSize; }
  uint32_t index_of(uintptr_t a) const {
    return static_cast<uint32_t>((a - base) >> kHugePageShift);
  }
  static bool test(const uint64_t *bits, uint32_t i) { return (bits[i / 64] >> (i % 64)) & 1; }
  static void put(uint64_t *bits, uint32_t i, bool on) {
    if (on) {
      bits[i / 64] |= uint64_t{1} << (i % 64);
    } else {
      bits[i / 64] &= ~(uint64_t{1} << (i % 64));
    }
  }
  // First index >= i whose bit equals `value`, or nhp.
  uint32_t next_with(const uint64_t *bits, uint32_t i, bool value) const {
    while (i < nhp) {
      uint64_t w = (value ? bits[i / 64] : ~bits[i / 64]) & (~uint64_t{0} << (i % 64));
      if (w != 0) {
        uint32_t r = (i / 64) * 64 + static_cast<uint32_t>(std::countr_zero(w));
        return r < nhp ? r : nhp;
      }
      i = (i / 64 + 1) * 64;
    }
    return nhp;
  }
  // Start of the first run of k hugepages with their bit set in bits (free_bits, or
  // resident_bits: free and still resident) whose address is a multiple of align (a power of
  // two >= 2 MiB), or nhp.
  uint32_t first_fit(uint32_t k, uint64_t align, const uint64_t *bits) const {
    for (uint32_t i = next_with(bits, 0, true); i < nhp;) {
      uint32_t end = next_with(bits, i, false);
      uint64_t a = align_up(base + uint64_t{i} * kHugePageSize, align);
      uint64_t s = (a - base) >> kHugePageShift;
      if (s + k <= end) return static_cast<uint32_t>(s);
      i = next_with(bits, end, true);
    }
    return nhp;
  }
  uint32_t first_fit(uint32_t k, uint64_t align) const { return first_fit(k, align, free_bits); }

  // Constructs the records up to (not including) end.
  void build(uint32_t end) {
    HPMM_ASSERT(end <= nhp);
    for (; built < end; ++built) {
      HugePage *p = new (&hp[built]) HugePage();
      p->base = base + uint64_t{built} * kHugePageSize;
    }
  }

  bool valid() const {
    if (built > nhp) return false;
    for (uint32_t h = 0; h < nhp; ++h) {
      if (h >= built) {
        if (!test(free_bits, h) || test(resident_bits, h)) return false;
        continue;
      }
      const HugePage &p = hp[h];
      if (p.base != base + uint64_t{h} * kHugePageSize || !p.valid()) return false;
      if (test(free_bits, h) != (p.state == HpState::kFree)) return false;
      if (test(resident_bits, h) != p.resident_free()) return false;
    }
    return true;
  }
};

struct BackingConfig {
  bool hugetlb = false;                // try the hugetlbfs pool for new hugepages
  uint64_t hugetlb_budget = 0;         // at most this many pool pages at once
  bool thp = false;                    // advise hugepages MADV_HUGEPAGE ...
  uint64_t thp_min_bytes = 12u << 20;  // pool pages and THP once this many bytes of hugepages
                                       // are in use
  uint64_t arena_bytes = 1ull << 30;
};

template <HeapOs Os>
class HugeSet {
 public:
  HugeSet(Os *os, MetaAlloc<Os> *meta, const BackingConfig &cfg)
      : os_(os), meta_(meta), cfg_(cfg) {}

  void set_config(const BackingConfig &cfg) { cfg_ = cfg; }
  // Whether the heap has been big (see the header) and how many hugepages promotion collapsed.
  bool big() const { return big_; }
  uint64_t collapsed_hugepages() const { return collapsed_; }  // cumulative
  bool collapse_unsupported() const { return no_collapse_; }
  const BackingConfig &config() const { return cfg_; }

  // k contiguous hugepages, taken out of the free set (state left kFree for the caller to set);
  // reserves a new arena when none has room.  *needzero: some page may hold old data.  thp false:
  // a hugepage given new memory is not advised MADV_HUGEPAGE now (one advised before keeps it).
  // nullptr when the OS refuses memory.
  HugePage *alloc(uint32_t k, bool *needzero, uint64_t align = kHugePageSize, bool thp = true) {
    Arena *a = nullptr;
    uint32_t i = 0;
    // Reuse resident free hugepages first (no fault, no new RSS), then any free ones.
    for (Arena *r = arenas_; r != nullptr && a == nullptr; r = r->next) {
      uint32_t h = r->first_fit(k, align, r->resident_bits);
      if (h < r->nhp) a = r, i = h;
    }
    for (Arena *r = arenas_; r != nullptr && a == nullptr; r = r->next) {
      uint32_t h = r->first_fit(k, align);
      if (h < r->nhp) a = r, i = h;
    }
    if (a == nullptr) {
      a = grow(k + static_cast<uint32_t>(align / kHugePageSize) - 1);
      if (a == nullptr) return nullptr;
      i = a->first_fit(k, align);
      HPMM_CHECK(i < a->nhp, "huge set: a new arena has no room");
    }
    bool nz = take_run(a, i, k, thp);
    *needzero = nz;
    return &a->hp[i];
  }

  // Takes the k hugepages from the one at address `base` on (one arena) out of the free set if
  // all are free there (state left kFree for the caller to set; their records built); false,
  // changing nothing, otherwise.
  bool take(uintptr_t base, uint32_t k) {
    Arena *a = arena_of(base);
    if (a == nullptr) return false;
    uint32_t i = a->index_of(base);
    if (uint64_t{i} + k > a->nhp) return false;
    for (uint32_t h = i; h < i + k; ++h)
      if (!Arena::test(a->free_bits, h)) return false;
    take_run(a, i, k);
    return true;
  }

  // Gives k contiguous hugepages (starting at first, one arena) back to the free set.
  void free(HugePage *first, uint32_t k, uint64_t now) {
    Arena *a = arena_of(first->base);
    uint32_t i = a->index_of(first->base);
    for (uint32_t h = i; h < i + k; ++h) {
      HugePage &p = a->hp[h];
      p.used.clear_all();
      p.state = HpState::kFree;
      p.nallocs = 0;
      p.donated = false;
      p.declined = false;
      p.refresh();
      p.free_since_ns = now;
      Arena::put(a->free_bits, h, true);
      Arena::put(a->resident_bits, h, p.resident_free());
      ++free_hugepages_;
    }
  }

  // Gives back to the OS every resident free hugepage that has been free for at least delay_ns
  // (all of them when `all`).  Returns the bytes released.
  uint64_t release(uint64_t now, uint64_t delay_ns, bool all) {
    uint64_t bytes = 0;
    for (Arena *a = arenas_; a != nullptr; a = a->next)
      bytes += release_range(a, 0, a->nhp, now, delay_ns, all);
    return bytes;
  }

  // Gives the free hugepage p back to the OS now, whatever its age (false: nothing was resident
  // or the OS refused).
  bool release_one(HugePage *p) {
    Arena *a = arena_of(p->base);
    uint32_t h = a->index_of(p->base);
    if (!Arena::test(a->resident_bits, h)) return false;
    uint64_t b = release_range(a, h, h + 1, 0, 0, true);
    return b != 0;
  }

  // For a fork child: every hugetlb page is replaced by plain memory (copy(base, live, advise)
  // does it, and returns false when it could not), with the same bytes when live (the hugepage
  // holds objects); a free one becomes fresh zeroed memory.  `advise` (THP in use): the live
  // page's new memory is advised MADV_HUGEPAGE (the shim moves in memory it advised).  So the
  // child never needs a pool page for copy-on-write.
  template <class Copy>
  void unshare_hugetlb(Copy &&copy) {
    for (Arena *a = arenas_; a != nullptr; a = a->next) {
      for (uint32_t h = 0; h < a->built; ++h) {
        HugePage &p = a->hp[h];
        bool live = p.state != HpState::kFree;
        bool advise = live && cfg_.thp;
        if (p.backing != Backing::kHugetlb || !copy(p.base, live, advise)) continue;
        p.backing = advise ? Backing::kThp : Backing::kPlain;
        p.advised = advise;
        if (live) {
          p.dirty.set_all();
        } else {
          p.dirty.clear_all();
        }
        --hugetlb_pages_;
        Arena::put(a->resident_bits, h, p.resident_free());
      }
    }
  }

  // Earliest time a resident free hugepage becomes due for release, or UINT64_MAX.
  uint64_t next_release_due(uint64_t delay_ns) const {
    uint64_t due = UINT64_MAX;
    for (Arena *a = arenas_; a != nullptr; a = a->next)
      for (uint32_t h = a->next_with(a->resident_bits, 0, true); h < a->nhp;
           h = a->next_with(a->resident_bits, h + 1, true))
        if (a->hp[h].free_since_ns + delay_ns < due) due = a->hp[h].free_since_ns + delay_ns;
    return due;
  }

  Arena *arena_of(uintptr_t addr) const {
    for (Arena *a = arenas_; a != nullptr; a = a->next)
      if (a->contains(addr)) return a;
    return nullptr;
  }
  // The record of the hugepage holding addr; nullptr outside the arenas or in a hugepage never
  // taken (no record built).
  HugePage *hugepage_of(uintptr_t addr) const {
    Arena *a = arena_of(addr);
    if (a == nullptr || a->index_of(addr) >= a->built) return nullptr;
    return &a->hp[a->index_of(addr)];
  }
  Arena *arenas() const { return arenas_; }

  uint64_t reserved_bytes() const { return reserved_bytes_; }
  uint64_t free_hugepages() const { return free_hugepages_; }
  uint64_t released_bytes() const { return released_bytes_; }  // cumulative
  uint64_t hugetlb_pages() const { return hugetlb_pages_; }
  uint64_t moved_hugepages() const { return moved_hugepages_; }  // cumulative (move_into)
  uint64_t remapped_hugepages() const { return remapped_; }      // now (see the header)
  // Most hugepages that may be remapped at once: an eighth of the process's mapping limit (read
  // from the Os once), so the heap uses at most a quarter of it on moves.
  uint64_t move_budget() const {
    if (move_budget_ == UINT64_MAX) move_budget_ = os_->max_mappings() / 8;
    return move_budget_;
  }

  bool valid() const {
    uint64_t nfree = 0, remapped = 0;
    for (Arena *a = arenas_; a != nullptr; a = a->next) {
      if (!a->valid()) return false;
      nfree += a->nhp - a->built;
      for (uint32_t h = 0; h < a->built; ++h) {
        nfree += a->hp[h].state == HpState::kFree;
        remapped += a->hp[h].remapped;
      }
    }
    return nfree == free_hugepages_ && remapped == remapped_ &&
           (move_budget_ == UINT64_MAX || remapped_ <= move_budget_);
  }

 private:
  // Takes the free hugepages [i, i + k) of a out of the free set and gives memory to those that
  // have none: a resident free hugepage's, moved there (no fault, no zeroing: see move_into),
  // else new memory (back), for which trade() then gives resident free hugepages back.  Returns
  // whether some page may hold old data.  thp: as for alloc.
  bool take_run(Arena *a, uint32_t i, uint32_t k, bool thp = true) {
    a->build(i + k);
    for (uint32_t h = i; h < i + k; ++h) {  // none of them is a candidate for move_into
      Arena::put(a->free_bits, h, false);
      Arena::put(a->resident_bits, h, false);
    }
    bool nz = false;
    uint32_t fresh = 0;
    for (uint32_t h = i; h < i + k; ++h) {
      HugePage &p = a->hp[h];
      p.declined = !thp;
      --free_hugepages_;  // one by one: back() counts the hugepages in use before this one
      if (!p.dirty.all_clear()) nz = true;
      if (!p.dirty.all_clear() && big_) promote_one(&p);  // resident from before the heap was big
      if (!p.dirty.all_clear() || p.backing == Backing::kHugetlb) continue;
      if (move_into(&p, thp)) {
        nz = true;
        continue;
      }
      back(&p, thp);
      ++fresh;
    }
    trade(fresh);
    if (!big_ && in_use_bytes() >= cfg_.thp_min_bytes) {
      big_ = true;
      promote();
      for (uint32_t h = i; h < i + k; ++h) promote_one(&a->hp[h]);  // (state still kFree)
    }
    return nz;
  }

  uint64_t in_use_bytes() const { return (total_hugepages_ - free_hugepages_) * kHugePageSize; }

  // The heap just became big: every hugepage in use on plain pages (not a pool page, not
  // declined) gets THP advice, and is collapsed into a huge page now if it holds data (a fresh
  // one becomes one on its first touch); so does a resident free one taken later.  A refused
  // collapse leaves the advice (the kernel's khugepaged may collapse it later) and the hugepage
  // as it was.
  void promote() {
    for (Arena *a = arenas_; a != nullptr; a = a->next)
      for (uint32_t h = 0; h < a->built; ++h)
        if (a->hp[h].state != HpState::kFree) promote_one(&a->hp[h]);
  }
  // Only THP backing advises or collapses (cfg_.thp: false with HPMM_HUGEPAGES=off or hugetlb,
  // or THP `never` at start-up -- MADV_COLLAPSE itself ignores the sysfs setting); a pool page is
  // never touched.  A kernel that cannot collapse (kUnsupported) is asked once per process.
  void promote_one(HugePage *p) {
    if (!cfg_.thp || p->backing != Backing::kPlain || p->declined) return;
    if (!p->advised) p->advised = os_->advise_thp(p->base, kHugePageSize);
    if (!p->advised) return;
    p->backing = Backing::kThp;
    if (p->dirty.all_clear() || no_collapse_) return;
    switch (os_->collapse(p->base, kHugePageSize)) {
      case CollapseResult::kDone:
        p->broken = false;  // one huge page again
        ++collapsed_;
        break;
      case CollapseResult::kRefused:  // none free now: khugepaged may do it later (the advice)
        break;
      case CollapseResult::kUnsupported:
        no_collapse_ = true;
        break;
    }
  }

  // Gives the empty hugepage p (not resident, not a pool page) the memory of the resident free
  // hugepage that has been free longest, moved by the OS (Os::move_hugepage: a THP moves by its
  // page table entry), so a request that no run of resident free hugepages fits costs neither a
  // page fault on new memory nor the release of the resident one.  Only whole, unsplit
  // hugepages move (not `broken` ones: THP maps those by 4 KiB pages, and p would stay so) and
  // not pool pages.  Not past the move budget either: p becomes a mapping of its own (remapped),
  // while q, if it was one, gets fresh memory mapped over it and is whole again.  False when
  // there is no such q, the budget is spent or the OS refuses; p is then unchanged.
  bool move_into(HugePage *p, bool thp) {
    HPMM_ASSERT(p->backing != Backing::kHugetlb);
    if (!p->remapped && remapped_ >= move_budget()) return false;
    Arena *qa = nullptr;
    uint32_t qh = 0;
    for (Arena *a = arenas_; a != nullptr; a = a->next)
      for (uint32_t h = a->next_with(a->resident_bits, 0, true); h < a->nhp;
           h = a->next_with(a->resident_bits, h + 1, true)) {
        const HugePage &q = a->hp[h];
        if (q.backing == Backing::kHugetlb || q.broken) continue;
        if (qa == nullptr || q.free_since_ns < qa->hp[qh].free_since_ns) qa = a, qh = h;
      }
    if (qa == nullptr) return false;
    HugePage &q = qa->hp[qh];
    if (!os_->move_hugepage(q.base, p->base)) return false;
    p->dirty = q.dirty;
    p->advised = q.advised;  // the moved range keeps the advice it had at q
    p->backing = q.backing;
    p->broken = false;    // q was whole; the move took the range's old page tables away
    q.dirty.clear_all();  // q keeps its advice and backing, now empty
    Arena::put(qa->resident_bits, qh, false);
    ++moved_hugepages_;
    if (!p->remapped) p->remapped = true, ++remapped_;  // (it was only if a map_fresh failed)
    if (q.remapped) map_fresh(&q);
    advise_if_big(p, thp);
    return true;
  }

  // Maps fresh memory over the remapped hugepage p (its pages, if any, are dropped) so its range
  // joins the arena's mapping again, with p's THP advice given anew.  False when the OS refuses
  // (p unchanged).
  bool map_fresh(HugePage *p) {
    HPMM_ASSERT(p->remapped && p->backing != Backing::kHugetlb);
    if (!os_->map_fresh(p->base)) return false;
    p->remapped = false;
    --remapped_;
    p->dirty.clear_all();
    p->broken = false;
    if (p->advised) p->advised = os_->advise_thp(p->base, kHugePageSize);
    p->backing = p->advised ? Backing::kThp : Backing::kPlain;
    return true;
  }

  Arena *grow(uint32_t k) {
    uint64_t bytes = uint64_t{k} * kHugePageSize;
    if (bytes < cfg_.arena_bytes) bytes = cfg_.arena_bytes;
    uintptr_t base = os_->reserve(bytes);
    if (base == 0 && bytes > uint64_t{k} * kHugePageSize) {  // address space is short: just k
      bytes = uint64_t{k} * kHugePageSize;
      base = os_->reserve(bytes);
    }
    if (base == 0) return nullptr;
    auto *a = static_cast<Arena *>(meta_->alloc(sizeof(Arena)));
    uint32_t nhp = static_cast<uint32_t>(bytes >> kHugePageShift);
    if (a == nullptr) return nullptr;
    a->base = base;
    a->nhp = nhp;
    a->hp = static_cast<HugePage *>(meta_->alloc(sizeof(HugePage) * nhp));
    a->free_bits = static_cast<uint64_t *>(meta_->alloc(8 * a->words()));
    a->resident_bits = static_cast<uint64_t *>(meta_->alloc(8 * a->words()));
    if (a->hp == nullptr || a->free_bits == nullptr || a->resident_bits == nullptr) return nullptr;
    a->built = 0;  // records are built when taken (Arena::build)
    for (uint32_t h = 0; h < nhp; ++h) Arena::put(a->free_bits, h, true);
    free_hugepages_ += nhp;
    total_hugepages_ += nhp;
    reserved_bytes_ += bytes;
    // Keep arenas in address order (first fit then prefers low addresses).
    Arena **link = &arenas_;
    while (*link != nullptr && (*link)->base < base) link = &(*link)->next;
    a->next = *link;
    *link = a;
    return a;
  }

  // The heap just took `fresh` hugepages of new memory because no run of resident free ones fit:
  // as many resident free hugepages (the longest free first) go back to the OS now, ahead of
  // their delay, so that resident memory does not grow while free memory sits unused (they
  // could not serve this request; a later one faults them in again).
  void trade(uint32_t fresh) {
    while (fresh-- > 0) {
      Arena *best_a = nullptr;
      uint32_t best_h = 0;
      for (Arena *a = arenas_; a != nullptr; a = a->next)
        for (uint32_t h = a->next_with(a->resident_bits, 0, true); h < a->nhp;
             h = a->next_with(a->resident_bits, h + 1, true))
          if (best_a == nullptr || a->hp[h].free_since_ns < best_a->hp[best_h].free_since_ns)
            best_a = a, best_h = h;
      if (best_a == nullptr || release_range(best_a, best_h, best_h + 1, 0, 0, true) == 0) return;
    }
  }

  // release() over the resident free hugepages of a with index in [from, to).
  uint64_t release_range(Arena *a, uint32_t from, uint32_t to, uint64_t now, uint64_t delay_ns,
                         bool all) {
    uint64_t bytes = 0;
    for (uint32_t h = a->next_with(a->resident_bits, from, true); h < to;
         h = a->next_with(a->resident_bits, h + 1, true)) {
      HugePage &p = a->hp[h];
      if (!all && now - p.free_since_ns < delay_ns) continue;
      bool ok;
      if (p.backing == Backing::kHugetlb) {
        ok = os_->unmap_hugetlb(p.base);
        if (ok) --hugetlb_pages_, hugetlb_empty_ = false, p.advised = false;
      } else {
        ok = p.remapped ? map_fresh(&p) : os_->decommit(p.base, kHugePageSize);
      }
      if (!ok) continue;
      p.dirty.clear_all();
      p.broken = false;
      p.backing = p.advised ? Backing::kThp : Backing::kPlain;
      Arena::put(a->resident_bits, h, false);
      bytes += kHugePageSize;
    }
    released_bytes_ += bytes;
    return bytes;
  }

  void back(HugePage *p, bool thp) {
    // Whole hugepages (pool or THP) only once the heap is big enough for a whole hugepage per
    // allocation not to matter: a small program keeps a small footprint (a pool page is 2 MiB
    // of its memory as much as a THP is, though rusage does not count it).
    bool big = big_ || in_use_bytes() >= cfg_.thp_min_bytes;
    if (big && cfg_.hugetlb && !hugetlb_empty_ && hugetlb_pages_ < cfg_.hugetlb_budget &&
        !p->remapped) {  // (a remapped p here is rare: a map_fresh failed)
      if (os_->map_hugetlb(p->base)) {
        p->backing = Backing::kHugetlb;
        ++hugetlb_pages_;
        return;
      }
      hugetlb_empty_ = true;  // do not ask again until we give a pool page back
    }
    advise_if_big(p, thp);
  }

  // THP advice for p once the heap is big enough (see back), unless the caller said no (thp
  // false); adjacent advised hugepages merge into one mapping.
  void advise_if_big(HugePage *p, bool thp = true) {
    bool big = big_ || in_use_bytes() >= cfg_.thp_min_bytes;
    if (!p->advised && cfg_.thp && thp && big) p->advised = os_->advise_thp(p->base, kHugePageSize);
    p->backing = p->advised ? Backing::kThp : Backing::kPlain;
  }

  Os *os_;
  MetaAlloc<Os> *meta_;
  BackingConfig cfg_;
  Arena *arenas_ = nullptr;
  uint64_t reserved_bytes_ = 0;
  uint64_t free_hugepages_ = 0;
  uint64_t total_hugepages_ = 0;
  uint64_t released_bytes_ = 0;
  uint64_t hugetlb_pages_ = 0;
  uint64_t moved_hugepages_ = 0;
  uint64_t remapped_ = 0;                      // hugepages with `remapped` set
  mutable uint64_t move_budget_ = UINT64_MAX;  // move_budget(), once read (lock held)
  uint64_t collapsed_ = 0;                     // hugepages promote() collapsed
  bool hugetlb_empty_ = false;                 // the pool refused a page
  bool big_ = false;                           // the hugepages in use reached thp_min_bytes
  bool no_collapse_ = false;                   // the OS said it cannot collapse (asked no more)
};

}  // namespace hpmm
