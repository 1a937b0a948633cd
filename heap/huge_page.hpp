// heap/huge_page.hpp: what the page heap knows about one 2 MiB hugepage of an arena.
//
// A hugepage is in exactly one state:
//   kFree    in the arena's free set: no page in a span (used.all_clear());
//   kFiller  owned by the hugepage filler: some pages in spans (small spans, large objects below
//            2 MiB, or the tail of a large object: `donated`);
//   kLarge   wholly inside one large object of >= 2 MiB (used.count() == 256).
// Invariants (valid()):
//   used_pages == used.count();  longest_free == used.longest_clear_run();
//   kFree => used_pages == 0 && nallocs == 0;  kLarge => used_pages == 256;
//   kFiller => 0 < used_pages and nallocs >= 1;
//   dirty ⊇ used  (a page in a span may hold data; a released or fresh page reads as zero);
//   remapped => backing != kHugetlb.
// Residency: a kPlain page is resident at most when dirty; a kThp hugepage may be resident whole
// once one of its pages was touched (a THP fault, or a collapse when the heap became big:
// HugeSet::promote); a kHugetlb hugepage is resident as a whole until released (its pool page is
// given back).
// Synchronised by the page heap's lock; the metadata lives off the object pages.
#pragma once

#include <cstdint>

#include "heap/page_bitmap.hpp"

namespace hpmm {

inline constexpr unsigned kHugePageShift = 21;
inline constexpr uint64_t kHugePageSize = uint64_t{1} << kHugePageShift;

enum class HpState : uint8_t { kFree, kFiller, kLarge };
// How a hugepage's memory is backed while resident: plain 4 KiB pages, transparent huge pages
// (the range is madvise(MADV_HUGEPAGE)d), or a page of the hugetlbfs pool.
enum class Backing : uint8_t { kPlain, kThp, kHugetlb };
const char *name_of(Backing b);

struct HugePage {
  PageBitmap used;   // page i belongs to a span
  PageBitmap dirty;  // page i was handed out since it was last zero (fresh or released)
  uintptr_t base = 0;
  HugePage *prev = nullptr;  // the filler's list this hugepage is on (kFiller)
  HugePage *next = nullptr;
  uint64_t free_since_ns = 0;  // kFree: when it became free; kFiller: its last free
  uint16_t used_pages = 0;
  uint16_t longest_free = kPagesPerHugePage;
  uint16_t nallocs = 0;  // allocations (spans) with pages here
  uint16_t list = 0;     // kFiller: index of the filler list it is on
  HpState state = HpState::kFree;
  Backing backing = Backing::kPlain;
  bool donated = false;   // holds the tail of a large object (the filler prefers others)
  bool broken = false;    // some pages were released while others were resident (THP maps it
                          // by 4 KiB pages now); cleared when the whole hugepage is released
  bool advised = false;   // the range is madvise(MADV_HUGEPAGE)d
  bool remapped = false;  // another hugepage's memory was moved here: the range is a mapping of
                          // its own (HugeSet::move_into) until fresh memory is mapped over it
  bool declined = false;  // taken with thp false (realloc growth): not promoted (HugeSet); cleared
                          // when it becomes free

  void refresh() {
    used_pages = static_cast<uint16_t>(used.count());
    longest_free = static_cast<uint16_t>(used.longest_clear_run());
  }
  // Free but holding memory the release should give back.
  bool resident_free() const {
    return state == HpState::kFree && (backing == Backing::kHugetlb || !dirty.all_clear());
  }

  bool valid() const {
    if (used_pages != used.count() || longest_free != used.longest_clear_run()) return false;
    for (uint32_t k = 0; k < PageBitmap::kWords; ++k)
      if ((used.word(k) & ~dirty.word(k)) != 0) return false;
    if (remapped && backing == Backing::kHugetlb) return false;
    switch (state) {
      case HpState::kFree:
        return used_pages == 0 && nallocs == 0;
      case HpState::kLarge:
        return used_pages == kPagesPerHugePage;
      case HpState::kFiller:
        return used_pages > 0 && nallocs >= 1;
    }
    return false;
  }
};

}  // namespace hpmm
