// pagetable/layout.hpp: the shape of a radix table keyed by page number (layer 2, no policy).
//
// A key is a page number: key = address >> page_shift.  The table has `levels` levels; level 1
// is the leaf level (x86's PT), level `levels` is the root (PML4 on 4-level x86-64).  A node at
// level L is an array of entries(L) = 2^bits[L-1] entries of 8 bytes, and the index of a key in
// it is a bit field of the key:
//   shift(L)        = bits[0] + ... + bits[L-2]            (shift(1) == 0)
//   index(key, L)   = (key >> shift(L)) & (entries(L) - 1)
//   key_bits        = bits[0] + ... + bits[levels-1]       every key satisfies key < 2^key_bits
//   one entry at level L covers 2^shift(L) keys = 2^(shift(L) + page_shift) bytes of addresses
// Invariants (valid()): 1 <= levels <= kMaxLevels, 1 <= bits[i] <= kMaxLevelBits for i < levels,
// bits[i] == 0 for i >= levels, key_bits + page_shift <= 64.
#pragma once

#include <cstdint>

#include "base/units.hpp"

namespace hpmm {

inline constexpr int kMaxLevels = 6;
inline constexpr unsigned kMaxLevelBits = 24;  // a node of 2^24 entries is 128 MiB: plenty

struct Layout {
  int levels;
  uint8_t bits[kMaxLevels];  // index bits per level; bits[0] is level 1 (the leaf level)
  unsigned page_shift;       // log2 of the bytes one key stands for

  constexpr unsigned shift(int level) const {
    unsigned s = 0;
    for (int i = 0; i < level - 1; ++i) s += bits[i];
    return s;
  }
  constexpr unsigned key_bits() const { return shift(levels + 1); }
  constexpr unsigned address_bits() const { return key_bits() + page_shift; }
  constexpr uint64_t entries(int level) const { return uint64_t{1} << bits[level - 1]; }
  constexpr Bytes node_bytes(int level) const { return Bytes(entries(level) * 8); }
  constexpr uint64_t index(uint64_t key, int level) const {
    return (key >> shift(level)) & (entries(level) - 1);
  }
  // Keys (pages) and bytes covered by one entry at `level`.
  constexpr Pages pages_per_entry(int level) const { return Pages(uint64_t{1} << shift(level)); }
  constexpr Bytes bytes_per_entry(int level) const {
    return Bytes(uint64_t{1} << (shift(level) + page_shift));
  }
  // The largest key the layout holds: 2^key_bits - 1.
  constexpr uint64_t max_key() const {
    return key_bits() >= 64 ? ~uint64_t{0} : (uint64_t{1} << key_bits()) - 1;
  }

  constexpr bool valid() const {
    if (levels < 1 || levels > kMaxLevels) return false;
    unsigned total = page_shift;
    for (int i = 0; i < kMaxLevels; ++i) {
      if (i < levels && (bits[i] < 1 || bits[i] > kMaxLevelBits)) return false;
      if (i >= levels && bits[i] != 0) return false;
      total += bits[i];
    }
    return total <= 64;
  }
};

// x86-64 4-level paging: 48-bit virtual addresses, 4 KiB pages, 512-entry (4 KiB) nodes.
// Level 1 entries map 4 KiB, level 2 entries 2 MiB, level 3 entries 1 GiB, level 4 512 GiB.
inline constexpr Layout kX86_64_4Level{4, {9, 9, 9, 9, 0, 0}, 12};
// x86-64 5-level paging (LA57): 57-bit virtual addresses; level 5 entries map 256 TiB.
inline constexpr Layout kX86_64_5Level{5, {9, 9, 9, 9, 9, 0}, 12};

// The heap's address -> span map (TCMalloc's PageMap, Go's arena index): key = address >> 13
// (8 KiB heap pages), 48-bit user addresses, so 35 key bits.  Two levels, as TCMalloc's PageMap2
// uses for 48-bit x86-64: a lookup is root[i] then leaf[j], two dependent loads after the root
// pointer (which stays in L1), against three for a 3-level split.  Root: 2^17 entries (1 MiB of
// virtual memory; only the pages holding used entries are ever touched when the node source is
// mmap-backed); each root entry covers 2 GiB of addresses with a 2^18-entry (2 MiB) leaf,
// again touched only where spans live -- one leaf per 2 GiB the heap spans, a 0.1% overhead
// at worst.  A leaf is exactly one 2 MiB hugepage, so a source that backs it with one makes
// leaf lookups cost no extra dTLB misses.  A 3-level split (11/12/12, 32 KiB nodes) would cut the
// virtual footprint but add a load to every free().
inline constexpr Layout kHeapPageMap{2, {18, 17, 0, 0, 0, 0}, 13};

static_assert(kX86_64_4Level.valid() && kX86_64_4Level.address_bits() == 48);
static_assert(kX86_64_5Level.valid() && kX86_64_5Level.address_bits() == 57);
static_assert(kHeapPageMap.valid() && kHeapPageMap.address_bits() == 48);
static_assert(kX86_64_4Level.bytes_per_entry(2) == 2_MiB);
static_assert(kX86_64_4Level.bytes_per_entry(3) == 1_GiB);

}  // namespace hpmm
