// mmu_sim/workload.hpp: the synthetic workload generators, AccessSources built from a parsed
// WorkloadSpec (workload_spec.hpp).  Deterministic: one spec and one seed give one stream.
//
// What each kind yields (addresses are base + offset; see hpmm-sim(1), "WORKLOADS"):
//   seq      passes x every element of the region in address order
//   stride   the region as a row-major matrix with rows of `step` pages: order=col walks each
//            column top to bottom (consecutive accesses step * pagesize bytes apart), order=row
//            walks it in address order; passes x every element
//   uniform  each access a uniformly random element of a uniformly random page
//   zipf     page of rank k (1 = hottest) with probability k^-s / H(pages, s)
//   hotcold  with probability hotfrac a uniform hot page (round(hot * pages) of them), else a
//            uniform cold page
//   phases   `phases` phases of `accesses` accesses, uniform over a working set of `ws` pages
//            that starts `shift` pages further (mod pages) at each new phase
// Invariant of every generator: exactly spec.total() accesses, then next() returns 0 with an
// empty error().
#pragma once

#include <cstdint>
#include <memory>

#include "mmu_sim/access.hpp"
#include "mmu_sim/workload_spec.hpp"

namespace hpmm::sim {

// seed is the run's --seed; a spec's own seed= key overrides it.
std::unique_ptr<AccessSource> make_workload(const WorkloadSpec &spec, uint64_t seed);

}  // namespace hpmm::sim
