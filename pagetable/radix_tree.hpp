// pagetable/radix_tree.hpp: a radix tree keyed by page number, shared by the simulator's page
// tables and the heap's address -> span map (layer 2, no policy).
//
// Shape: pagetable/layout.hpp.  A node at level L is entries(L) 8-byte entries from the
// NodeSource (zeroed, kNodeAlign-aligned).  Each entry is, as the Traits tell:
//   empty    Traits::is_empty(e)                       (all-zero bits are empty: fresh nodes are)
//   child    Traits::is_child(e), only at levels >= 2  (references the node one level down)
//   leaf     neither: a value covering layout.pages_per_entry(L) keys.  A leaf above level 1 is
//            a "huge" leaf (x86's 2 MiB / 1 GiB pages); Traits decide whether one can exist.
// Invariants (valid()):
//   the root is at level `levels`; a child at level L references a node at level L-1;
//   every node is reachable from the root exactly once; nodes(L) == nodes reachable at level L;
//   each node pointer is kNodeAlign-aligned; leaves pass Traits::valid_leaf(e, L) if defined.
// The tree allocates only through its NodeSource, never throws, and frees every node on
// destruction.  Interior nodes are freed only when asked (erase(..., kFreeEmptyNodes), prune,
// clear): the heap never asks, the simulator may.  Constness guards the structure (which
// nodes exist), not leaf values: const find() and for_each() hand out Entry* slots.
//
// Concurrency: one writer at a time (the owner's lock, e.g. the page heap's), any number of
// lock-free readers (find, get, load).  Every entry is read with an acquire load and written
// with a release store (std::atomic_ref; both are plain moves on x86-64):
//   - a new node is zeroed by the source before the writer publishes it with a release store of
//     the child reference, so a reader whose acquire load sees the reference sees a zeroed node;
//   - a leaf value written with store() publishes what the writer did before (e.g. initialising
//     the Span the value points to) to a reader that loads it.
//   (Relaxed loads plus address dependency would suffice on every real CPU, but C++ has no
//   usable memory_order_consume; acquire costs nothing on x86.)  root_ is created once, lazily,
//   with the same release/acquire pairing.  Readers must not run concurrently with anything that
//   frees nodes (kFreeEmptyNodes, prune, clear, the destructor).  Writers that share the tree
//   with readers must write slots through store(), not by plain assignment.  nodes_[] counters
//   are written by the writer only (relaxed atomics, so stats may be read from any thread).
#pragma once

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "base/check.hpp"
#include "base/units.hpp"
#include "pagetable/layout.hpp"
#include "pagetable/node_source.hpp"

namespace hpmm {

// What an entry is.  Required: Entry is trivially copyable and 8 bytes; Entry{} is empty.
template <class T>
concept RadixTraits = requires(typename T::Entry e, void *node) {
  requires std::is_trivially_copyable_v<typename T::Entry>;
  requires sizeof(typename T::Entry) == 8;
  { T::is_empty(e) } -> std::same_as<bool>;
  { T::is_child(e) } -> std::same_as<bool>;  // asked only of entries at levels >= 2
  { T::child(e) } -> std::same_as<void *>;
  { T::make_child(node) } -> std::same_as<typename T::Entry>;
  requires noexcept(T::is_empty(e));  // the tree must not throw
  requires noexcept(T::is_child(e));
  requires noexcept(T::child(e));
  requires noexcept(T::make_child(node));
};

// Optional: traits that can check a leaf's content for valid().
template <class T>
concept RadixLeafCheck = requires(typename T::Entry e, int level) {
  { T::valid_leaf(e, level) } -> std::same_as<bool>;
};

// Entries that are pointers (the heap's Span*): null is empty, and at levels >= 2 every
// non-null entry is a child, so all leaves are at level 1 (no huge leaves).
template <class T>
struct PointerTraits {
  using Entry = T *;
  static bool is_empty(Entry e) noexcept { return e == nullptr; }
  static bool is_child(Entry e) noexcept { return e != nullptr; }
  static void *child(Entry e) noexcept { return static_cast<void *>(e); }
  static Entry make_child(void *node) noexcept { return static_cast<Entry>(node); }
};

enum class SlotStatus : uint8_t {
  kOk,            // slot is the entry at the requested level: empty or a leaf
  kAbsent,        // create == false and a node on the way does not exist
  kBlocked,       // a leaf at a higher level (SlotResult::level) covers the key
  kSubtreeBelow,  // the entry at the requested level references a child node
  kNoMemory,      // the node source failed; nodes made on the way stay (empty), tree valid
  kOutOfRange,    // key > layout.max_key()
};

enum class Reclaim : uint8_t { kKeepNodes, kFreeEmptyNodes };

template <RadixTraits Traits, NodeSource Source = HeapNodeSource>
class RadixTree {
 public:
  using Entry = typename Traits::Entry;
  static_assert(std::atomic_ref<Entry>::is_always_lock_free);

  // The last entry a descent read: a leaf, or an empty entry where the descent stopped.
  // slot == nullptr (value empty) when the key is out of range or the tree has no root yet.
  struct Found {
    Entry *slot;
    Entry value;
    int level;
    bool leaf() const { return slot != nullptr && !Traits::is_empty(value); }
  };
  struct SlotResult {
    Entry *slot;  // the entry when status == kOk, else nullptr
    SlotStatus status;
    int level;  // the requested level, or where the descent stopped (kBlocked: the leaf's)
  };
  struct Erased {
    Entry value;  // the removed leaf, or Entry{} when no leaf covered the key
    int level;    // its level (0 when none)
  };

  explicit RadixTree(const Layout &layout, Source source = Source()) noexcept
      : layout_(layout), source_(source) {
    HPMM_CHECK(layout.valid(), "RadixTree: invalid Layout");
    HPMM_CHECK(Traits::is_empty(Entry{}), "RadixTree: Traits must treat Entry{} as empty");
    levels_ = layout.levels;
    max_key_ = layout.max_key();
    for (int l = 1; l <= levels_; ++l) {
      shift_[l] = static_cast<uint8_t>(layout.shift(l));
      mask_[l] = layout.entries(l) - 1;
    }
  }
  ~RadixTree() { clear(); }
  RadixTree(const RadixTree &) = delete;
  RadixTree &operator=(const RadixTree &) = delete;

  const Layout &layout() const { return layout_; }
  Source &source() { return source_; }

  static Entry load(const Entry *slot) noexcept {
    return std::atomic_ref<Entry>(*const_cast<Entry *>(slot)).load(std::memory_order_acquire);
  }
  static void store(Entry *slot, Entry value) noexcept {
    std::atomic_ref<Entry>(*slot).store(value, std::memory_order_release);
  }

  // Descends from the root to the leaf covering `key`, or to the empty entry that ends the
  // descent.  visit(level, node, index, entry) is called for every entry read, root first.
  // Reader-safe; no allocation.
  template <class Visit>
  Found find(uint64_t key, Visit &&visit) const noexcept {
    if (HPMM_UNLIKELY(key > max_key_)) return {nullptr, Entry{}, levels_};
    Entry *node = root_.load(std::memory_order_acquire);
    if (HPMM_UNLIKELY(node == nullptr)) return {nullptr, Entry{}, levels_};
    for (int level = levels_;; --level) {
      const uint64_t i = (key >> shift_[level]) & mask_[level];
      Entry *slot = node + i;
      const Entry e = load(slot);
      visit(level, static_cast<const void *>(node), i, e);
      if (level == 1 || !Traits::is_child(e)) return {slot, e, level};
      node = static_cast<Entry *>(Traits::child(e));
    }
  }
  Found find(uint64_t key) const noexcept {
    return find(key, [](int, const void *, uint64_t, Entry) {});
  }
  // The leaf value covering key, or Entry{} (empty).  Reader-safe.
  Entry get(uint64_t key) const noexcept { return find(key).value; }

  // The entry for `key` at `level`, creating missing nodes on the way when `create`.  Writer.
  SlotResult slot(uint64_t key, int level, bool create) noexcept {
    HPMM_CHECK(level >= 1 && level <= levels_, "RadixTree::slot: level outside the layout");
    if (HPMM_UNLIKELY(key > max_key_)) return {nullptr, SlotStatus::kOutOfRange, levels_};
    if (create && !reserve_root()) return {nullptr, SlotStatus::kNoMemory, levels_};
    Entry *node = root_.load(std::memory_order_relaxed);
    if (node == nullptr) return {nullptr, SlotStatus::kAbsent, levels_};
    for (int l = levels_; l > level; --l) {
      Entry *s = node + ((key >> shift_[l]) & mask_[l]);
      const Entry e = load(s);
      if (Traits::is_child(e)) {
        node = static_cast<Entry *>(Traits::child(e));
        continue;
      }
      if (!Traits::is_empty(e)) return {nullptr, SlotStatus::kBlocked, l};
      if (!create) return {nullptr, SlotStatus::kAbsent, l};
      Entry *n = new_node(l - 1);
      if (n == nullptr) return {nullptr, SlotStatus::kNoMemory, l};
      store(s, Traits::make_child(n));
      node = n;
    }
    Entry *s = node + ((key >> shift_[level]) & mask_[level]);
    if (level > 1 && Traits::is_child(load(s))) return {nullptr, SlotStatus::kSubtreeBelow, level};
    return {s, SlotStatus::kOk, level};
  }

  // Creates the root now (so a reader's first descent reads a node).  False if out of memory.
  bool reserve_root() noexcept {
    if (root_.load(std::memory_order_relaxed) != nullptr) return true;
    Entry *root = new_node(levels_);
    if (root == nullptr) return false;
    root_.store(root, std::memory_order_release);
    return true;
  }

  // Stores a level-1 leaf (release), creating nodes.  False when out of range, out of memory or
  // blocked by a huge leaf.  Writer.
  bool set(uint64_t key, Entry value) noexcept {
    const SlotResult r = slot(key, 1, true);
    if (r.status != SlotStatus::kOk) return false;
    store(r.slot, value);
    return true;
  }

  // Creates every node that level-1 entries of keys [first, first + count) need (TCMalloc's
  // PageMap::Ensure), so that set_range() on them cannot fail.  False when the range leaves
  // the layout, a huge leaf covers part of it, or out of memory (nodes made so far stay).
  bool ensure(uint64_t first, uint64_t count) noexcept {
    if (count == 0) return true;
    if (first > max_key_ || count - 1 > max_key_ - first) return false;
    const uint64_t last = first + (count - 1);
    for (uint64_t k = first;;) {
      if (slot(k, 1, true).status != SlotStatus::kOk) return false;
      const uint64_t next = (k | mask_[1]) + 1;  // first key of the next level-1 node
      if (next == 0 || next > last) return true;
      k = next;
    }
  }
  // Stores `value` (release) into the level-1 entries of keys [first, first + count), one
  // descent per level-1 node.  Writes nothing and returns false when ensure() fails.  Writer.
  bool set_range(uint64_t first, uint64_t count, Entry value) noexcept {
    if (!ensure(first, count)) return false;
    for (uint64_t k = first, left = count; left > 0;) {
      Entry *s = slot(k, 1, false).slot;
      const uint64_t n = std::min(left, mask_[1] + 1 - (k & mask_[1]));
      for (uint64_t j = 0; j < n; ++j) store(s + j, value);
      k += n;
      left -= n;
    }
    return true;
  }

  // Removes the leaf covering key (at whatever level) and returns it.  With kFreeEmptyNodes,
  // nodes on the path that become empty are freed (never the root).  Writer.
  Erased erase(uint64_t key, Reclaim reclaim) noexcept {
    Entry *path[kMaxLevels + 1];
    if (key > max_key_) return {Entry{}, 0};
    Entry *node = root_.load(std::memory_order_relaxed);
    if (node == nullptr) return {Entry{}, 0};
    for (int l = levels_;; --l) {
      path[l] = node;
      Entry *s = node + ((key >> shift_[l]) & mask_[l]);
      const Entry e = load(s);
      if (l > 1 && Traits::is_child(e)) {
        node = static_cast<Entry *>(Traits::child(e));
        continue;
      }
      if (Traits::is_empty(e)) return {Entry{}, 0};
      store(s, Entry{});
      if (reclaim == Reclaim::kFreeEmptyNodes) {
        for (int m = l; m < levels_ && node_empty(path[m], m); ++m) {
          store(path[m + 1] + ((key >> shift_[m + 1]) & mask_[m + 1]), Entry{});
          free_node(path[m], m);
        }
      }
      return {e, l};
    }
  }

  // If the entry for key at `level` (>= 2) references a subtree holding no leaf, frees that
  // subtree, empties the entry and returns true; otherwise changes nothing and returns false.
  bool prune(uint64_t key, int level) noexcept {
    if (level < 2 || level > levels_ || key > max_key_) return false;
    Entry *node = root_.load(std::memory_order_relaxed);
    for (int l = levels_; node != nullptr && l > level; --l) {
      const Entry e = load(node + ((key >> shift_[l]) & mask_[l]));
      node = Traits::is_child(e) ? static_cast<Entry *>(Traits::child(e)) : nullptr;
    }
    if (node == nullptr) return false;
    Entry *s = node + ((key >> shift_[level]) & mask_[level]);
    const Entry e = load(s);
    if (!Traits::is_child(e)) return false;
    auto *child = static_cast<Entry *>(Traits::child(e));
    if (!subtree_empty(child, level - 1)) return false;
    store(s, Entry{});
    free_subtree(child, level - 1);
    return true;
  }

  // Frees every node, root included.  Not with readers running.
  void clear() noexcept {
    Entry *root = root_.load(std::memory_order_relaxed);
    if (root == nullptr) return;
    root_.store(nullptr, std::memory_order_release);
    free_subtree(root, levels_);
  }

  // fn(first_key, level, Entry *slot) for every leaf, in key order.  Writer (or quiescent).
  template <class Fn>
  void for_each(Fn &&fn) const {
    Entry *root = root_.load(std::memory_order_acquire);
    if (root != nullptr) visit_leaves(root, levels_, 0, fn);
  }

  uint64_t nodes(int level) const { return nodes_[level].load(std::memory_order_relaxed); }
  Bytes node_bytes() const {
    Bytes b;
    for (int l = 1; l <= levels_; ++l) b = b + layout_.node_bytes(l) * nodes(l);
    return b;
  }

  bool valid() const {
    uint64_t seen[kMaxLevels + 1] = {};
    Entry *root = root_.load(std::memory_order_acquire);
    if (root != nullptr && !valid_node(root, levels_, seen)) return false;
    for (int l = 1; l <= levels_; ++l)
      if (seen[l] != nodes(l)) return false;
    return nodes(levels_) == (root != nullptr ? 1u : 0u);
  }

 private:
  uint64_t entries(int level) const { return mask_[level] + 1; }

  Entry *new_node(int level) noexcept {
    const size_t bytes = layout_.node_bytes(level).value;
    void *p = source_.allocate(bytes);
    if (p == nullptr) return nullptr;
    HPMM_CHECK(reinterpret_cast<uintptr_t>(p) % kNodeAlign == 0,
               "NodeSource::allocate returned a block not aligned to kNodeAlign");
    nodes_[level].fetch_add(1, std::memory_order_relaxed);
    return static_cast<Entry *>(p);
  }
  void free_node(Entry *node, int level) noexcept {
    nodes_[level].fetch_sub(1, std::memory_order_relaxed);
    source_.free(node, layout_.node_bytes(level).value);
  }
  bool node_empty(const Entry *node, int level) const noexcept {
    for (uint64_t i = 0, n = entries(level); i < n; ++i)
      if (!Traits::is_empty(load(node + i))) return false;
    return true;
  }
  bool subtree_empty(const Entry *node, int level) const noexcept {
    for (uint64_t i = 0, n = entries(level); i < n; ++i) {
      const Entry e = load(node + i);
      if (level > 1 && Traits::is_child(e)) {
        if (!subtree_empty(static_cast<const Entry *>(Traits::child(e)), level - 1)) return false;
      } else if (!Traits::is_empty(e)) {
        return false;
      }
    }
    return true;
  }
  void free_subtree(Entry *node, int level) noexcept {
    if (level > 1) {
      for (uint64_t i = 0, n = entries(level); i < n; ++i) {
        const Entry e = load(node + i);
        if (Traits::is_child(e)) free_subtree(static_cast<Entry *>(Traits::child(e)), level - 1);
      }
    }
    free_node(node, level);
  }
  template <class Fn>
  void visit_leaves(Entry *node, int level, uint64_t base, Fn &fn) const {
    for (uint64_t i = 0, n = entries(level); i < n; ++i) {
      const Entry e = load(node + i);
      const uint64_t key = base | (i << shift_[level]);
      if (level > 1 && Traits::is_child(e)) {
        visit_leaves(static_cast<Entry *>(Traits::child(e)), level - 1, key, fn);
      } else if (!Traits::is_empty(e)) {
        fn(key, level, node + i);
      }
    }
  }
  bool valid_node(const Entry *node, int level, uint64_t *seen) const {
    if (reinterpret_cast<uintptr_t>(node) % kNodeAlign != 0) return false;
    if (++seen[level] > nodes(level)) return false;  // a node reached twice, or uncounted
    for (uint64_t i = 0, n = entries(level); i < n; ++i) {
      const Entry e = load(node + i);
      if (level > 1 && Traits::is_child(e)) {
        const auto *child = static_cast<const Entry *>(Traits::child(e));
        if (child == nullptr || !valid_node(child, level - 1, seen)) return false;
      } else if constexpr (RadixLeafCheck<Traits>) {
        if (!Traits::is_empty(e) && !Traits::valid_leaf(e, level)) return false;
      }
    }
    return true;
  }

  Layout layout_;
  [[no_unique_address]] Source source_;
  int levels_;
  uint64_t max_key_;
  uint8_t shift_[kMaxLevels + 1] = {};
  uint64_t mask_[kMaxLevels + 1] = {};
  std::atomic<Entry *> root_{nullptr};                // written by the writer, release
  std::atomic<uint64_t> nodes_[kMaxLevels + 1] = {};  // written by the writer, relaxed
};

}  // namespace hpmm
