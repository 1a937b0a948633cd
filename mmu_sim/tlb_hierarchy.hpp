// mmu_sim/tlb_hierarchy.hpp: the TLBs of one simulated core: an L1 array per page size in use and
// an optional unified L2 (STLB) holding translations of every size.
//
// Keys: an L1 array of size s is tagged by vpn = va >> shift(s); the L2 by vpn << 2 | index_of(s)
// so pages of different sizes never alias; every array's set is vpn mod sets.
// Entries cache data = frame << 1 | D, 32 bits (frames < 2^31; D: the dirty bit as it was when
// the entry was filled, or set by a write through the entry).
// Fill rules (DESIGN.md): an L2 hit fills the L1 array of the page's size; a walk fills the L2 and
// the L1; an L1 victim is dropped, never moved to the L2 (the L2 is not inclusive either: its
// victim's L1 copy stays).  A shootdown removes a page's entry from its L1 array and from the L2.
// Not thread-safe: one per simulated core.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/check.hpp"
#include "base/units.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/tlb_array.hpp"

namespace hpmm::sim {

template <TlbReplacementPolicy R>
class TlbHierarchy {
 public:
  // sizes: the page sizes in use (their L1 arrays must be present; validate() checked it).
  TlbHierarchy(const SimConfig &c, const std::vector<PageSize> &sizes) {
    for (PageSize s : sizes) {
      l1_[index_of(s)].emplace(c.l1[index_of(s)], c.seed + 1 + index_of(s));
      order_[count_] = &*l1_[index_of(s)];
      shift_[count_] = static_cast<uint8_t>(shift_of(s));
      sizes_[count_++] = s;
    }
    if (c.l2.present()) l2_.emplace(c.l2, c.seed + 7);
  }

  TlbHierarchy(const TlbHierarchy &) = delete;  // order_ points into this object
  TlbHierarchy &operator=(const TlbHierarchy &) = delete;

  bool has_l2() const { return l2_.has_value(); }
  int size_count() const { return count_; }
  PageSize size(int i) const { return sizes_[i]; }
  TlbArray<R> &l1(PageSize s) { return *l1_[index_of(s)]; }
  const TlbArray<R> &l1(PageSize s) const { return *l1_[index_of(s)]; }
  TlbArray<R> &l2() { return *l2_; }
  const TlbArray<R> &l2() const { return *l2_; }
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
  uint32_t *probe_l2_fill_l1(uint64_t va, PageSize *size) {
    TlbArray<R> &l2 = *l2_;
    for (int i = 0; i < count_; ++i) {
      const PageSize s = sizes_[i];
      const uint64_t vpn = va >> shift_of(s);
      const uint32_t set = l2.set_of(vpn);
      const int64_t slot = l2.lookup(set, l2_tag(vpn, s));
      if (slot >= 0) {
        *size = s;
        TlbArray<R> &a = *l1_[index_of(s)];
        const uint32_t s1 = a.set_of(vpn);
        return a.entry(s1, a.fill(s1, vpn, *l2.entry(set, slot), nullptr));
      }
    }
    return nullptr;
  }

  // After a walk: fills the L2 (if any) and the L1; returns the L1 entry's data word.
  uint32_t *fill_from_walk(uint64_t va, PageSize s, uint32_t data) {
    const uint64_t vpn = va >> shift_of(s);
    if (l2_) l2_->fill(l2_->set_of(vpn), l2_tag(vpn, s), data, nullptr);
    TlbArray<R> &a = *l1_[index_of(s)];
    const uint32_t set = a.set_of(vpn);
    return a.entry(set, a.fill(set, vpn, data, nullptr));
  }

  // Removes the page's translations from every level; returns how many entries were removed.
  uint32_t shootdown(uint64_t va, PageSize s) {
    const uint64_t vpn = va >> shift_of(s);
    TlbArray<R> &a = *l1_[index_of(s)];
    uint32_t n = a.invalidate(a.set_of(vpn), vpn);
    if (l2_) n += l2_->invalidate(l2_->set_of(vpn), l2_tag(vpn, s));
    return n;
  }

  bool valid() const {
    for (int i = 0; i < count_; ++i)
      if (!l1_[index_of(sizes_[i])]->valid()) return false;
    return !l2_ || l2_->valid();
  }

 private:
  PageSize sizes_[kPageSizeCount] = {};      // the sizes in use, in probe order
  TlbArray<R> *order_[kPageSizeCount] = {};  // order_[i] = the L1 array of sizes_[i]
  uint8_t shift_[kPageSizeCount] = {};       // shift_[i] = shift_of(sizes_[i])
  int count_ = 0;
  std::optional<TlbArray<R>> l1_[kPageSizeCount];
  std::optional<TlbArray<R>> l2_;
};

}  // namespace hpmm::sim
