// heap/filler.hpp: the hugepage filler (TCMalloc's HugePageFiller): packs runs of pages shorter
// than a hugepage (spans of small objects, large objects below 2 MiB, tails of larger ones) into
// partly used hugepages so that few hugepages are partly used and whole ones can go back to the OS.
//
// Order: a run of n pages goes to the hugepage whose longest free run is the shortest that still
// fits (>= n): full hugepages stay full and emptier ones can drain.  Ties go to the hugepage with
// more allocations (bucketed: bit_width(nallocs), capped), which is less likely to become free;
// hugepages holding the tail of a large object ("donated") come last, since they become free
// when that object is freed.  Inside a hugepage the shortest free run that fits is taken (best
// fit).
//
// Lists: list(hp) = longest_free * kPrios + (kPrios - 1 - prio(hp)), prio 0 for donated, else
// 1 + min(bit_width(nallocs), kPrios - 2).  nonempty_ has bit L set iff list L is non-empty, so
// the choice is the first set bit at or after n * kPrios; summary_ has bit k set iff
// nonempty_[k] != 0 (kWords <= 64), so that search is two word scans.  heads_[L] is defined only
// while bit L of nonempty_ is set (it is never read otherwise), so the constructor does not write
// the 20 KiB array: in the shim's zero .bss its pages stay untouched (not resident) until used.
// Invariants (valid()): every kFiller hugepage is on exactly the list list(hp); counts match.
// A hugepage's used_pages and longest_free are kept incrementally: an allocation from a free run
// shorter than longest_free leaves it; a free sets it to max(longest_free, the merged run).
// Measured alternatives (THP mode, peak RSS change in MiB of mixed_sizes / large_blocks /
// realloc_growth / steady_heap, whose peaks under this rule are 73.0 / 54.8 / 108.7 / 123.3):
// runs of large objects >= 16 pages in hugepages of their own (TCMalloc's sparse/dense split,
// each side falling back on the other's hugepages before taking a new one) -2.0 / +4.0 / +1.2 / 0;
// the same with donated tails among the small spans -2.0 / +2.0 / +1.2 / 0; with small spans
// never in the large side's hugepages, the same; every large object apart -1 hugepage on
// mixed_sizes, +2 on steady_heap; ties by used pages instead of allocations +2 hugepages on
// mixed_sizes; a span class's runs placed in the hugepage of its last run first +6.0 / 0 / +1.2 /
// +2.0; large runs at the top of the chosen free run +2.0 / +2.0 / -0.7 / 0.  mixed_sizes' peak
// (35 hugepages, 1,500 free pages in them) is fragmentation: 83 of the 108 hugepages it took new
// for a run came while some hugepage had that many free pages, but no free run long enough.
// Synchronised by the page heap's lock.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

#include "heap/huge_page.hpp"

namespace hpmm {

class HugePageFiller {
 public:
  static constexpr uint32_t kPrios = 10;
  static constexpr uint32_t kLists = (kPagesPerHugePage + 1) * kPrios;
  static constexpr uint32_t kWords = (kLists + 63) / 64;
  static_assert(kWords <= 64, "summary_ has a bit per word of nonempty_");

  struct Alloc {
    HugePage *hp = nullptr;  // nullptr: no filler hugepage has a free run of n pages
    uint32_t index = 0;      // first page of the run in hp
    bool needzero = false;   // some page of the run may hold old data
  };

  // A run of n (1 <= n < 256) pages from the hugepage chosen by the order above, its first page
  // a multiple of align pages (a power of two <= 256) within the hugepage.
  Alloc alloc(uint32_t n, uint32_t align = 1) {
    for (uint32_t l = first_list_from(n * kPrios); l < kLists; l = first_list_from(l + 1)) {
      for (HugePage *hp = heads_[l]; hp != nullptr; hp = hp->next) {
        // The free run taken from (unknown when aligned) and the longest left, if known.
        uint32_t len = kPagesPerHugePage, rest = PageBitmap::kNone;
        uint32_t i =
            align == 1 ? hp->used.find_best_clear_run(n, &len, &rest) : aligned_fit(hp, n, align);
        if (i == PageBitmap::kNone) continue;  // only an aligned request can miss
        Alloc a{hp, i, hp->dirty.any_range(i, n)};
        unlink(hp);
        // A run shorter than the longest leaves it; else the scan may have told what is left.
        mark(hp, i, n, len < hp->longest_free ? hp->longest_free : rest);
        link(hp);
        return a;
      }
    }
    return {};
  }

  // Takes hp (state set to kFiller here) whose pages [i, i + n) become one allocation; the rest
  // of hp is free.  donated: the run is the tail of a large object.
  void add(HugePage *hp, uint32_t i, uint32_t n, bool donated) {
    hp->state = HpState::kFiller;
    hp->donated = donated;
    mark(hp, i, n, PageBitmap::kNone);
    link(hp);
    ++hugepages_;
  }

  // Gives back the run [i, i + n) of hp.  Returns true when hp became empty: it left the filler
  // and the caller owns it (state still kFiller).
  bool free(HugePage *hp, uint32_t i, uint32_t n) {
    unlink(hp);
    if (hp->donated && i == 0) hp->donated = false;  // the donor (it starts at page 0) left
    hp->used.clear_range(i, n);
    --hp->nallocs;
    used_pages_ -= n;
    hp->used_pages = static_cast<uint16_t>(hp->used_pages - n);
    uint32_t run = hp->used.clear_run_at(i);  // the freed run merged with its free neighbours
    if (run > hp->longest_free) hp->longest_free = static_cast<uint16_t>(run);
    if (hp->used_pages == 0) {
      --hugepages_;
      return true;
    }
    link(hp);
    return false;
  }

  // Grows an allocation of hp in place by the free run [i, i + n) right after it (the caller
  // checked it is free); the allocation count does not change.
  void extend(HugePage *hp, uint32_t i, uint32_t n) {
    unlink(hp);
    hp->used.set_range(i, n);
    hp->dirty.set_range(i, n);
    used_pages_ += n;
    hp->refresh();
    link(hp);
  }

  // Calls fn(hp) for every hugepage in the filler (fn must not change the filler).
  template <class Fn>
  void for_each(Fn &&fn) const {
    for (uint32_t l = first_list_from(0); l < kLists; l = first_list_from(l + 1))
      for (HugePage *hp = heads_[l]; hp != nullptr; hp = hp->next) fn(hp);
  }

  uint64_t hugepages() const { return hugepages_; }
  uint64_t used_pages() const { return used_pages_; }
  uint64_t free_pages() const { return hugepages_ * kPagesPerHugePage - used_pages_; }

  static uint32_t list_of(const HugePage *hp) {
    uint32_t bw = static_cast<uint32_t>(std::bit_width(hp->nallocs));
    uint32_t prio = hp->donated ? 0 : 1 + std::min<uint32_t>(bw, kPrios - 2);
    return hp->longest_free * kPrios + (kPrios - 1 - prio);
  }

  bool valid() const {
    uint64_t n = 0, used = 0;
    for (uint32_t k = 0; k < kWords; ++k)
      if (((summary_ >> k) & 1) != (nonempty_[k] != 0)) return false;
    for (uint32_t l = 0; l < kLists; ++l) {
      if (!nonempty(l)) continue;  // heads_[l] undefined
      if (heads_[l] == nullptr) return false;
      HugePage *prev = nullptr;
      for (HugePage *hp = heads_[l]; hp != nullptr; prev = hp, hp = hp->next) {
        if (hp->prev != prev || hp->state != HpState::kFiller || !hp->valid()) return false;
        if (hp->list != l || list_of(hp) != l) return false;
        ++n;
        used += hp->used_pages;
      }
    }
    return n == hugepages_ && used == used_pages_;
  }

 private:
  // Pages [i, i + n) of hp become one allocation; longest_free becomes `longest`, or is found
  // again when that is kNone (unknown).
  void mark(HugePage *hp, uint32_t i, uint32_t n, uint32_t longest) {
    hp->used.set_range(i, n);
    hp->dirty.set_range(i, n);
    ++hp->nallocs;
    used_pages_ += n;
    hp->used_pages = static_cast<uint16_t>(hp->used_pages + n);
    if (longest == PageBitmap::kNone) longest = hp->used.longest_clear_run();
    hp->longest_free = static_cast<uint16_t>(longest);
  }
  static uint32_t aligned_fit(const HugePage *hp, uint32_t n, uint32_t align) {
    uint32_t found = PageBitmap::kNone;
    hp->used.for_each_clear_run([&](uint32_t i, uint32_t len) {
      uint32_t a = (i + align - 1) & ~(align - 1);
      if (found == PageBitmap::kNone && a + n <= i + len) found = a;
    });
    return found;
  }
  // First non-empty list at or after l, or kLists: its word of nonempty_, else the next
  // non-empty word found through summary_.
  uint32_t first_list_from(uint32_t l) const {
    uint32_t k = l / 64;
    if (k >= kWords) return kLists;
    uint64_t w = nonempty_[k] & (~uint64_t{0} << (l % 64));
    if (w != 0) return k * 64 + static_cast<uint32_t>(std::countr_zero(w));
    uint64_t rest = k + 1 < 64 ? summary_ & (~uint64_t{0} << (k + 1)) : 0;
    if (rest == 0) return kLists;
    k = static_cast<uint32_t>(std::countr_zero(rest));
    return k * 64 + static_cast<uint32_t>(std::countr_zero(nonempty_[k]));
  }
  bool nonempty(uint32_t l) const { return (nonempty_[l / 64] >> (l % 64)) & 1; }
  void link(HugePage *hp) {
    uint32_t l = list_of(hp);
    hp->list = static_cast<uint16_t>(l);
    hp->prev = nullptr;
    hp->next = nonempty(l) ? heads_[l] : nullptr;
    if (hp->next != nullptr) hp->next->prev = hp;
    heads_[l] = hp;
    nonempty_[l / 64] |= uint64_t{1} << (l % 64);
    summary_ |= uint64_t{1} << (l / 64);
  }
  void unlink(HugePage *hp) {
    uint32_t l = hp->list;
    if (hp->prev != nullptr) {
      hp->prev->next = hp->next;
    } else {
      heads_[l] = hp->next;
    }
    if (hp->next != nullptr) hp->next->prev = hp->prev;
    hp->prev = hp->next = nullptr;
    if (heads_[l] == nullptr) {
      nonempty_[l / 64] &= ~(uint64_t{1} << (l % 64));
      if (nonempty_[l / 64] == 0) summary_ &= ~(uint64_t{1} << (l / 64));
    }
  }

  HugePage *heads_[kLists];  // heads_[l] defined iff nonempty(l) (see the header)
  uint64_t nonempty_[kWords] = {};
  uint64_t summary_ = 0;  // bit k set <=> nonempty_[k] != 0
  uint64_t hugepages_ = 0;
  uint64_t used_pages_ = 0;
};

}  // namespace hpmm
