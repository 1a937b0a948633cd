// tests/mmu_sim/test_tlb_plru_model.cc: TlbPlru against a plain model of tree pseudo-LRU, step
// for step, for 2..16 ways: every entry point that touches a way (on_hit, on_fill, the hit path's
// Hot::hit and, with 4 ways, Hot::hit_4way's one-store form over the byte layout) must leave the
// victim the model gives, in every set, and valid() must hold throughout.
//
// The model is a binary tree of explicit nodes built recursively (no node numbering shared with
// the policy): a node over ways [lo,hi) with hi-lo >= 2 splits at mid = lo + (hi-lo+1)/2; its flag
// "victim on the right" is set by a touch on the left and cleared by a touch on the right.
#include <criterion/criterion.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "mmu_sim/tlb_replacement.hpp"

using namespace hpmm::sim;

namespace {

struct Node {
  uint32_t lo, hi, mid;
  bool right = false;                             // the victim is in [mid, hi)
  std::unique_ptr<Node> left_child, right_child;  // null for a single way
};

std::unique_ptr<Node> build(uint32_t lo, uint32_t hi) {
  if (hi - lo < 2) return nullptr;
  auto n = std::make_unique<Node>();
  n->lo = lo;
  n->hi = hi;
  n->mid = lo + (hi - lo + 1) / 2;
  n->left_child = build(lo, n->mid);
  n->right_child = build(n->mid, hi);
  return n;
}

void model_touch(Node *n, uint32_t way) {
  while (n != nullptr) {
    const bool on_left = way < n->mid;
    n->right = on_left;
    n = on_left ? n->left_child.get() : n->right_child.get();
  }
}

uint32_t model_victim(const Node *n, uint32_t ways) {
  if (ways == 1) return 0;
  uint32_t way = 0;
  while (n != nullptr) {
    way = n->right ? n->mid : n->lo;
    n = n->right ? n->right_child.get() : n->left_child.get();
  }
  return way;
}

uint64_t next(uint64_t &x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

}  // namespace

Test(tlb_plru_model, every_touch_path_matches_the_model_for_2_to_16_ways) {
  constexpr uint32_t kSets = 5;
  for (uint32_t ways = 2; ways <= 16; ++ways) {
    TlbPlru p(kSets, ways, 1);
    std::vector<std::unique_ptr<Node>> model;
    for (uint32_t s = 0; s < kSets; ++s) model.push_back(build(0, ways));
    for (uint32_t s = 0; s < kSets; ++s)
      cr_assert_eq(p.victim(s), 0u, "ways %u set %u: a fresh set evicts way 0", ways, s);
    uint64_t x = 0x9E3779B97F4A7C15ull + ways;
    for (int step = 0; step < 3000; ++step) {
      const uint64_t r = next(x);
      const uint32_t set = static_cast<uint32_t>(r % kSets);
      const uint32_t way = static_cast<uint32_t>((r >> 8) % ways);
      const uint32_t how = static_cast<uint32_t>((r >> 20) % 4);
      if (how == 0) {
        p.on_hit(set, way);
      } else if (how == 1) {
        p.on_fill(set, way);
      } else if (how == 3 && ways == 4) {
        auto h = p.hot();
        h.hit_4way(set, way);
        p.hot_out(h);
      } else {
        auto h = p.hot();
        h.hit(set, way, uint64_t{set} * ways + way);
        p.hot_out(h);
      }
      model_touch(model[set].get(), way);
      for (uint32_t s = 0; s < kSets; ++s)
        cr_assert_eq(p.victim(s), model_victim(model[s].get(), ways),
                     "ways %u step %d (touch way %u of set %u, path %u): set %u's victim", ways,
                     step, way, set, how, s);
      cr_assert(p.valid(), "ways %u step %d", ways, step);
    }
  }
}

// The 4-way hit path's one store must equal on_hit from every reachable state of a set: all 8
// combinations of the three node bits, reached by touches, then each way touched both ways.
Test(tlb_plru_model, hit_4way_equals_on_hit_from_every_state) {
  const uint32_t seqs[8][2] = {{0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 0}, {2, 1}, {3, 0}, {3, 1}};
  for (const auto &seq : seqs)
    for (uint32_t way = 0; way < 4; ++way) {
      TlbPlru a(2, 4, 1), b(2, 4, 1);
      for (uint32_t w : seq) {
        a.on_hit(1, w);
        b.on_hit(1, w);
      }
      a.on_hit(1, way);
      auto h = b.hot();
      h.hit_4way(1, way);
      b.hot_out(h);
      cr_assert_eq(a.victim(1), b.victim(1), "after %u, %u then way %u", seq[0], seq[1], way);
      cr_assert_neq(b.victim(1), way, "the way just touched is never the victim");
      cr_assert_eq(b.victim(0), 0u, "set 0 untouched by set 1's store");
      cr_assert(b.valid());
      // the next touch from this state agrees too (the store left no stray byte behind)
      for (uint32_t w2 = 0; w2 < 4; ++w2) {
        TlbPlru c = a, d = b;
        c.on_hit(1, w2);
        d.on_fill(1, w2);
        cr_assert_eq(c.victim(1), d.victim(1));
      }
    }
}
