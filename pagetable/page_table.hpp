// pagetable/page_table.hpp: the simulator's x86-64 page table: a RadixTree of Pte entries
// (layer 2: format and mechanics only; faults, frames and replacement live in mmu_sim/).
//
// Layout kX86_64_4Level (48-bit) or kX86_64_5Level (57-bit).  A virtual address va is
// canonical iff bits 63..(n-1) all equal bit n-1 (n = layout.address_bits()); its key is
// (va mod 2^n) >> 12, so the upper half indexes the top of the root, as on hardware.
// Leaves of size s sit at level(s) = 1 + index_of(s): 4 KiB at 1, 2 MiB at 2, 1 GiB at 3.
// Invariants (valid(), on top of RadixTree's):
//   a leaf at level L <= 3 has huge == (L > 1); no leaf above level 3;
//   a present leaf's frame is aligned to its size; no leaf is both present and swapped;
//   mappings never overlap: a leaf at level L means no node below that entry.
// The table is single-threaded (one Mmu per thread).  After unmap() or protect(), or after
// changing a Pte in place, the caller invalidates its TLB and page-walk-cache entries for the
// address (as invlpg does): unmap may free nodes, and a freed node's address may be reused.
#pragma once

#include <cstdint>
#include <optional>

#include "base/check.hpp"
#include "base/units.hpp"
#include "pagetable/layout.hpp"
#include "pagetable/node_source.hpp"
#include "pagetable/pte.hpp"
#include "pagetable/radix_tree.hpp"

namespace hpmm {

struct PteTraits {
  using Entry = Pte;
  static bool is_empty(Pte e) noexcept { return e.none(); }
  static bool is_child(Pte e) noexcept { return e.is_table(); }
  static void *child(Pte e) noexcept { return e.node(); }
  static Pte make_child(void *node) noexcept { return Pte::table(node); }
  static bool valid_leaf(Pte e, int level) {
    if (level > kPageSizeCount || e.huge() != (level > 1)) return false;
    if (e.present() && e.swapped()) return false;
    const uint64_t align = uint64_t{1} << (9 * (level - 1));  // 4 KiB frames per leaf
    return !e.present() || e.frame_field() % align == 0;
  }
};

enum class MapResult : uint8_t {
  kOk,
  kMisaligned,     // va not aligned to the page size
  kOverlap,        // a mapping of another size covers or lies inside [va, va + size)
  kAlreadyMapped,  // a mapping of this size (present or swapped) is already at va
  kNonCanonical,   // va is not a canonical address of the layout's width
  kBadFrame,       // the frame's physical address does not fit 52 bits
  kBadFlags,       // flags outside Pte::kMapFlags
  kNoMemory,       // the node source failed; the table is unchanged apart from empty nodes
};

constexpr const char *name_of(MapResult r) {
  switch (r) {
    case MapResult::kOk:
      return "ok";
    case MapResult::kMisaligned:
      return "address not aligned to the page size";
    case MapResult::kOverlap:
      return "overlaps a mapping of another page size";
    case MapResult::kAlreadyMapped:
      return "already mapped";
    case MapResult::kNonCanonical:
      return "non-canonical address for this layout";
    case MapResult::kBadFrame:
      return "frame number beyond 52-bit physical addresses";
    case MapResult::kBadFlags:
      return "flags outside writable|user|accessed|dirty";
    case MapResult::kNoMemory:
      return "out of memory for page-table nodes";
  }
  return "?";
}

constexpr int level_of(PageSize s) {
  return 1 + index_of(s);
}

// The leaf covering an address: its entry (present or swapped) and its size.
struct Mapping {
  Pte *pte = nullptr;
  PageSize size = PageSize::k4K;
  explicit operator bool() const { return pte != nullptr; }
};
struct Unmapped {
  Pte pte;
  PageSize size;
};

// One entry a walk read.  `node` identifies the table page (usable as a page-walk-cache key);
// `entry` is the value read from node[index].
struct WalkStep {
  const void *node;
  Pte entry;
  uint16_t index;
  uint8_t level;
};

// A page walk from the root: steps[0 .. count) in order, root first.  count is the number of
// memory references a walk without caches makes.  The walk ends at `entry` (level `level`,
// value `value`): a present leaf (present() true) or a non-present entry (none or swapped),
// where a fault handler can act.  entry == nullptr, count == 0 when va is non-canonical or the
// table has no root (its node source failed at construction).
struct Walk {
  WalkStep steps[kMaxLevels];
  int count = 0;
  int level = 0;
  Pte *entry = nullptr;
  Pte value;
  bool canonical = false;
  bool present() const { return entry != nullptr && value.present(); }
  PageSize size() const { return static_cast<PageSize>(level - 1); }  // when present()
};

template <NodeSource Source = HeapNodeSource>
class BasicPageTable {
 public:
  using Tree = RadixTree<PteTraits, Source>;

  explicit BasicPageTable(const Layout &layout = kX86_64_4Level, Source source = Source())
      : tree_(layout, source) {
    HPMM_CHECK(layout.page_shift == 12 && layout.levels > kPageSizeCount &&
                   layout.bytes_per_entry(2) == bytes_of(PageSize::k2M) &&
                   layout.bytes_per_entry(3) == bytes_of(PageSize::k1G),
               "PageTable: layout must be x86-64-like (4 KiB pages, 9-bit levels 1..3)");
    va_bits_ = layout.address_bits();
    va_mask_ = va_bits_ >= 64 ? ~uint64_t{0} : (uint64_t{1} << va_bits_) - 1;
    tree_.reserve_root();  // on failure map() retries; walks report no root
  }

  const Layout &layout() const { return tree_.layout(); }
  bool canonical(VirtAddr va) const {
    const unsigned u = 64 - va_bits_;
    return static_cast<uint64_t>(static_cast<int64_t>(va.value << u) >> u) == va.value;
  }

  MapResult map(VirtAddr va, PageSize size, Pfn pfn, uint64_t flags = Pte::kWritable) {
    if (!canonical(va)) return MapResult::kNonCanonical;
    if (offset_in(va, size) != 0) return MapResult::kMisaligned;
    if (!Pte::pfn_fits(pfn, size)) return MapResult::kBadFrame;
    if ((flags & ~Pte::kMapFlags) != 0) return MapResult::kBadFlags;
    const uint64_t key = key_of(va);
    const int level = level_of(size);
    auto r = tree_.slot(key, level, true);
    if (r.status == SlotStatus::kSubtreeBelow && tree_.prune(key, level))
      r = tree_.slot(key, level, true);
    switch (r.status) {
      case SlotStatus::kOk:
        break;
      case SlotStatus::kBlocked:
      case SlotStatus::kSubtreeBelow:
        return MapResult::kOverlap;
      case SlotStatus::kNoMemory:
        return MapResult::kNoMemory;
      case SlotStatus::kAbsent:
      case SlotStatus::kOutOfRange:
        HPMM_CHECK(false, "PageTable::map: key outside the layout");
    }
    if (!r.slot->none()) return MapResult::kAlreadyMapped;
    Tree::store(r.slot, Pte::leaf(pfn, size, flags));
    return MapResult::kOk;
  }

  // Removes the mapping (present or swapped) that covers va, whatever its size, and frees
  // page-table nodes left empty (unless told to keep them).
  std::optional<Unmapped> unmap(VirtAddr va, Reclaim reclaim = Reclaim::kFreeEmptyNodes) {
    if (!canonical(va)) return std::nullopt;
    const auto e = tree_.erase(key_of(va), reclaim);
    if (e.level == 0) return std::nullopt;
    return Unmapped{e.value, static_cast<PageSize>(e.level - 1)};
  }

  // Sets or clears the writable bit of the mapping covering va.  False if none.
  bool protect(VirtAddr va, bool writable) {
    const Mapping m = lookup(va);
    if (!m) return false;
    Pte p = *m.pte;
    p.set_writable(writable);
    Tree::store(m.pte, p);
    return true;
  }

  // The mapping (present or swapped) covering va, or an empty Mapping.
  Mapping lookup(VirtAddr va) const {
    if (!canonical(va)) return {};
    const auto f = tree_.find(key_of(va));
    if (!f.leaf()) return {};
    return {f.slot, static_cast<PageSize>(f.level - 1)};
  }

  // The entry at the leaf level of `size` for the page holding va (va need not be aligned),
  // creating missing nodes when `create` (and freeing an empty subtree that sits where a huge
  // leaf goes).  nullptr when va is non-canonical, a larger leaf covers va, a subtree with
  // leaves lies below the entry (huge sizes), nodes are missing and !create, or out of memory.
  Pte *leaf_slot(VirtAddr va, PageSize size, bool create) {
    if (!canonical(va)) return nullptr;
    const uint64_t key = key_of(va);
    const int level = level_of(size);
    auto r = tree_.slot(key, level, create);
    if (r.status == SlotStatus::kSubtreeBelow && create && tree_.prune(key, level))
      r = tree_.slot(key, level, create);
    return r.status == SlotStatus::kOk ? r.slot : nullptr;
  }

  Walk walk(VirtAddr va) const {
    Walk w;
    if (!canonical(va)) return w;
    w.canonical = true;
    int n = 0;  // a local, not w.count, so that it stays in a register
    const auto f = tree_.find(key_of(va), [&](int level, const void *node, uint64_t i, Pte e) {
      WalkStep &s = w.steps[n++];  // field by field: no store-forwarding stall on a copy
      s.node = node;
      s.entry = e;
      s.index = static_cast<uint16_t>(i);
      s.level = static_cast<uint8_t>(level);
    });
    w.count = n;
    w.entry = f.slot;
    w.value = f.value;
    w.level = f.level;
    return w;
  }

  // fn(VirtAddr start, PageSize size, Pte *pte) for every mapping, in key order.
  template <class Fn>
  void for_each_mapping(Fn &&fn) const {
    tree_.for_each([&](uint64_t key, int level, Pte *pte) {
      fn(addr_of_key(key), static_cast<PageSize>(level - 1), pte);
    });
  }

  struct LeafCounts {
    uint64_t present[kPageSizeCount] = {};
    uint64_t swapped[kPageSizeCount] = {};
  };
  // Counts leaves by size (a walk of the whole table: leaves may change in place).
  LeafCounts leaf_counts() const {
    LeafCounts c;
    for_each_mapping([&c](VirtAddr, PageSize s, const Pte *p) {
      ++(p->present() ? c.present : c.swapped)[index_of(s)];
    });
    return c;
  }
  uint64_t nodes(int level) const { return tree_.nodes(level); }
  Bytes table_bytes() const { return tree_.node_bytes(); }

  bool valid() const { return tree_.valid(); }

 private:
  uint64_t key_of(VirtAddr va) const { return (va.value & va_mask_) >> 12; }
  VirtAddr addr_of_key(uint64_t key) const {  // sign-extends back to canonical form
    const unsigned u = 64 - va_bits_;
    return VirtAddr(static_cast<uint64_t>(static_cast<int64_t>((key << 12) << u) >> u));
  }

  Tree tree_;
  unsigned va_bits_;
  uint64_t va_mask_;
};

using PageTable = BasicPageTable<>;

}  // namespace hpmm
