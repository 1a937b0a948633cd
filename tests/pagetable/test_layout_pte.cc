// tests/pagetable/test_layout_pte.cc: Layout arithmetic and the Pte format.
#include <criterion/criterion.h>

#include "pagetable/layout.hpp"
#include "pagetable/pte.hpp"

using namespace hpmm;

Test(layout, x86_64_4level_indices_and_spans) {
  const Layout &l = kX86_64_4Level;
  cr_assert(l.valid());
  cr_assert_eq(l.key_bits(), 36u);
  cr_assert_eq(l.address_bits(), 48u);
  cr_assert_eq(l.max_key(), (uint64_t{1} << 36) - 1);
  // va = PML4 5, PDPT 6, PD 7, PT 8, offset 0x123
  const uint64_t va = (5ull << 39) | (6ull << 30) | (7ull << 21) | (8ull << 12) | 0x123;
  const uint64_t key = va >> l.page_shift;
  cr_assert_eq(l.index(key, 4), 5u);
  cr_assert_eq(l.index(key, 3), 6u);
  cr_assert_eq(l.index(key, 2), 7u);
  cr_assert_eq(l.index(key, 1), 8u);
  cr_assert_eq(l.bytes_per_entry(1), 4_KiB);
  cr_assert_eq(l.bytes_per_entry(2), 2_MiB);
  cr_assert_eq(l.bytes_per_entry(3), 1_GiB);
  cr_assert_eq(l.bytes_per_entry(4), 1_GiB * 512);
  cr_assert_eq(l.pages_per_entry(2), Pages(512));
  cr_assert_eq(l.node_bytes(1), 4_KiB);
}

Test(layout, x86_64_5level_and_heap_map) {
  cr_assert_eq(kX86_64_5Level.address_bits(), 57u);
  cr_assert_eq(kX86_64_5Level.index(uint64_t{0x1ff} << 36, 5), 0x1ffu);
  const Layout &h = kHeapPageMap;
  cr_assert_eq(h.key_bits(), 35u);
  cr_assert_eq(h.address_bits(), 48u);
  cr_assert_eq(h.bytes_per_entry(2), 2_GiB);
  cr_assert_eq(h.node_bytes(2), 1_MiB);  // root
  cr_assert_eq(h.node_bytes(1), 2_MiB);  // leaf
  const uint64_t top = h.max_key();
  cr_assert_eq(h.index(top, 2), (1u << 17) - 1);
  cr_assert_eq(h.index(top, 1), (1u << 18) - 1);
}

Test(layout, rejects_bad_shapes) {
  cr_assert_not(Layout({0, {}, 12}).valid());
  cr_assert_not(Layout({7, {9, 9, 9, 9, 9, 9}, 12}).valid());     // more than kMaxLevels
  cr_assert_not(Layout({2, {9, 0, 0, 0, 0, 0}, 12}).valid());     // a level with no bits
  cr_assert_not(Layout({1, {9, 9, 0, 0, 0, 0}, 12}).valid());     // bits beyond `levels`
  cr_assert_not(Layout({3, {24, 24, 24, 0, 0, 0}, 12}).valid());  // 84 address bits
  cr_assert_not(Layout({1, {25, 0, 0, 0, 0, 0}, 12}).valid());    // node too large
  cr_assert(Layout({1, {20, 0, 0, 0, 0, 0}, 12}).valid());
}

Test(pte, flags_are_independent_bits) {
  Pte p;
  cr_assert(p.none() && !p.present() && !p.swapped());
  p.set_present(true);
  p.set_dirty(true);
  cr_assert_eq(p.raw, Pte::kPresent | Pte::kDirty);
  p.set_writable(true);
  p.set_accessed(true);
  p.set_huge(true);
  p.set_dirty(false);
  cr_assert_eq(p.raw, Pte::kPresent | Pte::kWritable | Pte::kAccessed | Pte::kHuge);
  cr_assert(p.writable() && p.accessed() && p.huge() && !p.dirty());
  // x86 bit positions
  cr_assert_eq(Pte::kWritable, 2u);
  cr_assert_eq(Pte::kAccessed, 0x20u);
  cr_assert_eq(Pte::kDirty, 0x40u);
  cr_assert_eq(Pte::kHuge, 0x80u);
}

Test(pte, frame_field_holds_bits_12_to_51) {
  Pte p = Pte::leaf(Pfn(0xabcde), PageSize::k4K, Pte::kWritable);
  cr_assert_eq(p.raw, (uint64_t{0xabcde} << 12) | Pte::kPresent | Pte::kWritable);
  cr_assert_eq(p.pfn(PageSize::k4K), Pfn(0xabcde));
  cr_assert_eq(p.phys(), PhysAddr(uint64_t{0xabcde} << 12));
  // a 2 MiB frame numbered 3 sits at physical 6 MiB; the leaf is huge
  Pte h = Pte::leaf(Pfn(3), PageSize::k2M, 0);
  cr_assert(h.huge() && h.present() && !h.writable());
  cr_assert_eq(h.phys(), PhysAddr(6 << 20));
  cr_assert_eq(h.pfn(PageSize::k2M), Pfn(3));
  // the largest 4 KiB frame fits and does not spill into flags or bit 52+
  const Pfn top((uint64_t{1} << 40) - 1);
  cr_assert(Pte::pfn_fits(top, PageSize::k4K));
  cr_assert_not(Pte::pfn_fits(Pfn(uint64_t{1} << 40), PageSize::k4K));
  cr_assert_not(Pte::pfn_fits(Pfn(uint64_t{1} << 31), PageSize::k2M));
  Pte t = Pte::leaf(top, PageSize::k4K, 0);
  cr_assert_eq(t.raw, Pte::kFrameMask | Pte::kPresent);
  cr_assert_eq(t.raw >> 52, 0u);
}

Test(pte, swapped_round_trip) {
  Pte p = Pte::leaf(Pfn(77), PageSize::k4K, Pte::kWritable | Pte::kDirty);
  // evict to swap slot 123456: not present, swapped, slot in the frame field
  p.set_present(false);
  p.set_dirty(false);
  p.set_swapped(true);
  p.set_swap_slot(123456);
  cr_assert(!p.present() && p.swapped() && !p.none());
  cr_assert_eq(p.swap_slot(), 123456u);
  cr_assert(p.writable(), "permissions survive eviction");
  // bring it back in frame 9
  p.set_swapped(false);
  p.set_pfn(Pfn(9), PageSize::k4K);
  p.set_present(true);
  cr_assert_eq(p, Pte::leaf(Pfn(9), PageSize::k4K, Pte::kWritable));
  const Pte s = Pte::swapped_out(Pte::kMaxSwapSlot, PageSize::k1G);
  cr_assert(s.huge() && s.swapped() && !s.present());
  cr_assert_eq(s.swap_slot(), Pte::kMaxSwapSlot);
}

Test(pte, table_entries_reference_nodes) {
  alignas(4096) static uint64_t node[512];
  const Pte t = Pte::table(node);
  cr_assert(t.present() && t.is_table() && !t.huge());
  cr_assert_eq(t.node(), static_cast<void *>(node));
  cr_assert_not(Pte::leaf(Pfn(1), PageSize::k2M, 0).is_table());
  cr_assert_not(Pte().is_table());
}
