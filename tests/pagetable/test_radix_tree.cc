// tests/pagetable/test_radix_tree.cc: the generic radix tree as the heap's page map uses it
// (kHeapPageMap, Span*-like pointer entries), failing node sources, reclaim, concurrent readers.
#include <criterion/criterion.h>

#include <atomic>
#include <thread>
#include <vector>

#include "pagetable/layout.hpp"
#include "pagetable/page_table.hpp"  // PteTraits: entries with huge leaves
#include "pagetable/radix_tree.hpp"
#include "tests/pagetable/sources.hpp"

using namespace hpmm;
using test::BudgetSource;
using test::BudgetState;

namespace {
struct Obj {
  uint64_t key;
};
using HeapMap = RadixTree<PointerTraits<Obj>>;
constexpr uint64_t kLeafKeys = uint64_t{1} << 18;  // keys per heap-map leaf

// The concepts turn away policies that could throw inside the tree, or entries of a wrong size.
struct ThrowingSource {
  void *allocate(size_t) { return nullptr; }
  void free(void *, size_t) noexcept {}
};
struct ThrowingTraits : PointerTraits<Obj> {
  static bool is_empty(Obj *e) { return e == nullptr; }
};
struct WideTraits {
  using Entry = __uint128_t;
  static bool is_empty(Entry e) noexcept { return e == 0; }
  static bool is_child(Entry e) noexcept { return e != 0; }
  static void *child(Entry) noexcept { return nullptr; }
  static Entry make_child(void *) noexcept { return 0; }
};
static_assert(NodeSource<HeapNodeSource> && NodeSource<BudgetSource>);
static_assert(!NodeSource<ThrowingSource>);
static_assert(RadixTraits<PointerTraits<Obj>>);
static_assert(!RadixTraits<ThrowingTraits> && !RadixTraits<WideTraits>);
}  // namespace

Test(radix_tree, heap_map_stores_pointers_at_many_keys) {
  HeapMap map(kHeapPageMap);
  cr_assert_eq(map.get(0), nullptr, "an empty map finds nothing");
  cr_assert(map.valid());
  const uint64_t top = kHeapPageMap.max_key();
  std::vector<uint64_t> keys;
  for (uint64_t k = 0; k < 3000; k += 3) keys.push_back(k);                    // first leaf
  for (uint64_t k = kLeafKeys - 5; k < kLeafKeys + 5; ++k) keys.push_back(k);  // leaf boundary
  keys.push_back(uint64_t{1} << 34);                                           // mid-range
  for (uint64_t k = top - 100; k <= top; k += 7) keys.push_back(k);
  keys.push_back(top);  // the highest key
  std::vector<Obj> objs(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    objs[i].key = keys[i];
    cr_assert(map.set(keys[i], &objs[i]), "set key %lu", keys[i]);
  }
  for (size_t i = 0; i < keys.size(); ++i) cr_assert_eq(map.get(keys[i]), &objs[i]);
  // unset keys: in a leaf that exists, and in address ranges with no leaf
  cr_assert_eq(map.get(1), nullptr);
  cr_assert_eq(map.get(2999), nullptr);
  cr_assert_eq(map.get(top - 1), nullptr);
  cr_assert_eq(map.get(5 * kLeafKeys + 17), nullptr);
  // beyond the layout: nothing, and set refuses instead of writing out of bounds
  cr_assert_eq(map.get(top + 1), nullptr);
  cr_assert_eq(map.get(~uint64_t{0}), nullptr);
  cr_assert_not(map.set(top + 1, &objs[0]));
  cr_assert_eq(map.slot(top + 1, 1, true).status, SlotStatus::kOutOfRange);
  // root + 4 leaves: [0, 2^18), [2^18, 2^19), 2^34's, the top one
  cr_assert_eq(map.nodes(2), 1u);
  cr_assert_eq(map.nodes(1), 4u);
  cr_assert_eq(map.node_bytes(), 1_MiB + 2_MiB * 4);
  cr_assert(map.valid());
  // a find reports the slot and the level of the leaf
  const auto f = map.find(top);
  cr_assert(f.leaf());
  cr_assert_eq(f.level, 1);
  cr_assert_eq(*f.slot, &objs.back());
}

Test(radix_tree, for_each_visits_leaves_in_key_order) {
  HeapMap map(kHeapPageMap);
  Obj o[4];
  const uint64_t keys[4] = {kHeapPageMap.max_key(), 7, kLeafKeys * 3 + 1, 6};
  for (int i = 0; i < 4; ++i) cr_assert(map.set(keys[i], &o[i]));
  std::vector<uint64_t> seen;
  map.for_each([&](uint64_t key, int level, Obj **slot) {
    cr_assert_eq(level, 1);
    cr_assert_eq(map.get(key), *slot);
    seen.push_back(key);
  });
  const std::vector<uint64_t> want = {6, 7, kLeafKeys * 3 + 1, kHeapPageMap.max_key()};
  cr_assert(seen == want);
}

Test(radix_tree, erase_keeps_or_frees_empty_nodes) {
  HeapMap map(kHeapPageMap);
  Obj a, b;
  cr_assert(map.set(10, &a));
  cr_assert(map.set(kLeafKeys + 10, &b));
  cr_assert_eq(map.nodes(1), 2u);
  auto e = map.erase(10, Reclaim::kKeepNodes);
  cr_assert_eq(e.value, &a);
  cr_assert_eq(e.level, 1);
  cr_assert_eq(map.get(10), nullptr);
  cr_assert_eq(map.nodes(1), 2u, "kKeepNodes keeps the empty leaf (readers may be inside it)");
  cr_assert_eq(map.erase(10, Reclaim::kKeepNodes).level, 0, "erasing an unset key finds none");
  e = map.erase(kLeafKeys + 10, Reclaim::kFreeEmptyNodes);
  cr_assert_eq(e.value, &b);
  cr_assert_eq(map.nodes(1), 1u, "the now-empty leaf is freed");
  cr_assert_eq(map.nodes(2), 1u, "the root stays");
  cr_assert(map.valid());
  cr_assert(map.prune(0, 2), "an empty subtree is pruned");
  cr_assert_eq(map.nodes(1), 0u);
  cr_assert_not(map.prune(0, 2), "nothing left to prune");
  cr_assert(map.set(10, &a), "the map works after pruning");
  cr_assert_not(map.prune(0, 2), "a subtree with a leaf is not pruned");
  cr_assert_eq(map.get(10), &a);
  cr_assert(map.valid());
}

Test(radix_tree, failing_node_source_leaves_a_valid_tree) {
  BudgetState st;
  st.budget = 1;  // the root only
  {
    RadixTree<PointerTraits<Obj>, BudgetSource> map(kHeapPageMap, BudgetSource{&st});
    Obj a;
    cr_assert_not(map.set(5, &a), "no memory for the leaf");
    const auto r = map.slot(5, 1, true);
    cr_assert_eq(r.status, SlotStatus::kNoMemory);
    cr_assert_eq(r.slot, nullptr);
    cr_assert_eq(map.get(5), nullptr);
    cr_assert_eq(map.nodes(2), 1u);
    cr_assert_eq(map.nodes(1), 0u);
    cr_assert(map.valid());
    cr_assert_eq(map.slot(5, 1, false).status, SlotStatus::kAbsent);
    st.budget = 1;
    cr_assert(map.set(5, &a), "works once memory is back");
    cr_assert_eq(map.get(5), &a);
    cr_assert(map.valid());
  }
  cr_assert_eq(st.live, 0, "the destructor gives every node back");
  cr_assert_eq(st.failures, 2);

  st.budget = 0;  // not even a root
  RadixTree<PointerTraits<Obj>, BudgetSource> empty(kHeapPageMap, BudgetSource{&st});
  Obj a;
  cr_assert_not(empty.set(1, &a));
  cr_assert_not(empty.reserve_root());
  cr_assert_eq(empty.get(1), nullptr);
  cr_assert(empty.valid());
}

// One writer publishes objects while readers look them up: a reader that sees a pointer must
// see the object's contents (release/acquire), and never a torn or foreign value.
Test(radix_tree, readers_run_lock_free_beside_one_writer) {
  HeapMap map(kHeapPageMap);
  constexpr uint64_t kKeys = 20000;
  constexpr uint64_t kStride = 40;  // 800k keys: spans 4 leaves, created while readers run
  std::vector<Obj> objs(kKeys);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> bad{0}, hits{0};
  auto reader = [&] {
    uint64_t local_hits = 0;
    while (!done.load(std::memory_order_acquire)) {
      for (uint64_t i = 0; i < kKeys; i += 13) {
        const Obj *o = map.get(i * kStride);
        if (o == nullptr) continue;
        ++local_hits;
        if (o != &objs[i] || o->key != i * kStride) bad.fetch_add(1);
        if (map.get(i * kStride + 1) != nullptr) bad.fetch_add(1);
      }
    }
    hits.fetch_add(local_hits);
  };
  std::thread r1(reader), r2(reader);
  for (uint64_t i = 0; i < kKeys; ++i) {
    objs[i].key = i * kStride;  // initialised before publication
    cr_assert(map.set(i * kStride, &objs[i]));
  }
  done.store(true, std::memory_order_release);
  r1.join();
  r2.join();
  cr_assert_eq(bad.load(), 0u);
  cr_assert_eq(map.nodes(1), 4u);
  cr_assert(map.valid());
}

// A span covers many pages: set_range writes them all, across leaf boundaries, or nothing.
Test(radix_tree, set_range_covers_spans_all_or_nothing) {
  BudgetState st;
  RadixTree<PointerTraits<Obj>, BudgetSource> map(kHeapPageMap, BudgetSource{&st});
  Obj span;
  cr_assert(map.set_range(kLeafKeys - 3, 10, &span), "crosses a leaf boundary");
  for (uint64_t k = kLeafKeys - 3; k < kLeafKeys + 7; ++k) cr_assert_eq(map.get(k), &span);
  cr_assert_eq(map.get(kLeafKeys - 4), nullptr);
  cr_assert_eq(map.get(kLeafKeys + 7), nullptr);
  cr_assert_eq(map.nodes(1), 2u);
  cr_assert(map.set_range(5, 0, &span), "an empty range is fine");
  cr_assert_eq(map.get(5), nullptr);
  // past the last key: refused before anything is written
  const uint64_t top = kHeapPageMap.max_key();
  cr_assert_not(map.set_range(top - 1, 3, &span));
  cr_assert_not(map.set_range(top, ~uint64_t{0}, &span), "count overflowing the key space");
  cr_assert_eq(map.get(top - 1), nullptr);
  cr_assert(map.set_range(top - 1, 2, &span));
  cr_assert_eq(map.get(top), &span);
  // out of memory half way: nothing is written
  st.budget = 1;  // one of the two leaves the range needs
  const uint64_t far = 10 * kLeafKeys - 2;
  cr_assert_not(map.set_range(far, 4, &span));
  cr_assert_eq(map.get(far), nullptr, "no partial span");
  cr_assert_eq(map.get(far + 3), nullptr);
  cr_assert(map.valid());
  st.budget = 1;
  cr_assert(map.ensure(far, 4), "ensure finishes the job");
  st.budget = 0;
  cr_assert(map.set_range(far, 4, &span), "after ensure, set_range needs no memory");
  cr_assert_eq(map.get(far + 3), &span);
  // clearing a span's pages
  cr_assert(map.set_range(far, 4, nullptr));
  cr_assert_eq(map.get(far + 1), nullptr);
  cr_assert(map.valid());
}

// With entries that can be huge leaves (Pte), a leaf above level 1 blocks the descent.
Test(radix_tree, huge_leaves_block_and_subtrees_refuse) {
  RadixTree<PteTraits> t(kX86_64_4Level);
  const uint64_t key = (uint64_t{3} << 18) | (uint64_t{5} << 9) | 7;  // level-2 entry 5
  auto r = t.slot(key, 2, true);
  cr_assert_eq(r.status, SlotStatus::kOk);
  cr_assert_eq(r.level, 2);
  decltype(t)::store(r.slot, Pte::leaf(Pfn(1), PageSize::k2M, 0));
  r = t.slot(key, 1, true);
  cr_assert_eq(r.status, SlotStatus::kBlocked);
  cr_assert_eq(r.slot, nullptr);
  cr_assert_eq(r.level, 2, "blocked by the level-2 leaf");
  cr_assert_eq(t.find(key + 100).level, 2, "any key under the leaf finds it");
  cr_assert(t.find(key).leaf());
  cr_assert_eq(t.nodes(1), 0u, "nothing made under a huge leaf");
  r = t.slot(key, 3, true);
  cr_assert_eq(r.status, SlotStatus::kSubtreeBelow);
  cr_assert_eq(r.slot, nullptr, "no slot to overwrite a child reference through");
  cr_assert_not(t.prune(key, 3), "the subtree holds a leaf");
  const auto e = t.erase(key + 1, Reclaim::kKeepNodes);
  cr_assert_eq(e.level, 2);
  cr_assert(e.value.huge());
  cr_assert(t.prune(key, 3));
  cr_assert_eq(t.nodes(2), 0u);
  cr_assert_eq(t.slot(key, 3, true).status, SlotStatus::kOk);
  cr_assert(t.valid());
}
