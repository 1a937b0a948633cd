// mmu_sim/tlb_hierarchy.hpp: the TLBs of one simulated core: an L1 array per page size in use and
// an optional unified L2 (STLB) holding translations of every size.  Every array replaces by R; the
// L2 for lru and fifo in tlb_packed_order.hpp's form (the same victims, without a min over stamps).
//
// Keys: an L1 array of size s is tagged by vpn = va >> shift(s); the L2 by vpn << 2 | index_of(s)
// so pages of different sizes never alias; every array's set is vpn mod sets.
// Entries cache data = frame << 1 | D, 32 bits (frames < 2^31; D: the dirty bit as it was when
// the entry was filled, or set by a write through the entry).
// Fill rules (DESIGN.md): an L2 hit fills the L1 array of the page's size; a walk fills the L2 and
// the L1; an L1 victim is dropped, never moved to the L2 (the L2 is not inclusive either: its
// victim's L1 copy stays).  A shootdown removes a page's entry from its L1 array and from the L2.
//
// The shootdown filter: held(s, f) = the levels holding a translation to frame f of size s's pool,
//   bit 0 (kInL1): the L1 array of size s holds an entry with data >> 1 == f,
//   bit 1 (kInL2): the L2 holds an entry with tag & 3 == index_of(s) and data >> 1 == f.
// Kept exact by every fill (the new entry's bit set, the replaced entry's bit cleared) and every
// shootdown (cleared); a data word's rewrite (the dirty bit) keeps its frame.  A frame holds one
// page, and a level at most one entry per page, so a level holds at most one entry per frame:
// a shootdown of the page in frame f searches only the levels whose bit is set (~2 % of evictions
// in a fault-heavy run find anything).  The MMU's rule that makes this exact: every entry to
// frame f caches the page resident in f (an evicted page is shot down before its frame is
// refilled), so the victim's entries are the ones that name its frame.
// Not thread-safe: one per simulated core.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/check.hpp"
#include "base/units.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/tlb_array.hpp"
#include "mmu_sim/tlb_packed_order.hpp"

namespace hpmm::sim {

template <TlbReplacementPolicy R>
class TlbHierarchy {
 public:
  using L2Policy = typename TlbL2Policy<R>::type;  // R's victims, found faster (packed order)

  // sizes: the page sizes in use (their L1 arrays must be present; validate() checked it); the
  // frames of size s are 0 .. c.frames[index_of(s)] - 1.
  TlbHierarchy(const SimConfig &c, const std::vector<PageSize> &sizes) {
    for (PageSize s : sizes) {
      l1_[index_of(s)].emplace(c.l1[index_of(s)], c.seed + 1 + index_of(s));
      held_[index_of(s)].assign(c.frames[index_of(s)], 0);
      order_[count_] = &*l1_[index_of(s)];
      shift_[count_] = static_cast<uint8_t>(shift_of(s));
      sizes_[count_++] = s;
    }
    if (c.l2.present()) l2_.emplace(c.l2, c.seed + 7);
    one_line_ = count_ == 1 && sizes_[0] == PageSize::k4K && order_[0]->probe().fast() &&
                (!l2_ || is_pow2(c.l2.sets));
    if (count_ > 0) held0_ = held_[index_of(sizes_[0])].data();
  }

  TlbHierarchy(const TlbHierarchy &) = delete;  // order_ points into this object
  TlbHierarchy &operator=(const TlbHierarchy &) = delete;

  bool has_l2() const { return l2_.has_value(); }
  // The usual machine (one 4 KiB size, its L1 of the usual shape): the miss path's short form.
  bool one_line() const { return one_line_; }
  int size_count() const { return count_; }
  PageSize size(int i) const { return sizes_[i]; }
  TlbArray<R> &l1(PageSize s) { return *l1_[index_of(s)]; }
  const TlbArray<R> &l1(PageSize s) const { return *l1_[index_of(s)]; }
  TlbArray<L2Policy> &l2() { return *l2_; }
  const TlbArray<L2Policy> &l2() const { return *l2_; }
  static uint64_t l2_tag(uint64_t vpn, PageSize s) { return vpn << 2 | index_of(s); }

  // Probes the L1 arrays of the sizes in use; on a hit returns the entry's data word (valid while
  // the TLB lives) and sets *size; else null.
  HPMM_INLINE uint32_t *probe_l1(uint64_t va, PageSize *size) {
    for (int i = 0; i < count_; ++i) {
      TlbArray<R> &a = *order_[i];
      const uint64_t vpn = va >> shift_[i];
      const uint32_t set = a.set_of(vpn);
      const int64_t slot = a.lookup(set, vpn);
      if (slot >= 0) {
        *size = sizes_[i];
        return a.entry(set, slot);
      }
    }
    return nullptr;
  }

  // Probes the L2 for every size in use; on a hit fills the L1 and returns its data word there.
  // kLine: the caller knows one_line() holds (its branch is then left out).
  template <bool kLine = false>
  HPMM_INLINE uint32_t *probe_l2_fill_l1(uint64_t va, PageSize *size) {
    HPMM_ASSERT(!kLine || one_line_);
    if (kLine || HPMM_LIKELY(one_line_)) {
      *size = PageSize::k4K;
      return probe_l2_line(va >> 12);
    }
    return probe_l2_sizes(va, size);
  }

  // After a walk: fills the L2 (if any) and the L1; returns the L1 entry's data word.
  // The page is in no level (a walk follows an L1 and an L2 miss).  kLine: as probe_l2_fill_l1.
  template <bool kLine = false>
  HPMM_INLINE uint32_t *fill_from_walk(uint64_t va, PageSize s, uint32_t data) {
    HPMM_ASSERT(!kLine || one_line_);
    if (kLine || HPMM_LIKELY(one_line_)) return fill_line(va >> 12, data);
    return fill_sizes(va, s, data);
  }

  // Removes the translations of the page at va, of size s, resident in frame, from every level;
  // returns how many entries were removed.  Searches only the levels held() names.
  HPMM_INLINE uint32_t shootdown(uint64_t va, PageSize s, uint32_t frame) {
    HPMM_ASSERT(frame < held_[index_of(s)].size());
    if (HPMM_LIKELY(held_[index_of(s)][frame] == 0)) {  // most victims: no level to search
      HPMM_ASSERT(!cached(va, s));
      return 0;
    }
    return shootdown_held(va, s, frame);
  }

  // The levels holding a translation to frame of size s (file comment): kInL1 | kInL2 bits.
  static constexpr uint8_t kInL1 = 1, kInL2 = 2;
  uint8_t held(PageSize s, uint32_t frame) const { return held_[index_of(s)][frame]; }

  // The arrays, and held() against a count of the entries naming each frame (a full scan).
  bool valid() const {
    for (int i = 0; i < count_; ++i)
      if (!l1_[index_of(sizes_[i])]->valid()) return false;
    if (l2_ && !l2_->valid()) return false;
    std::vector<uint8_t> seen[kPageSizeCount];
    for (int i = 0; i < kPageSizeCount; ++i) seen[i].assign(held_[i].size(), 0);
    auto note = [&](int size, uint32_t data, uint8_t bit) {
      if ((data >> 1) >= seen[size].size() || (seen[size][data >> 1] & bit)) return false;
      seen[size][data >> 1] |= bit;
      return true;
    };
    for (int i = 0; i < count_; ++i) {
      const TlbArray<R> &a = *l1_[index_of(sizes_[i])];
      for (uint64_t slot = 0; slot < uint64_t{a.sets()} * a.ways(); ++slot)
        if (a.tag(static_cast<int64_t>(slot)) != kInvalidTag &&
            !note(index_of(sizes_[i]), a.data(static_cast<int64_t>(slot)), kInL1))
          return false;
    }
    if (l2_) {
      for (uint64_t slot = 0; slot < uint64_t{l2_->sets()} * l2_->ways(); ++slot) {
        const uint64_t tag = l2_->tag(static_cast<int64_t>(slot));
        if (tag != kInvalidTag &&
            !note(static_cast<int>(tag & 3), l2_->data(static_cast<int64_t>(slot)), kInL2))
          return false;
      }
    }
    for (int i = 0; i < kPageSizeCount; ++i)
      if (seen[i] != held_[i]) return false;
    return true;
  }

 private:
  // held() bookkeeping: a fill's new entry and the entry it replaced.
  HPMM_INLINE static void added(uint8_t *held, uint32_t data, uint8_t bit) {
    HPMM_ASSERT(!(held[data >> 1] & bit));
    held[data >> 1] |= bit;
  }
  HPMM_INLINE static void dropped(uint8_t *held, uint32_t data, uint8_t bit) {
    HPMM_ASSERT(held[data >> 1] & bit);
    held[data >> 1] &= static_cast<uint8_t>(~bit);
  }

  // The usual machine, one_line_: one page size, 4 KiB, whose L1 has the usual shape
  // (TlbArray::Probe::fast(): power-of-two sets, 4 ways, a set one 64-byte line).  The miss path
  // then has no loop over sizes, the vpn is the L1 tag, every L2 entry is of that size (its
  // held() bits are held0_'s), the L1's geometry is constants, and the L2's set count (if any) is
  // a power of two.
  HPMM_INLINE uint32_t *probe_l2_line(uint64_t vpn) {
    TlbArray<L2Policy> &l2 = *l2_;
    const uint32_t set = l2.set_pow2(vpn);
    const int64_t slot = l2.lookup(set, vpn << 2 | index_of(PageSize::k4K));
    if (slot < 0) return nullptr;
    const uint32_t data = *l2.entry(set, slot);
    return fill_l1_line(vpn, data, held0_);
  }
  HPMM_INLINE uint32_t *fill_line(uint64_t vpn, uint32_t data) {
    uint8_t *const held = held0_;
    HPMM_ASSERT(held[data >> 1] == 0);
    if (l2_) {
      typename TlbArray<L2Policy>::Evicted ev;
      TlbArray<L2Policy> &l2 = *l2_;
      l2.place(l2.set_pow2(vpn), vpn << 2 | index_of(PageSize::k4K), data, &ev);
      if (ev.any) dropped(held, ev.data, kInL2);
      added(held, data, kInL2);
    }
    return fill_l1_line(vpn, data, held);
  }
  // held: held0_ (a local: the member would be reloaded after every store to held()).
  HPMM_INLINE uint32_t *fill_l1_line(uint64_t vpn, uint32_t data, uint8_t *held) {
    TlbArray<R> &a = *order_[0];
    typename TlbArray<R>::Evicted ev;
    uint32_t *d = a.template place<true>(a.probe().set_small(vpn), vpn, data, &ev);
    if (ev.any) dropped(held, ev.data, kInL1);
    added(held, data, kInL1);
    return d;
  }

  // shootdown() of a page that some level holds.
  [[gnu::noinline]] uint32_t shootdown_held(uint64_t va, PageSize s, uint32_t frame) {
    const uint64_t vpn = va >> shift_of(s);
    TlbArray<R> &a = *l1_[index_of(s)];
    uint8_t &h = held_[index_of(s)][frame];
    uint32_t n = 0;
    if (h & kInL1) {
      n += a.invalidate(a.set_of(vpn), vpn);
    } else {
      HPMM_ASSERT(a.find(a.set_of(vpn), vpn) < 0);
    }
    if (l2_) {
      if (h & kInL2) {
        n += l2_->invalidate(l2_->set_of(vpn), l2_tag(vpn, s));
      } else {
        HPMM_ASSERT(l2_->find(l2_->set_of(vpn), l2_tag(vpn, s)) < 0);
      }
    }
    HPMM_ASSERT(n == static_cast<uint32_t>(std::popcount(unsigned{h})));  // the page was there
    h = 0;
    return n;
  }
  // Whether any level holds the page at va of size s (the debug check of held()).
  bool cached(uint64_t va, PageSize s) const {
    const uint64_t vpn = va >> shift_of(s);
    const TlbArray<R> &a = *l1_[index_of(s)];
    return a.find(a.set_of(vpn), vpn) >= 0 ||
           (l2_ && l2_->find(l2_->set_of(vpn), l2_tag(vpn, s)) >= 0);
  }

  // The general paths: any sizes and shapes.
  [[gnu::noinline]] uint32_t *probe_l2_sizes(uint64_t va, PageSize *size) {
    TlbArray<L2Policy> &l2 = *l2_;
    for (int i = 0; i < count_; ++i) {
      const PageSize s = sizes_[i];
      const uint64_t vpn = va >> shift_of(s);
      const uint32_t set = l2.set_of(vpn);
      const int64_t slot = l2.lookup(set, l2_tag(vpn, s));
      if (slot >= 0) {
        *size = s;
        TlbArray<R> &a = *l1_[index_of(s)];
        const uint32_t data = *l2.entry(set, slot);
        typename TlbArray<R>::Evicted ev;
        uint32_t *d = a.place(a.set_of(vpn), vpn, data, &ev);
        uint8_t *held = held_[index_of(s)].data();
        if (ev.any) dropped(held, ev.data, kInL1);
        added(held, data, kInL1);
        return d;
      }
    }
    return nullptr;
  }
  [[gnu::noinline]] uint32_t *fill_sizes(uint64_t va, PageSize s, uint32_t data) {
    const uint64_t vpn = va >> shift_of(s);
    uint8_t *held = held_[index_of(s)].data();
    HPMM_ASSERT(held[data >> 1] == 0);
    if (l2_) {
      typename TlbArray<L2Policy>::Evicted ev;
      l2_->place(l2_->set_of(vpn), l2_tag(vpn, s), data, &ev);
      if (ev.any) dropped(held_[ev.tag & 3].data(), ev.data, kInL2);
      added(held, data, kInL2);
    }
    typename TlbArray<R>::Evicted ev;
    TlbArray<R> &a = *l1_[index_of(s)];
    uint32_t *d = a.place(a.set_of(vpn), vpn, data, &ev);
    if (ev.any) dropped(held, ev.data, kInL1);
    added(held, data, kInL1);
    return d;
  }

  PageSize sizes_[kPageSizeCount] = {};      // the sizes in use, in probe order
  TlbArray<R> *order_[kPageSizeCount] = {};  // order_[i] = the L1 array of sizes_[i]
  uint8_t shift_[kPageSizeCount] = {};       // shift_[i] = shift_of(sizes_[i])
  int count_ = 0;
  std::optional<TlbArray<R>> l1_[kPageSizeCount];
  std::optional<TlbArray<L2Policy>> l2_;
  std::vector<uint8_t> held_[kPageSizeCount];  // held_[index_of(s)][f] = held(s, f)
  bool one_line_ = false;                      // the usual machine (probe_l2_line)
  uint8_t *held0_ = nullptr;                   // held_[index_of(sizes_[0])].data()
};

}  // namespace hpmm::sim
