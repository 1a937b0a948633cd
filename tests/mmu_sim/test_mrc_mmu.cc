// tests/mmu_sim/test_mrc_mmu.cc: the fault curves equal separate runs of the simulator itself.
// The same accesses (loads, stores, Modifies and ifetches, many crossing pages) go through
// PageRefSource into the LRU and OPT curves, and through hpmm::sim::Mmu with F frames and the
// lru or opt policy: the Mmu's faults equal faults(F) exactly, for 4 KiB and 2 MiB pages, with
// and without ifetches, and its translations equal the length of the reference string.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "hpmm/mmu.hpp"
#include "mmu_sim/mrc.hpp"
#include "mmu_sim/reference_string.hpp"
#include "tests/mmu_sim/test_mrc_sources.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

std::vector<Access> accesses_for(PageSize size, uint64_t seed) {
  const uint64_t page = bytes_of(size).value;
  Xoshiro256 rng(seed);
  std::vector<Access> a;
  for (int i = 0; i < 6000; ++i) {
    uint64_t p =
        rng.below32(10) < 7 ? rng.below32(24) : rng.below32(300);  // a hot set and the rest
    auto len = static_cast<uint32_t>(rng.below32(8) == 0 ? 1 + rng.below32(3 * 4096)
                                                         : 1 + rng.below32(64));
    a.push_back({p * page + (page - 1 - rng.below32(64)) * (rng.below32(4) == 0), len,
                 static_cast<AccessKind>(rng.below32(4))});
  }
  return a;
}

// Faults of the simulator with `frames` frames of `size` and the given policy.
uint64_t mmu_faults(const std::vector<Access> &a, PageSize size, bool ifetch, uint32_t frames,
                    PageReplacement policy, uint64_t *translations) {
  SimConfig c;
  c.page_size = size;
  c.frames[index_of(size)] = frames;
  c.replacement = policy;
  c.ifetch = ifetch;
  std::string err;
  auto mmu = Mmu::create(c, &err);
  cr_assert(mmu != nullptr, "Mmu::create: %s", err.c_str());
  ScriptedSource src(a, 512);
  std::string run = mmu->run(src);
  cr_assert_str_eq(run.c_str(), "");
  *translations = mmu->stats().translations;
  return mmu->stats().faults();
}

}  // namespace

Test(mrc_mmu, curves_equal_simulator_runs) {
  for (PageSize size : {PageSize::k4K, PageSize::k2M})
    for (bool ifetch : {false, true}) {
      auto a = accesses_for(size, 51 + index_of(size) + ifetch);
      RefOptions o;
      o.page_size = size;
      o.ifetch = ifetch;
      ScriptedSource src(a, 100);
      std::vector<uint64_t> keys;
      std::string err = read_page_refs(src, o, &keys);
      cr_assert_str_eq(err.c_str(), "");
      FaultCurve lru = lru_fault_curve(keys), opt = opt_fault_curve(keys, 400);
      for (uint32_t f : {1u, 8u, 20u, 64u, 200u, 330u}) {
        uint64_t xl = 0, xo = 0;
        uint64_t fl = mmu_faults(a, size, ifetch, f, PageReplacement::kLru, &xl);
        uint64_t fo = mmu_faults(a, size, ifetch, f, PageReplacement::kOpt, &xo);
        cr_assert_eq(xl, keys.size(), "translations, %s ifetch=%d", name_of(size), ifetch);
        cr_assert_eq(xo, keys.size());
        cr_assert_eq(lru.faults(f), fl, "lru %s ifetch=%d F=%u", name_of(size), ifetch, f);
        cr_assert_eq(opt.faults(f), fo, "opt %s ifetch=%d F=%u", name_of(size), ifetch, f);
      }
    }
}
