// tests/pagetable/test_page_table.cc: the simulator's page table: mapping at three sizes, size
// conflicts, bad addresses, 5-level tables, walks, swapped entries, protect, running out of
// node memory, and random map/unmap against a std::map model.
#include <criterion/criterion.h>

#include <map>
#include <random>

#include "pagetable/page_table.hpp"
#include "tests/pagetable/sources.hpp"

using namespace hpmm;

namespace {
constexpr PageSize k4K = PageSize::k4K, k2M = PageSize::k2M, k1G = PageSize::k1G;
constexpr uint64_t kGiB = uint64_t{1} << 30, kMiB = uint64_t{1} << 20;
}  // namespace

Test(page_table, map_lookup_unmap_at_each_size) {
  PageTable pt;
  const VirtAddr a4(0x7f00'0000'3000), a2(0x7f00'0040'0000), a1(0x7e00'0000'0000);
  cr_assert_eq(pt.map(a4, k4K, Pfn(11)), MapResult::kOk);
  cr_assert_eq(pt.map(a2, k2M, Pfn(22), Pte::kWritable | Pte::kDirty), MapResult::kOk);
  cr_assert_eq(pt.map(a1, k1G, Pfn(3), 0), MapResult::kOk);
  // any address inside each page finds its mapping
  Mapping m = pt.lookup(a4 + 0xfff);
  cr_assert(m && m.size == k4K && m.pte->present() && m.pte->writable() && !m.pte->huge());
  cr_assert_eq(m.pte->pfn(k4K), Pfn(11));
  m = pt.lookup(a2 + (2 * kMiB - 1));
  cr_assert(m && m.size == k2M && m.pte->huge() && m.pte->dirty());
  cr_assert_eq(m.pte->pfn(k2M), Pfn(22));
  m = pt.lookup(a1 + 12345678);
  cr_assert(m && m.size == k1G && !m.pte->writable());
  cr_assert_eq(m.pte->phys(), PhysAddr(3 * kGiB));
  cr_assert_not(pt.lookup(a4 + 0x1000), "the next 4 KiB page is unmapped");
  cr_assert_not(pt.lookup(a2 + 2 * kMiB));
  cr_assert_eq(pt.map(a4, k4K, Pfn(12)), MapResult::kAlreadyMapped);
  const auto c = pt.leaf_counts();
  cr_assert_eq(c.present[0] + c.present[1] + c.present[2], 3u);
  cr_assert_eq(c.present[index_of(k1G)], 1u);
  cr_assert(pt.valid());
  // unmap by any address inside; the removed entry comes back
  auto u = pt.unmap(a2 + 4096);
  cr_assert(u.has_value());
  cr_assert_eq(u->size, k2M);
  cr_assert_eq(u->pte.pfn(k2M), Pfn(22));
  cr_assert_not(pt.lookup(a2));
  cr_assert_not(pt.unmap(a2).has_value(), "unmapping twice finds nothing");
  cr_assert_eq(pt.unmap(a4)->pte.pfn(k4K), Pfn(11));
  cr_assert_eq(pt.unmap(a1)->size, k1G);
  cr_assert(pt.valid());
  // empty nodes were freed: only the root is left
  cr_assert_eq(pt.nodes(4), 1u);
  cr_assert_eq(pt.nodes(3) + pt.nodes(2) + pt.nodes(1), 0u);
}

Test(page_table, sizes_cannot_overlap) {
  PageTable pt;
  const VirtAddr huge(0x4000'0000 + 6 * kMiB);  // a 2 MiB page at 1 GiB + 6 MiB
  cr_assert_eq(pt.map(huge, k2M, Pfn(1)), MapResult::kOk);
  cr_assert_eq(pt.map(huge + 8192, k4K, Pfn(5)), MapResult::kOverlap, "4K inside a 2M page");
  cr_assert_eq(pt.map(VirtAddr(kGiB), k1G, Pfn(1)), MapResult::kOverlap, "1G over a 2M page");
  cr_assert_eq(pt.map(huge + 2 * kMiB, k4K, Pfn(5)), MapResult::kOk, "just after it is free");
  cr_assert_eq(pt.map(huge + 2 * kMiB, k2M, Pfn(2)), MapResult::kOverlap, "2M over a 4K page");
  cr_assert_eq(pt.leaf_slot(huge + 4096, k4K, true), nullptr, "no 4K slot under a 2M leaf");
  cr_assert_eq(pt.lookup(huge + 8192).size, k2M, "the 2M mapping is intact");
  cr_assert(pt.valid());
  // once the 4K page is gone, a 2M page can take its place (the empty node is reused/pruned)
  cr_assert(pt.unmap(huge + 2 * kMiB, Reclaim::kKeepNodes).has_value());
  cr_assert_eq(pt.nodes(1), 1u, "kept the empty level-1 node");
  cr_assert_eq(pt.map(huge + 2 * kMiB, k2M, Pfn(2)), MapResult::kOk);
  cr_assert_eq(pt.nodes(1), 0u, "the empty node under the new 2M leaf was freed");
  cr_assert(pt.valid());
  // and a 1G page, after both 2M pages go
  pt.unmap(huge);
  pt.unmap(huge + 2 * kMiB);
  cr_assert_eq(pt.map(VirtAddr(kGiB), k1G, Pfn(1)), MapResult::kOk);
  cr_assert_eq(pt.map(VirtAddr(kGiB + 2 * kMiB), k2M, Pfn(9)), MapResult::kOverlap);
  cr_assert(pt.valid());
}

Test(page_table, rejects_bad_addresses_frames_and_flags) {
  PageTable pt;
  cr_assert_eq(pt.map(VirtAddr(0x1001), k4K, Pfn(1)), MapResult::kMisaligned);
  cr_assert_eq(pt.map(VirtAddr(0x1000), k2M, Pfn(1)), MapResult::kMisaligned);
  cr_assert_eq(pt.map(VirtAddr(2 * kMiB), k1G, Pfn(1)), MapResult::kMisaligned);
  cr_assert_eq(pt.map(VirtAddr(uint64_t{1} << 47), k4K, Pfn(1)), MapResult::kNonCanonical);
  cr_assert_eq(pt.map(VirtAddr(0x8000'0000'0000'0000), k4K, Pfn(1)), MapResult::kNonCanonical);
  cr_assert_eq(pt.map(VirtAddr(0x1000), k4K, Pfn(uint64_t{1} << 40)), MapResult::kBadFrame);
  cr_assert_eq(pt.map(VirtAddr(0x1000), k4K, Pfn(1), Pte::kHuge), MapResult::kBadFlags);
  cr_assert_eq(pt.map(VirtAddr(0x1000), k4K, Pfn(1), Pte::kSwapped), MapResult::kBadFlags);
  cr_assert_not(pt.lookup(VirtAddr(uint64_t{1} << 47)));
  cr_assert_not(pt.unmap(VirtAddr(uint64_t{1} << 47)).has_value());
  cr_assert_eq(pt.leaf_slot(VirtAddr(uint64_t{1} << 50), k4K, true), nullptr);
  const Walk w = pt.walk(VirtAddr(uint64_t{1} << 47));
  cr_assert(!w.canonical && w.count == 0 && w.entry == nullptr && !w.present());
  cr_assert_eq(pt.nodes(3), 0u, "bad input created nothing");
  cr_assert(pt.valid());
  cr_assert_str_eq(name_of(MapResult::kNonCanonical), "non-canonical address for this layout");
}

Test(page_table, upper_half_is_canonical) {
  PageTable pt;
  const VirtAddr k(0xffff'8000'0000'0000);
  cr_assert_eq(pt.map(k, k4K, Pfn(4)), MapResult::kOk);
  const Walk w = pt.walk(k);
  cr_assert(w.present());
  cr_assert_eq(w.steps[0].index, 256, "upper half starts at root entry 256, as on x86-64");
  int n = 0;
  pt.for_each_mapping([&](VirtAddr va, PageSize s, Pte *) {
    cr_assert_eq(va, k, "mappings are reported at their canonical address");
    cr_assert_eq(s, k4K);
    ++n;
  });
  cr_assert_eq(n, 1);
}

Test(page_table, five_level_maps_57_bit_addresses) {
  PageTable pt(kX86_64_5Level);
  const VirtAddr high(0x00f1'2345'6780'0000 & ~(2 * kMiB - 1));  // bit 55 set
  cr_assert_eq(PageTable().map(high, k2M, Pfn(1)), MapResult::kNonCanonical, "not in 48 bits");
  cr_assert_eq(pt.map(high, k2M, Pfn(1)), MapResult::kOk);
  cr_assert_eq(pt.map(VirtAddr(uint64_t{1} << 56), k4K, Pfn(1)), MapResult::kNonCanonical);
  cr_assert_eq(pt.map(VirtAddr(0xff00'0000'0000'0000), k4K, Pfn(2)), MapResult::kOk);
  const Walk w = pt.walk(high + 5);
  cr_assert(w.present());
  cr_assert_eq(w.count, 4, "5-level: 2M leaf after 4 reads");
  cr_assert_eq(w.steps[0].level, 5);
  cr_assert_eq(w.steps[0].index, (high.value >> 48) & 511);
  cr_assert_eq(w.size(), k2M);
  cr_assert_eq(pt.walk(VirtAddr(0xff00'0000'0000'0000)).count, 5);
  cr_assert(pt.valid());
}

Test(page_table, walk_reports_each_step) {
  PageTable pt;
  const VirtAddr a4(0x1234'5678'9000), a2(0x2000'0000'0000), a1(0x3000'0000'0000);
  pt.map(a4, k4K, Pfn(40));
  pt.map(a2, k2M, Pfn(41));
  pt.map(a1, k1G, Pfn(42));
  struct Case {
    VirtAddr va;
    int steps;
    PageSize size;
  } cases[] = {{a4 + 77, 4, k4K}, {a2 + 77, 3, k2M}, {a1 + 77, 2, k1G}};
  for (const Case &c : cases) {
    const Walk w = pt.walk(c.va);
    cr_assert(w.canonical && w.present());
    cr_assert_eq(w.count, c.steps);
    cr_assert_eq(w.size(), c.size);
    cr_assert_eq(w.entry, pt.lookup(c.va).pte, "the walk ends at the leaf lookup finds");
    for (int i = 0; i < w.count; ++i) {
      const WalkStep &s = w.steps[i];
      cr_assert_eq(s.level, 4 - i);
      cr_assert_eq(s.index, (c.va.value >> (12 + 9 * (s.level - 1))) & 511);
      if (i + 1 < w.count) {
        cr_assert(s.entry.is_table());
        cr_assert_eq(s.entry.node(), w.steps[i + 1].node, "each table entry leads to the next");
      } else {
        cr_assert_eq(s.entry, *w.entry);
      }
    }
  }
  cr_assert_eq(pt.walk(a4).steps[0].node, pt.walk(a1).steps[0].node, "one root");
  // misses: empty root entry (1 read), empty PT entry beside a mapped page (4 reads)
  Walk w = pt.walk(VirtAddr(0x7000'0000'0000));
  cr_assert(!w.present() && w.count == 1 && w.level == 4 && w.entry->none());
  w = pt.walk(a4 + 4096);
  cr_assert(!w.present() && w.count == 4 && w.level == 1 && w.value.none());
}

Test(page_table, swapped_entries_and_in_place_updates) {
  PageTable pt;
  const VirtAddr va(0x5555'0000'0000);
  Pte *slot = pt.leaf_slot(va, k4K, false);
  cr_assert_eq(slot, nullptr, "no nodes yet and create == false");
  slot = pt.leaf_slot(va + 123, k4K, true);
  cr_assert_neq(slot, nullptr);
  cr_assert(slot->none());
  cr_assert(pt.valid(), "empty nodes made by leaf_slot are valid");
  // minor fault: the handler fills the slot in place
  *slot = Pte::leaf(Pfn(7), k4K, Pte::kWritable);
  cr_assert_eq(pt.walk(va).entry, slot);
  // eviction: the page goes to swap slot 999
  slot->set_present(false);
  slot->set_swapped(true);
  slot->set_swap_slot(999);
  Walk w = pt.walk(va);
  cr_assert(!w.present() && w.level == 1 && w.value.swapped());
  cr_assert_eq(w.value.swap_slot(), 999u);
  cr_assert_eq(pt.leaf_counts().swapped[0], 1u);
  cr_assert_eq(pt.map(va, k4K, Pfn(8)), MapResult::kAlreadyMapped, "a swapped page is mapped");
  cr_assert(pt.valid());
  // major fault: back in frame 8
  *pt.leaf_slot(va, k4K, false) = Pte::leaf(Pfn(8), k4K, Pte::kWritable);
  w = pt.walk(va);
  cr_assert(w.present());
  cr_assert_eq(w.value.pfn(k4K), Pfn(8));
  // a swapped-out 2M page still blocks 4K mappings inside it
  Pte *h = pt.leaf_slot(VirtAddr(0x6000'0000'0000), k2M, true);
  *h = Pte::swapped_out(5, k2M);
  cr_assert_eq(pt.map(VirtAddr(0x6000'0000'1000), k4K, Pfn(1)), MapResult::kOverlap);
  cr_assert_eq(pt.walk(VirtAddr(0x6000'0000'1000)).level, 2);
  cr_assert_eq(pt.leaf_counts().swapped[1], 1u);
  cr_assert(pt.valid());
  // a present entry that is also marked swapped is corrupt, and valid() says so
  slot = pt.leaf_slot(va, k4K, false);
  slot->set_swapped(true);
  cr_assert_not(pt.valid());
  slot->set_swapped(false);
  cr_assert(pt.valid());
}

Test(page_table, protect_changes_write_permission) {
  PageTable pt;
  const VirtAddr va(0x4020'0000);
  cr_assert_not(pt.protect(va, false), "nothing mapped");
  pt.map(va, k2M, Pfn(3), Pte::kWritable);
  cr_assert(pt.protect(va + 100, false));
  cr_assert_not(pt.lookup(va).pte->writable());
  cr_assert(pt.lookup(va).pte->present(), "other bits untouched");
  cr_assert_eq(pt.lookup(va).pte->pfn(k2M), Pfn(3));
  cr_assert(pt.protect(va, true));
  cr_assert(pt.walk(va).value.writable());
}

Test(page_table, out_of_node_memory_is_reported_without_corruption) {
  test::BudgetState st;
  st.budget = 2;  // root + one level-3 node
  {
    BasicPageTable<test::BudgetSource> pt(kX86_64_4Level, test::BudgetSource{&st});
    cr_assert_eq(pt.map(VirtAddr(0x1000), k4K, Pfn(1)), MapResult::kNoMemory);
    cr_assert_eq(pt.map(VirtAddr(0x20'0000), k2M, Pfn(1)), MapResult::kNoMemory);
    cr_assert_eq(pt.map(VirtAddr(kGiB), k1G, Pfn(1)), MapResult::kOk, "needs no new node");
    cr_assert_not(pt.lookup(VirtAddr(0x1000)));
    cr_assert_eq(pt.leaf_slot(VirtAddr(0x1000), k4K, true), nullptr);
    cr_assert(pt.valid());
    st.budget = 2;
    cr_assert_eq(pt.map(VirtAddr(0x1000), k4K, Pfn(1)), MapResult::kOk);
    cr_assert(pt.lookup(VirtAddr(0x1000)));
    cr_assert(pt.valid());
  }
  cr_assert_eq(st.live, 0);
  st.budget = 0;  // not even the root: the table works as empty and recovers
  BasicPageTable<test::BudgetSource> pt(kX86_64_4Level, test::BudgetSource{&st});
  const Walk w = pt.walk(VirtAddr(0x1000));
  cr_assert(w.canonical && w.count == 0 && w.entry == nullptr);
  cr_assert_eq(pt.map(VirtAddr(0x1000), k4K, Pfn(1)), MapResult::kNoMemory);
  st.budget = 10;
  cr_assert_eq(pt.map(VirtAddr(0x1000), k4K, Pfn(1)), MapResult::kOk);
  cr_assert_eq(pt.walk(VirtAddr(0x1000)).count, 4);
}

// Random maps and unmaps in an 8 GiB window (so sizes collide), checked against a model.
Test(page_table, random_operations_match_a_model) {
  struct M {
    PageSize size;
    uint64_t pfn;
  };
  std::map<uint64_t, M> model;  // start -> mapping
  PageTable pt;
  std::mt19937_64 rng(42);
  const uint64_t base = 0x7f00'0000'0000;
  auto covering = [&](uint64_t va) -> const std::pair<const uint64_t, M> * {
    auto it = model.upper_bound(va);
    if (it == model.begin()) return nullptr;
    --it;
    return va < it->first + bytes_of(it->second.size).value ? &*it : nullptr;
  };
  auto overlaps_other_size = [&](uint64_t va, PageSize s) {
    const uint64_t end = va + bytes_of(s).value;
    for (auto it = model.lower_bound(va); it != model.end() && it->first < end; ++it)
      if (it->second.size != s) return true;
    const auto *c = covering(va);
    return c != nullptr && c->second.size != s;
  };
  for (int op = 0; op < 4000; ++op) {
    const unsigned r = rng() % 100;
    const PageSize s = r < 70 ? k4K : r < 95 ? k2M : k1G;
    // cluster addresses so that 4K pages share 2M regions and collide with huge pages
    uint64_t va = base + (rng() % 8) * kGiB + (rng() % 4) * 2 * kMiB + (rng() % 16) * 4096;
    va &= ~(bytes_of(s).value - 1);
    if (rng() % 3 != 0) {
      const uint64_t pfn = rng() % 1000;
      MapResult want = MapResult::kOk;
      if (overlaps_other_size(va, s))
        want = MapResult::kOverlap;
      else if (model.count(va))
        want = MapResult::kAlreadyMapped;
      const MapResult got = pt.map(VirtAddr(va), s, Pfn(pfn));
      cr_assert_eq(got, want, "op %d map %lx size %s: got %s", op, va, name_of(s), name_of(got));
      if (got == MapResult::kOk) model[va] = {s, pfn};
    } else {
      const uint64_t at = va + rng() % bytes_of(s).value;
      const auto *c = covering(at);
      const auto got = pt.unmap(VirtAddr(at));
      cr_assert_eq(got.has_value(), c != nullptr, "op %d unmap %lx", op, at);
      if (c != nullptr) {
        cr_assert_eq(got->size, c->second.size);
        cr_assert_eq(got->pte.pfn(got->size).value, c->second.pfn);
        model.erase(c->first);
      }
    }
    if (op % 250 == 0) cr_assert(pt.valid(), "op %d", op);
  }
  cr_assert(pt.valid());
  // the table holds exactly the model's mappings
  size_t n = 0;
  pt.for_each_mapping([&](VirtAddr va, PageSize s, Pte *p) {
    const auto it = model.find(va.value);
    cr_assert(it != model.end(), "unexpected mapping %lx", va.value);
    cr_assert_eq(it->second.size, s);
    cr_assert_eq(p->pfn(s).value, it->second.pfn);
    ++n;
  });
  cr_assert_eq(n, model.size());
  for (const auto &[va, m] : model) {
    const Mapping got = pt.lookup(VirtAddr(va + bytes_of(m.size).value - 1));
    cr_assert(got && got.size == m.size);
  }
}
