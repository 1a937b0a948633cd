// tests/mmu_sim/test_tlb.cc: one TLB array: set indexing for any set count, conflict misses, and
// the victim each replacement policy (lru, plru, fifo, random) picks.
#include <criterion/criterion.h>

#include <bit>
#include <vector>

#include "mmu_sim/tlb_array.hpp"

using namespace hpmm;
using namespace hpmm::sim;

namespace {

template <class R>
bool present(const TlbArray<R> &a, uint64_t vpn) {
  return a.find(a.set_of(vpn), vpn) >= 0;
}

// Looks vpn up; fills it on a miss.  Returns whether it hit.
template <class R>
bool touch(TlbArray<R> &a, uint64_t vpn) {
  const uint32_t set = a.set_of(vpn);
  if (a.lookup(set, vpn) >= 0) return true;
  a.fill(set, vpn, vpn << 1, nullptr);
  return false;
}

// Fills A..D into one 4-way set, hits A, fills E: returns which of A..D was replaced.
template <class R>
uint64_t victim_after_hit_on_first() {
  TlbArray<R> a({1, 4}, 1);
  for (uint64_t v = 10; v < 14; ++v) cr_assert(!touch(a, v));
  cr_assert(touch(a, 10));
  typename TlbArray<R>::Evicted ev;
  a.fill(0, 14, 0, &ev);
  cr_assert(ev.any);
  cr_assert(a.valid());
  return ev.tag;
}

}  // namespace

Test(tlb_array, set_index_is_vpn_mod_sets_for_any_count) {
  const uint32_t counts[] = {1, 2, 12, 16, 128, 1000, 1536};
  const uint64_t vpns[] = {0,
                           1,
                           11,
                           12,
                           4095,
                           UINT32_MAX,
                           uint64_t{UINT32_MAX} + 1,
                           (uint64_t{1} << 36) - 1,
                           (uint64_t{1} << 45) + 12345};
  for (uint32_t sets : counts) {
    SetIndex idx(sets);
    for (uint64_t v : vpns) cr_assert_eq(idx(v), v % sets, "vpn %lu sets %u", v, sets);
    for (uint64_t v = 0; v < 5000; ++v) cr_assert_eq(idx(v), v % sets);
  }
}

Test(tlb_array, ways_plus_one_pages_in_one_set_always_miss_under_lru) {
  TlbArray<TlbLru> a({16, 4}, 1);
  // vpn = k * 16: all in set 0.
  int hits = 0;
  for (int round = 0; round < 10; ++round)
    for (uint64_t k = 0; k < 5; ++k) hits += touch(a, k * 16);
  cr_assert_eq(hits, 0, "5 pages cycling through a 4-way set must always miss");
  // Four of them fit: after the first round every access hits.
  TlbArray<TlbLru> b({16, 4}, 1);
  hits = 0;
  for (int round = 0; round < 10; ++round)
    for (uint64_t k = 0; k < 4; ++k) hits += touch(b, k * 16);
  cr_assert_eq(hits, 36);
  // Other sets are untouched by the conflicts of set 0.
  cr_assert_eq(b.valid_entries(), 4u);
}

Test(tlb_array, stlb_1536_is_128_sets_of_12) {
  TlbArray<TlbLru> a({128, 12}, 1);
  for (uint64_t v = 0; v < 1536; ++v) cr_assert(!touch(a, v + 1000000));
  cr_assert_eq(a.valid_entries(), 1536u);
  for (uint64_t v = 0; v < 1536; ++v) cr_assert(touch(a, v + 1000000), "vpn %lu", v);
  // 13 pages of one set: the set holds 12.
  TlbArray<TlbLru> b({128, 12}, 1);
  for (uint64_t k = 0; k < 13; ++k) touch(b, k * 128 + 5);
  cr_assert_eq(b.valid_entries(), 12u);
  cr_assert(!present(b, 5), "the least recently used of the 13 left");
}

Test(tlb_array, non_power_of_two_sets_index_by_modulo) {
  TlbArray<TlbLru> a({12, 2}, 1);
  // 24 pages fill the 12 x 2 array exactly and all hit on the second pass, even above 2^32.
  const uint64_t base = (uint64_t{1} << 33) + 7;
  for (uint64_t v = 0; v < 24; ++v) cr_assert(!touch(a, base + v));
  for (uint64_t v = 0; v < 24; ++v) cr_assert(touch(a, base + v));
  // Three pages 12 apart share a set of 2 ways: cycling them always misses.
  TlbArray<TlbLru> b({12, 2}, 1);
  int hits = 0;
  for (int round = 0; round < 5; ++round)
    for (uint64_t k = 0; k < 3; ++k) hits += touch(b, base + k * 12);
  cr_assert_eq(hits, 0);
  cr_assert(b.valid());
}

Test(tlb_replacement, lru_evicts_least_recently_used) {
  cr_assert_eq(victim_after_hit_on_first<TlbLru>(), 11u);  // A was hit: B is the oldest use
}

Test(tlb_replacement, fifo_evicts_first_filled_even_if_hit) {
  cr_assert_eq(victim_after_hit_on_first<TlbFifo>(), 10u);
}

Test(tlb_replacement, plru_follows_the_tree_bits) {
  // After filling ways 0..3 the tree points to way 0; a hit on way 0 turns the root right, and
  // the right node (last touched way 3) points to way 2: C goes, where true LRU would drop B.
  cr_assert_eq(victim_after_hit_on_first<TlbPlru>(), 12u);
}

Test(tlb_replacement, plru_any_way_count_never_evicts_the_last_touched) {
  for (uint32_t ways : {2u, 3u, 5u, 12u, 64u, 100u}) {
    TlbPlru p(2, ways, 1);
    for (uint32_t w = 0; w < ways; ++w) p.on_fill(1, w);
    cr_assert_eq(p.victim(1), 0u, "ways %u: after filling in order the first goes", ways);
    for (uint32_t w = 0; w < ways; ++w) {
      p.on_hit(1, w);
      cr_assert_neq(p.victim(1), w, "ways %u", ways);
      cr_assert_lt(p.victim(1), ways);
    }
    cr_assert_eq(p.victim(0), 0u, "set 0 is independent of set 1");
  }
}

Test(tlb_replacement, random_is_seeded_in_range_and_spread) {
  TlbRandom a(1, 4, 42), b(1, 4, 42), c(1, 4, 43);
  int counts[4] = {};
  bool differs = false;
  for (int i = 0; i < 4000; ++i) {
    uint32_t v = a.victim(0);
    cr_assert_lt(v, 4u);
    cr_assert_eq(v, b.victim(0), "same seed, same choices");
    differs |= v != c.victim(0);
    ++counts[v];
  }
  cr_assert(differs, "another seed gives other choices");
  for (int w = 0; w < 4; ++w) cr_assert_gt(counts[w], 800, "way %d chosen %d times", w, counts[w]);
}

Test(tlb_array, fills_invalid_ways_first_and_invalidate_frees_one) {
  TlbArray<TlbRandom> a({1, 3}, 7);
  TlbArray<TlbRandom>::Evicted ev;
  for (uint64_t v = 1; v <= 3; ++v) {
    a.fill(0, v, 0, &ev);
    cr_assert(!ev.any, "no eviction while a way is free");
  }
  cr_assert(a.invalidate(0, 2));
  cr_assert(!a.invalidate(0, 2), "already gone");
  a.fill(0, 9, 0, &ev);
  cr_assert(!ev.any, "the invalidated way is reused");
  cr_assert(present(a, 1) && present(a, 3) && present(a, 9));
  a.fill(0, 10, 0, &ev);
  cr_assert(ev.any);
  cr_assert(a.valid());
}

// find() compares the low halves of 4 lanes at once (lanes past the ways are padding) and then
// the candidates' high halves: whatever the shape, it must name exactly the slot a plain scan
// names, never a tag of the next set, and -1 for an absent tag.
Test(tlb_array, find_matches_a_plain_scan_for_any_way_count) {
  for (uint32_t ways : {1u, 2u, 3u, 4u, 5u, 7u, 12u, 63u, 64u, 65u, 70u}) {
    for (uint32_t sets : {1u, 3u, 4u}) {
      TlbArray<TlbLru> a({sets, ways}, 1);
      // Fill every set; vpn v lands in set v mod sets.
      const uint64_t n = uint64_t{sets} * ways;
      for (uint64_t v = 0; v < n; ++v) a.fill(a.set_of(v), v, v << 1, nullptr);
      for (uint64_t v = 0; v < n + 2 * sets; ++v) {
        const uint32_t set = a.set_of(v);
        int64_t want = -1;
        for (uint32_t w = 0; w < ways; ++w)
          if (a.tag(int64_t{set} * ways + w) == v) want = int64_t{set} * ways + w;
        cr_assert_eq(a.find(set, v), want, "ways %u sets %u vpn %lu", ways, sets, v);
        // A tag held by another set is absent from this one.
        const uint32_t other = (set + 1) % sets;
        if (other != set) cr_assert_eq(a.find(other, v), -1, "ways %u sets %u", ways, sets);
      }
      cr_assert(a.valid());
    }
  }
}

// The batch loop's Probe (the geometry copied out, and match4 for the usual shape) must agree with
// find() and with the array's data; the policy's hit view (hot(), Hot::hit, hot_out) must leave
// the order lookup() leaves, for every policy: array a goes through the Probe and the view
// (written back before each fill, as the MMU's batch loop does), array b, the plain model, through
// lookup() and fill().  Same seeds: random picks the same victims in both.
// The slot match4's way mask names (at most one bit), or -1.
static int64_t slot_of(uint32_t set, unsigned mask) {
  cr_assert(std::popcount(mask) <= 1, "match4: %u ways match", std::popcount(mask));
  return mask == 0 ? -1 : int64_t{set} * 4 + std::countr_zero(mask);
}

template <class R>
void check_probe_and_hot_view_agree_with_lookup() {
  for (uint32_t ways : {1u, 2u, 3u, 4u, 5u, 12u}) {
    for (uint32_t sets : {1u, 3u, 16u}) {
      TlbArray<R> a({sets, ways}, 1), b({sets, ways}, 1);
      const auto p = a.probe();
      cr_assert_eq(p.fast(), ways == 4 && (sets & (sets - 1)) == 0, "ways %u sets %u", ways, sets);
      // Twice the capacity of distinct pages, touched in a fixed pseudo-random order: hits, misses
      // and evictions.
      const uint64_t span = 2 * uint64_t{sets} * ways;
      uint64_t x = 12345;
      typename TlbArray<R>::Hot h = a.hot();
      for (int i = 0; i < 2000; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const uint64_t v = 1000 + (x >> 33) % span;
        const uint32_t set = p.fast() ? p.set_small(v) : p.set_of(v);
        cr_assert_eq(set, a.set_of(v));
        int64_t slot = p.find(set, v);
        cr_assert_eq(slot, a.find(set, v), "ways %u sets %u vpn %lu", ways, sets, v);
        if (p.fast()) {
          cr_assert_eq(slot_of(set, p.match4(set, v)), slot, "vpn %lu", v);
        }
        if (slot >= 0) {
          cr_assert_eq(*p.data_at(set, slot), v << 1);
          h.hit(set, static_cast<uint32_t>(slot - int64_t{set} * ways),
                static_cast<uint64_t>(slot));
        } else {
          a.hot_out(h);
          slot = a.fill(set, v, v << 1, nullptr);
          h = a.hot();
        }
        int64_t bslot = b.lookup(b.set_of(v), v);
        if (bslot < 0) bslot = b.fill(b.set_of(v), v, v << 1, nullptr);
        cr_assert_eq(bslot, slot, "ways %u sets %u vpn %lu: the arrays diverged", ways, sets, v);
      }
      a.hot_out(h);
      cr_assert(a.valid() && b.valid());
    }
  }
}

Test(tlb_array, probe_and_hot_view_agree_with_lookup_lru) {
  check_probe_and_hot_view_agree_with_lookup<TlbLru>();
}
Test(tlb_array, probe_and_hot_view_agree_with_lookup_plru) {
  check_probe_and_hot_view_agree_with_lookup<TlbPlru>();
}
Test(tlb_array, probe_and_hot_view_agree_with_lookup_fifo) {
  check_probe_and_hot_view_agree_with_lookup<TlbFifo>();
}
Test(tlb_array, probe_and_hot_view_agree_with_lookup_random) {
  check_probe_and_hot_view_agree_with_lookup<TlbRandom>();
}

// match4 on a full fast-shape array: the way a plain scan names for every tag present, none for
// tags absent or held by another set, including tags that differ only in their high half.
Test(tlb_array, match4_matches_a_plain_scan) {
  TlbArray<TlbLru> a({16, 4}, 1);
  const auto p = a.probe();
  cr_assert(p.fast());
  const uint64_t hi = uint64_t{1} << 40;
  for (uint64_t v = 0; v < 64; ++v) a.fill(a.set_of(v * 16 + v % 16), v * 16 + v % 16, v, nullptr);
  for (uint64_t v = 0; v < 64 * 16 + 32; ++v) {
    for (uint64_t t : {v, v + hi, v + 16 * hi}) {
      const uint32_t set = p.set_small(t);
      int64_t want = -1;
      for (uint32_t w = 0; w < 4; ++w)
        if (a.tag(int64_t{set} * 4 + w) == t) want = int64_t{set} * 4 + w;
      cr_assert_eq(slot_of(set, p.match4(set, t)), want, "tag %lu", t);
      cr_assert_eq(p.match4((set + 1) % 16, t), 0u, "tag %lu in the wrong set", t);
    }
  }
}

// PLRU with up to 65 ways keeps each way's path precomputed; beyond, it walks the tree.  Both
// must choose the victims the tree rule gives: replay one random sequence of touches through a
// plain model of the rule and compare after every step.
Test(tlb_replacement, plru_precomputed_paths_follow_the_tree_rule) {
  for (uint32_t ways : {2u, 4u, 8u, 12u, 65u, 66u, 130u}) {
    TlbPlru p(3, ways, 1);
    std::vector<uint8_t> bit(ways, 0);  // model: node -> bit, one set
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 2000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const uint32_t w = static_cast<uint32_t>(x % ways);
      p.on_hit(1, w);
      for (uint32_t lo = 0, hi = ways, node = 0; hi - lo > 1;) {
        const uint32_t mid = lo + (hi - lo + 1) / 2;
        const bool left = w < mid;
        bit[node] = left;
        node += left ? 1 : mid - lo;
        (left ? hi : lo) = mid;
      }
      uint32_t lo = 0, hi = ways, node = 0;
      while (hi - lo > 1) {
        const uint32_t mid = lo + (hi - lo + 1) / 2;
        if (bit[node]) {
          node += mid - lo;
          lo = mid;
        } else {
          node += 1;
          hi = mid;
        }
      }
      cr_assert_eq(p.victim(1), lo, "ways %u step %d", ways, i);
      cr_assert_eq(p.victim(0), 0u, "ways %u: set 0 untouched", ways);
    }
    cr_assert(p.valid());
  }
}
