// pagetable/pte.hpp: Pte, a 64-bit page-table entry in the x86-64 format (layer 2, no policy).
//
//   bit  0  P    present              bit  6  D    dirty (leaves)
//   bit  1  R/W  writable             bit  7  PS   huge: a leaf above level 1 (2 MiB, 1 GiB)
//   bit  2  U/S  user                 bit  9  SW   swapped (software, x86's AVL bits 9..11)
//   bit  5  A    accessed             bits 12..51  frame field
// Kinds of entry (as in Linux):
//   none      !present && !swapped: nothing mapped here (raw bits other than these are ignored)
//   leaf      present, at level 1, or at level >= 2 with huge: frame field = physical address
//             >> 12 of a frame of the leaf's size, so aligned: phys % bytes_of(size) == 0
//   table     present && !huge at level >= 2: frame field = address >> 12 of the child node
//   swapped   !present && swapped: the page has a valid copy in swap; frame field = swap slot
//             (huge keeps telling the page's size)
// Invariant of a valid leaf: !(present && swapped).  Accessors are constexpr where they can be.
#pragma once

#include <cstdint>

#include "base/check.hpp"
#include "base/units.hpp"

namespace hpmm {

struct Pte {
  uint64_t raw = 0;

  static constexpr uint64_t kPresent = uint64_t{1} << 0;
  static constexpr uint64_t kWritable = uint64_t{1} << 1;
  static constexpr uint64_t kUser = uint64_t{1} << 2;
  static constexpr uint64_t kAccessed = uint64_t{1} << 5;
  static constexpr uint64_t kDirty = uint64_t{1} << 6;
  static constexpr uint64_t kHuge = uint64_t{1} << 7;
  static constexpr uint64_t kSwapped = uint64_t{1} << 9;
  static constexpr unsigned kFrameShift = 12;
  static constexpr unsigned kFrameBits = 40;  // bits 12..51
  static constexpr uint64_t kFrameMask = ((uint64_t{1} << kFrameBits) - 1) << kFrameShift;
  // Flags a caller may pass to PageTable::map (present and huge are set by the table).
  static constexpr uint64_t kMapFlags = kWritable | kUser | kAccessed | kDirty;
  static constexpr uint64_t kMaxSwapSlot = (uint64_t{1} << kFrameBits) - 1;
  static constexpr uint64_t kPhysLimit = uint64_t{1} << (kFrameShift + kFrameBits);  // 2^52

  constexpr Pte() = default;
  constexpr explicit Pte(uint64_t r) : raw(r) {}
  constexpr bool operator==(const Pte &) const = default;

  constexpr bool present() const { return (raw & kPresent) != 0; }
  constexpr bool writable() const { return (raw & kWritable) != 0; }
  constexpr bool user() const { return (raw & kUser) != 0; }
  constexpr bool accessed() const { return (raw & kAccessed) != 0; }
  constexpr bool dirty() const { return (raw & kDirty) != 0; }
  constexpr bool huge() const { return (raw & kHuge) != 0; }
  constexpr bool swapped() const { return (raw & kSwapped) != 0; }
  constexpr bool none() const { return (raw & (kPresent | kSwapped)) == 0; }

  constexpr void set(uint64_t bit, bool on) { raw = on ? (raw | bit) : (raw & ~bit); }
  constexpr void set_present(bool on) { set(kPresent, on); }
  constexpr void set_writable(bool on) { set(kWritable, on); }
  constexpr void set_accessed(bool on) { set(kAccessed, on); }
  constexpr void set_dirty(bool on) { set(kDirty, on); }
  constexpr void set_huge(bool on) { set(kHuge, on); }
  constexpr void set_swapped(bool on) { set(kSwapped, on); }

  // The frame field, raw (bits 12..51 shifted down): a 4 KiB frame number or a swap slot.
  constexpr uint64_t frame_field() const { return (raw & kFrameMask) >> kFrameShift; }
  constexpr void set_frame_field(uint64_t v) {
    HPMM_ASSERT(v <= kMaxSwapSlot);
    raw = (raw & ~kFrameMask) | ((v << kFrameShift) & kFrameMask);
  }

  // Leaf views of the frame field.  pfn(s) is in units of page size s, as units.hpp says.
  constexpr PhysAddr phys() const { return PhysAddr(raw & kFrameMask); }
  constexpr Pfn pfn(PageSize s) const { return Pfn((raw & kFrameMask) >> shift_of(s)); }
  constexpr void set_pfn(Pfn f, PageSize s) { set_frame_field(f.value << (shift_of(s) - 12)); }
  constexpr uint64_t swap_slot() const { return frame_field(); }
  constexpr void set_swap_slot(uint64_t slot) { set_frame_field(slot); }

  // True if a frame of size s numbered f fits the frame field (physical address < 2^52).
  static constexpr bool pfn_fits(Pfn f, PageSize s) {
    return f.value < (kPhysLimit >> shift_of(s));
  }

  // A present leaf mapping frame f of size s; flags & kMapFlags are kept.
  static constexpr Pte leaf(Pfn f, PageSize s, uint64_t flags) {
    Pte p(kPresent | (flags & kMapFlags) | (s != PageSize::k4K ? kHuge : 0));
    p.set_pfn(f, s);
    return p;
  }
  // A non-present leaf of size s whose page is in swap slot `slot`.
  static constexpr Pte swapped_out(uint64_t slot, PageSize s) {
    Pte p(kSwapped | (s != PageSize::k4K ? kHuge : 0));
    p.set_swap_slot(slot);
    return p;
  }

  // Table entries: present, writable and user (permissions are decided at the leaf, as Linux
  // does), frame field = the child node's address >> 12.
  static Pte table(void *node) {
    const auto a = reinterpret_cast<uintptr_t>(node);
    HPMM_CHECK(a % 4096 == 0 && a < kPhysLimit,
               "Pte::table: node address must be 4 KiB-aligned and below 2^52");
    return Pte(kPresent | kWritable | kUser | a);
  }
  void *node() const { return reinterpret_cast<void *>(raw & kFrameMask); }
  constexpr bool is_table() const { return (raw & (kPresent | kHuge)) == kPresent; }
};
static_assert(sizeof(Pte) == 8);

}  // namespace hpmm
