// tests/mmu_sim/test_tlb_layout.cc: the TLB array's split-tag layout (low halves compared 4 lanes
// at once, then the candidate's high half) against plain models, with keys chosen to share their
// low 32 bits: the array must hit, miss and evict exactly as a list of whole keys per set does,
// for any shape, every policy, and through the MMU's one-size batch loop.
#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mmu_sim/tlb_array.hpp"
#include "sim_test_util.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

// A plain LRU set-associative cache: per set, the keys from least to most recently used.
struct LruModel {
  uint32_t sets, ways;
  std::vector<std::vector<uint64_t>> order;
  LruModel(uint32_t s, uint32_t w) : sets(s), ways(w), order(s) {}
  uint32_t set_of(uint64_t key) const { return static_cast<uint32_t>(key % sets); }
  bool hit(uint64_t key) {  // touches on a hit
    auto &o = order[set_of(key)];
    auto it = std::find(o.begin(), o.end(), key);
    if (it == o.end()) return false;
    o.erase(it);
    o.push_back(key);
    return true;
  }
  // Inserts an absent key; returns the key it evicted, or kInvalidTag.
  uint64_t fill(uint64_t key) {
    auto &o = order[set_of(key)];
    uint64_t out = kInvalidTag;
    if (o.size() == ways) {
      out = o.front();
      o.erase(o.begin());
    }
    o.push_back(key);
    return out;
  }
  bool has(uint64_t key) const {
    const auto &o = order[set_of(key)];
    return std::find(o.begin(), o.end(), key) != o.end();
  }
  bool erase(uint64_t key) {
    auto &o = order[set_of(key)];
    auto it = std::find(o.begin(), o.end(), key);
    if (it == o.end()) return false;
    o.erase(it);
    return true;
  }
};

uint64_t next(uint64_t &x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

// Keys over few low halves and several high halves: many keys of a set share a low half.
uint64_t colliding_key(uint64_t r, uint32_t sets) {
  const uint64_t low = (r & 7) * sets + (r >> 3) % sets;  // 8 low halves per set
  return (((r >> 20) % 5) << 32) + low;                   // 5 high halves
}

template <class R>
void check_against_contents(uint32_t sets, uint32_t ways, bool lru) {
  TlbArray<R> a({sets, ways}, 3);
  LruModel m(sets, ways);
  uint64_t x = 0x9E3779B97F4A7C15ull + sets * 131 + ways;
  for (int i = 0; i < 4000; ++i) {
    const uint64_t r = next(x);
    const uint64_t key = colliding_key(r, sets);
    const uint32_t set = a.set_of(key);
    cr_assert_eq(set, m.set_of(key));
    if (r % 11 == 0) {  // a shootdown
      cr_assert_eq(a.invalidate(set, key), m.erase(key), "shape %ux%u key %lx", sets, ways, key);
      continue;
    }
    const int64_t slot = a.lookup(set, key);
    const bool in_model = lru ? m.hit(key) : m.has(key);  // other policies: contents only
    cr_assert_eq(slot >= 0, in_model, "shape %ux%u step %d key %lx", sets, ways, i, key);
    if (slot >= 0) {
      cr_assert_eq(a.tag(slot), key);
      cr_assert_eq(a.data(slot), static_cast<uint32_t>(key * 2 + 1));
      continue;
    }
    typename TlbArray<R>::Evicted ev;
    const int64_t s = a.fill(set, key, static_cast<uint32_t>(key * 2 + 1), &ev);
    cr_assert_eq(a.tag(s), key);
    cr_assert_eq(*a.entry(set, s), static_cast<uint32_t>(key * 2 + 1));
    if (lru) {
      const uint64_t want = m.fill(key);
      cr_assert_eq(ev.any ? ev.tag : kInvalidTag, want, "shape %ux%u step %d: LRU victim", sets,
                   ways, i);
    } else {
      auto &o = m.order[set];
      if (ev.any) {
        cr_assert(m.erase(ev.tag), "evicted %lx was not in the set", ev.tag);
      } else {
        cr_assert(o.size() < ways, "a full set must evict");
      }
      o.push_back(key);
    }
  }
  uint64_t n = 0;
  for (const auto &o : m.order) n += o.size();
  cr_assert_eq(a.valid_entries(), n);
  cr_assert(a.valid());
}

}  // namespace

Test(tlb_layout, lru_matches_a_plain_model_with_shared_low_halves) {
  for (uint32_t ways : {1u, 3u, 4u, 5u, 12u, 64u, 65u, 70u})
    for (uint32_t sets : {1u, 3u, 16u}) check_against_contents<TlbLru>(sets, ways, true);
}

Test(tlb_layout, other_policies_keep_the_contents_a_model_keeps) {
  for (uint32_t ways : {1u, 4u, 12u, 65u})
    for (uint32_t sets : {1u, 16u}) {
      check_against_contents<TlbPlru>(sets, ways, false);
      check_against_contents<TlbFifo>(sets, ways, false);
      check_against_contents<TlbRandom>(sets, ways, false);
    }
}

// The invalid encoding's low half (0xffffffff) is a real key's low half too: such a key must not
// match an empty way, and must be found once filled.
Test(tlb_layout, a_key_whose_low_half_is_all_ones) {
  TlbArray<TlbLru> a({16, 4}, 1);
  const uint64_t key = 0x3'ffff'ffffull;
  const uint32_t set = a.set_of(key);
  cr_assert_eq(a.find(set, key), -1);
  cr_assert_eq(a.probe().match4(set, key), 0u);
  const int64_t s = a.fill(set, key, 6, nullptr);
  cr_assert_eq(a.find(set, key), s);
  cr_assert_eq(a.find(set, key - (uint64_t{1} << 32)), -1);
  cr_assert(a.valid());
}

// The MMU's one-size batch loop (the fast L1 search for 16 x 4, the general one for 12 x 4) counts
// the L1 hits a plain LRU model of the L1 counts, with pages that share their low 32 bits in one
// set (16 TiB apart), loads and stores, over batch sizes that split runs.
Test(tlb_layout, mmu_l1_hits_match_a_plain_lru_model) {
  for (uint32_t sets : {16u, 12u}) {
    for (size_t batch : {1ul, 7ul, 256ul}) {
      SimConfig c = small_config();
      c.l1[0] = {sets, 4};
      c.l2 = {0, 0};
      c.frames[0] = 256;
      LruModel m(sets, 4);
      std::vector<Access> v;
      uint64_t x = 12345 + batch;
      uint64_t hits = 0;
      for (int i = 0; i < 3000; ++i) {
        const uint64_t r = next(x);
        const uint64_t page = (kBase >> 12) + (r % 24) + (((r >> 30) % 3) << 32);
        v.push_back({(page << 12) + ((r >> 52) & 511) * 8, 8,
                     (r >> 63) ? AccessKind::kStore : AccessKind::kLoad});
        if (m.hit(page))
          ++hits;
        else
          m.fill(page);
      }
      auto mmu = make(c);
      VectorSource src(std::move(v), batch);
      cr_assert_eq(mmu->run(src), "");
      const SimStats s = mmu->stats();
      cr_assert_eq(s.translations, 3000u);
      cr_assert_eq(s.l1.hits, hits, "sets %u batch %zu: %lu L1 hits, the model %lu", sets, batch,
                   s.l1.hits, hits);
      cr_assert_eq(s.walks, 3000u - hits);
      cr_assert(mmu->valid());
    }
  }
}
