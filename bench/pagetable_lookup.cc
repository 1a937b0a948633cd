// bench/pagetable_lookup.cc: cost of the radix tree's lookups on its two hot paths.
//   heap map (kHeapPageMap, 2 levels): get(key) of random mapped keys.
//   page table (kX86_64_4Level, 4 KiB pages): walk(), which records every step as the MMU's
//     walker needs, and lookup() for comparison.
// Each is measured over a small table (entries stay in L1/L2: the tree's own cost) and a large
// one (entries miss the caches: what memory latency adds), and two ways: "indep" lookups of
// precomputed keys, which the CPU overlaps (throughput), and "dep" chains where the next key
// comes from the entry found, as a free() or a TLB miss sees it (latency).
// Run: make MODE=release -j2 build/release/bench/pagetable_lookup &&
//      build/release/bench/pagetable_lookup
// Peers: TCMalloc's PageMap2 and Go's arena index make the same two dependent loads per lookup.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <utility>
#include <vector>

#include "pagetable/page_table.hpp"
#include "pagetable/radix_tree.hpp"

using namespace hpmm;

namespace {

constexpr uint64_t kOps = uint64_t{1} << 22;
uint64_t sink = 0;

template <class Fn>
double ns_per_op(Fn &&fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(kOps);
}

struct Obj {
  uint64_t next_key;  // the dependent chain's next key
};

// A random cyclic permutation of [0, n) (Sattolo): the chain visits every element once per
// cycle, so it cannot settle into a short, cache-resident loop.
std::vector<uint64_t> random_cycle(uint64_t n, std::mt19937_64 &rng) {
  std::vector<uint64_t> next(n);
  for (uint64_t i = 0; i < n; ++i) next[i] = i;
  for (uint64_t i = n - 1; i > 0; --i) std::swap(next[i], next[rng() % i]);
  return next;
}

void heap_map(uint64_t pages, const char *what) {
  std::mt19937_64 rng(1);
  RadixTree<PointerTraits<Obj>> map(kHeapPageMap);
  std::vector<Obj> objs(pages);
  const uint64_t base = uint64_t{0x7f00'0000'0000} >> 13;
  const std::vector<uint64_t> next = random_cycle(pages, rng);
  for (uint64_t i = 0; i < pages; ++i) {
    objs[i].next_key = base + next[i];
    if (!map.set(base + i, &objs[i])) std::abort();
  }
  std::vector<uint64_t> keys(1 << 16);
  for (auto &k : keys) k = base + rng() % pages;
  const double indep = ns_per_op([&] {
    for (uint64_t i = 0; i < kOps; ++i)
      sink += reinterpret_cast<uintptr_t>(map.get(keys[i & 0xffff]));
  });
  const double dep = ns_per_op([&] {
    uint64_t k = keys[0];
    for (uint64_t i = 0; i < kOps; ++i) k = map.get(k)->next_key;
    sink += k;
  });
  std::printf("heap map get, %-28s %6.2f ns indep  %6.2f ns dep\n", what, indep, dep);
}

void page_table(uint64_t pages, const char *what) {
  std::mt19937_64 rng(2);
  PageTable pt(kX86_64_4Level);
  constexpr uint64_t kVa = 0x5555'0000'0000;
  // frame numbers are the dependent chain's next page
  const std::vector<uint64_t> next = random_cycle(pages, rng);
  for (uint64_t i = 0; i < pages; ++i)
    if (pt.map(VirtAddr(kVa + (i << 12)), PageSize::k4K, Pfn(next[i])) != MapResult::kOk)
      std::abort();
  std::vector<VirtAddr> vas(1 << 16);
  for (auto &v : vas) v = VirtAddr(kVa + ((rng() % pages) << 12) + rng() % 4096);
  const double walk = ns_per_op([&] {
    for (uint64_t i = 0; i < kOps; ++i) sink += pt.walk(vas[i & 0xffff]).value.raw;
  });
  const double walk_dep = ns_per_op([&] {
    uint64_t page = 0;
    for (uint64_t i = 0; i < kOps; ++i) {
      const Walk w = pt.walk(VirtAddr(kVa + (page << 12)));
      sink += w.count;
      page = w.value.pfn(PageSize::k4K).value;
    }
    sink += page;
  });
  const double lookup = ns_per_op([&] {
    for (uint64_t i = 0; i < kOps; ++i) sink += pt.lookup(vas[i & 0xffff]).pte->raw;
  });
  std::printf("4-level walk, %-28s %6.2f ns indep  %6.2f ns dep   (lookup %.2f ns indep)\n", what,
              walk, walk_dep, lookup);
}

}  // namespace

int main() {
  heap_map(uint64_t{1} << 12, "4 Ki pages (32 KiB of leaf):");
  heap_map(uint64_t{1} << 22, "4 Mi pages (32 MiB of leaf):");
  page_table(uint64_t{1} << 12, "16 MiB mapped (32 KiB PTEs):");
  page_table(uint64_t{1} << 18, "1 GiB mapped (2 MiB PTEs):");
  std::printf("(checksum %lu)\n", static_cast<unsigned long>(sink));
  return 0;
}
