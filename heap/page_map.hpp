// heap/page_map.hpp: the address -> span map (Go's arena index, TCMalloc's PageMap): the shared
// radix tree of pagetable/ keyed by heap page number (address >> 13, layout kHeapPageMap), its
// nodes mapped through the heap's Os (never malloc).
//
// An entry packs what free() needs without touching the Span (one load on the fast path):
//   bits  0..47  Span *            (metadata addresses are below 2^47)
//   bits 48..51  page index of this page in its span (small spans have at most 16 pages)
//   bits 52..59  size class        (0: a large object)
//   bits 60..63  zero
// so e >> 48 is the page's slot class * 16 + page (heap/size_classes.hpp's object-start check)
// and a small object's page has e >> 48 >= 16.
// Invariants: for every page p of a small span s: get(p) == pack(s, s->cls, p - s.first page);
// for a large span only its first page is entered; get(p) == 0 for every page no span covers
// (entries are cleared when a span goes).
// Concurrency: written under the page heap's lock; read lock-free (the tree's release/acquire
// entries publish the Span's initialisation to a reader).  Nodes are never freed, so the
// remembered hot leaf stays valid for the map's lifetime.
#pragma once

#include <atomic>
#include <cstdint>

#include "heap/os_source.hpp"
#include "heap/size_classes.hpp"
#include "heap/span.hpp"
#include "pagetable/layout.hpp"
#include "pagetable/radix_tree.hpp"

namespace hpmm {

// Nodes for the tree from the Os (zeroed, 4 KiB aligned).  The heap never frees nodes.
template <HeapOs Os>
struct OsNodeSource {
  Os *os = nullptr;
  void *allocate(size_t bytes) noexcept { return os->map_meta(bytes); }
  void free(void *, size_t) noexcept {}
};

struct PageMapTraits {
  using Entry = uint64_t;
  static bool is_empty(Entry e) noexcept { return e == 0; }
  static bool is_child(Entry e) noexcept { return e != 0; }
  static void *child(Entry e) noexcept { return reinterpret_cast<void *>(e); }
  static Entry make_child(void *node) noexcept { return reinterpret_cast<Entry>(node); }
};

inline uint64_t pack_entry(const Span *s, uint32_t cls, uint32_t page_in_span) {
  HPMM_ASSERT(page_in_span < kMaxSpanPages && cls < 256);
  return reinterpret_cast<uint64_t>(s) | (uint64_t{cls} << 52) | (uint64_t{page_in_span} << 48);
}
inline Span *entry_span(uint64_t e) {
  return reinterpret_cast<Span *>(e & ((uint64_t{1} << 48) - 1));
}
inline uint32_t entry_class(uint64_t e) {
  return static_cast<uint32_t>(e >> 52);
}
inline uint32_t entry_page(uint64_t e) {
  return static_cast<uint32_t>((e >> 48) & (kMaxSpanPages - 1));
}
// class * kMaxSpanPages + page: the index of the page's object-start check.
inline uint32_t entry_slot(uint64_t e) {
  return static_cast<uint32_t>(e >> 48);
}

template <HeapOs Os>
class PageMap {
 public:
  explicit PageMap(Os *os) : tree_(kHeapPageMap, OsNodeSource<Os>{os}) {}

  // Reader.  The leaf node of the first span's 2 GiB window is remembered (hot_leaf_), so the
  // common lookup is one subtraction and compare (the window test) and two loads, instead of the
  // tree's walk from the root; other addresses walk the tree.
  uint64_t get(uintptr_t addr) const {
    uint64_t bytes = hot_bytes_.load(std::memory_order_acquire);
    uint64_t d = addr - hot_start_.load(std::memory_order_relaxed);
    if (HPMM_LIKELY(d < bytes))
      return Tree::load(hot_leaf_.load(std::memory_order_relaxed) + (d >> kPageShift));
    return tree_.get(addr >> kPageShift);
  }
  // get() within the hot window, 0 (an empty entry) outside it: for free()'s fast path, which
  // sends an empty entry to its slow path, where get() looks again.
  uint64_t get_hot(uintptr_t addr) const {
    uint64_t bytes = hot_bytes_.load(std::memory_order_acquire);
    uint64_t d = addr - hot_start_.load(std::memory_order_relaxed);
    if (HPMM_LIKELY(d < bytes))
      return Tree::load(hot_leaf_.load(std::memory_order_relaxed) + (d >> kPageShift));
    return 0;
  }
  // Writer (page heap lock).  False when a node cannot be mapped.
  bool set(uintptr_t addr, uint64_t entry) {
    if (uint64_t *slot = hot_slot(addr); slot != nullptr) {
      Tree::store(slot, entry);
      return true;
    }
    uint64_t key = addr >> kPageShift;
    if (!tree_.set(key, entry)) return false;
    if (hot_leaf_.load(std::memory_order_relaxed) == nullptr) {
      auto r = tree_.slot(key, 1, false);
      hot_leaf_.store(r.slot - (key & kLeafMask), std::memory_order_relaxed);
      hot_start_.store((key & ~kLeafMask) << kPageShift, std::memory_order_relaxed);
      hot_bytes_.store(kLeafBytes, std::memory_order_release);
    }
    return true;
  }
  void clear(uintptr_t addr) {
    if (uint64_t *slot = hot_slot(addr); slot != nullptr) {
      Tree::store(slot, 0);
      return;
    }
    auto r = tree_.slot(addr >> kPageShift, 1, false);
    if (r.status == SlotStatus::kOk) Tree::store(r.slot, 0);
  }
  uint64_t node_bytes() const { return tree_.node_bytes().value; }
  bool valid() const { return tree_.valid(); }

 private:
  using Tree = RadixTree<PageMapTraits, OsNodeSource<Os>>;
  // The writer's way into the hot leaf (page heap lock held: the window is fixed once set): the
  // entry's slot for addr in the window, else nullptr (walk the tree).
  uint64_t *hot_slot(uintptr_t addr) const {
    uint64_t d = addr - hot_start_.load(std::memory_order_relaxed);
    if (d >= hot_bytes_.load(std::memory_order_relaxed)) return nullptr;
    return hot_leaf_.load(std::memory_order_relaxed) + (d >> kPageShift);
  }
  static constexpr unsigned kLeafBits = kHeapPageMap.bits[0];
  static constexpr uint64_t kLeafMask = (uint64_t{1} << kLeafBits) - 1;
  Tree tree_;
  static constexpr uint64_t kLeafBytes = uint64_t{1} << (kLeafBits + kPageShift);
  // The window [hot_start_, hot_start_ + hot_bytes_) of addresses whose entries are in
  // hot_leaf_ (one leaf: 2^kLeafBits pages, aligned).  hot_leaf_ and hot_start_ are written once,
  // under the page heap lock, before hot_bytes_ is published (release); a reader loads hot_bytes_
  // first (acquire), so it either sees 0 (an empty window: no address matches) or sees the leaf
  // and start too; it needs no null test.
  // On a cache line of their own (every free() reads them; the page heap's counters, written
  // at every span, would otherwise share it).
  alignas(64) std::atomic<uint64_t *> hot_leaf_{nullptr};
  std::atomic<uint64_t> hot_start_{0};
  std::atomic<uint64_t> hot_bytes_{0};
  char pad_[64 - 3 * sizeof(uint64_t)] = {};
};

}  // namespace hpmm
