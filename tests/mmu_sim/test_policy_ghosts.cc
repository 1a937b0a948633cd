// tests/mmu_sim/test_policy_ghosts.cc: KeyMap (the flat hash map of the ghost lists and the
// analysis passes) against std::unordered_map under random puts, erases and lookups, clustered
// keys included; GhostLists against a std::list model; bad use aborts.
#include <criterion/criterion.h>

#include <algorithm>
#include <csignal>
#include <list>
#include <unordered_map>
#include <vector>

#include "mmu_sim/key_map.hpp"
#include "mmu_sim/policy_ghosts.hpp"
#include "mmu_sim/policy_random.hpp"

using namespace hpmm::sim;

Test(key_map, matches_unordered_map) {
  for (uint64_t universe : {uint64_t{16}, uint64_t{300}, uint64_t{100000}}) {
    KeyMap<uint32_t> m;
    std::unordered_map<uint64_t, uint32_t> ref;
    Xoshiro256 rng(universe);
    for (int i = 0; i < 60000; ++i) {
      // Keys that look like page keys (aligned, consecutive) and the extremes.
      uint64_t r = rng.next() % universe;
      uint64_t key = r == 0 ? 0 : r == 1 ? UINT64_MAX : (r << 12) | 5;
      switch (rng.next() % 3) {
        case 0: {
          auto v = static_cast<uint32_t>(rng.next() % 1000);
          auto it = ref.find(key);
          uint32_t want = it == ref.end() ? KeyMap<uint32_t>::kAbsent : it->second;
          cr_assert_eq(m.put(key, v), want);
          ref[key] = v;
          break;
        }
        case 1: {
          auto it = ref.find(key);
          uint32_t want = it == ref.end() ? KeyMap<uint32_t>::kAbsent : it->second;
          cr_assert_eq(m.erase(key), want);
          ref.erase(key);
          break;
        }
        default: {
          auto it = ref.find(key);
          cr_assert_eq(m.contains(key), it != ref.end());
          if (it != ref.end()) {
            cr_assert_eq(m.get(key), it->second);
            *m.find(key) += 1;
            it->second += 1;
          } else {
            cr_assert_null(m.find(key));
          }
        }
      }
      cr_assert_eq(m.size(), ref.size());
      if (i % 5000 == 0) cr_assert(m.valid());
    }
    cr_assert(m.valid());
    size_t seen = 0;
    m.for_each([&](uint64_t k, uint32_t &v) {
      cr_assert_eq(ref.at(k), v);
      ++seen;
    });
    cr_assert_eq(seen, ref.size());
    m.clear();
    cr_assert_eq(m.size(), 0u);
    cr_assert(m.valid());
  }
}

Test(key_map, presized_map_does_not_grow) {
  KeyMap<uint64_t> m(1000);
  size_t bytes = m.bytes();
  cr_assert_geq(m.capacity(), 1000u);
  for (uint64_t k = 0; k < 1000; ++k) m.put(k << 12, k);
  cr_assert_eq(m.bytes(), bytes);
  for (uint64_t k = 1000; k < 5000; ++k) m.put(k << 12, k);  // grows
  cr_assert_gt(m.bytes(), bytes);
  for (uint64_t k = 0; k < 5000; ++k) cr_assert_eq(m.get(k << 12), k);
  cr_assert(m.valid());
}

Test(ghost_lists, matches_list_model) {
  const uint32_t cap = 40;
  GhostLists<2> g(cap);
  std::list<uint64_t> model[2];  // front = most recent
  Xoshiro256 rng(9);
  auto where = [&](uint64_t k) -> uint32_t {
    for (uint32_t l = 0; l < 2; ++l)
      if (std::find(model[l].begin(), model[l].end(), k) != model[l].end()) return l;
    return GhostLists<2>::kNone;
  };
  for (int i = 0; i < 30000; ++i) {
    uint64_t k = rng.next() % 120;
    uint32_t l = static_cast<uint32_t>(rng.next() % 2);
    cr_assert_eq(g.find(k), where(k));
    switch (rng.next() % 3) {
      case 0:
        if (where(k) == GhostLists<2>::kNone) {
          if (g.size() == cap) {  // full: make room from the longer list
            uint32_t from = model[0].size() >= model[1].size() ? 0 : 1;
            cr_assert_eq(g.back(from), model[from].back());
            cr_assert_eq(g.pop_back(from), model[from].back());
            model[from].pop_back();
          }
          g.push_front(l, k);
          model[l].push_front(k);
        }
        break;
      case 1: {
        uint32_t w = where(k);
        cr_assert_eq(g.erase(k), w);
        if (w != GhostLists<2>::kNone) model[w].remove(k);
        break;
      }
      default:
        if (!model[l].empty()) {
          cr_assert_eq(g.pop_back(l), model[l].back());
          model[l].pop_back();
        }
    }
    for (uint32_t j = 0; j < 2; ++j) cr_assert_eq(g.size(j), model[j].size());
    if (i % 1000 == 0) {
      cr_assert(g.valid());
      for (uint32_t j = 0; j < 2; ++j)
        cr_assert(g.keys(j) == std::vector<uint64_t>(model[j].begin(), model[j].end()));
    }
  }
  cr_assert(g.valid());
}

Test(ghost_lists, push_beyond_capacity_aborts, .signal = SIGABRT) {
  GhostLists<1> g(2);
  g.push_front(0, 1);
  g.push_front(0, 2);
  g.push_front(0, 3);
}
Test(ghost_lists, duplicate_key_aborts, .signal = SIGABRT) {
  GhostLists<2> g(4);
  g.push_front(0, 7);
  g.push_front(1, 7);
}
Test(ghost_lists, pop_of_empty_list_aborts, .signal = SIGABRT) {
  GhostLists<2> g(4);
  g.push_front(0, 7);
  g.pop_back(1);
}
