// mmu_sim/stats.hpp: what a simulation counted.  Meanings are exactly those of hpmm-sim(1) and
// DESIGN.md's counting rules; invariants a run must keep (checked by SimStats::valid()):
//   accesses == reads + writes + ifetches
//   l1.hits + l1.misses == translations
//   l2.hits + l2.misses == l1.misses              (when an L2 is configured)
//   walks == l2.misses (or l1.misses without L2)
//   faults_minor + faults_major <= walks,  evictions <= faults, writebacks <= evictions
#pragma once

#include <cstdint>

#include "mmu_sim/config.hpp"

namespace hpmm::sim {

struct TlbLevelStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
};

struct SimStats {
  uint64_t accesses = 0;  // reads + writes + ifetches (a Modify is one read and one write)
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t ifetches = 0;
  uint64_t translations = 0;  // one per page each access touches
  TlbLevelStats l1;           // all page sizes' L1 arrays together
  TlbLevelStats l1_by_size[kPageSizeCount];
  TlbLevelStats l2;
  bool has_l2 = false;
  uint64_t walks = 0;
  uint64_t walk_refs = 0;     // memory references made by walks (after page-walk caches)
  uint64_t pwc_hits[3] = {};  // per cached upper level, same order as SimConfig::pwc_entries
  uint64_t faults_minor = 0;  // zero-fill: the page had no valid swap copy
  uint64_t faults_major = 0;  // the page was read back from its swap copy
  uint64_t evictions = 0;
  uint64_t writebacks = 0;      // dirty victims written to swap
  uint64_t shootdowns = 0;      // TLB entries removed because their page was evicted
  uint64_t resident_pages = 0;  // at the time of the snapshot

  uint64_t faults() const { return faults_minor + faults_major; }
  double cycles(const CostModel &c) const;
  double cycles_per_access(const CostModel &c) const;
  bool valid() const;
};

}  // namespace hpmm::sim
