// mmu_sim/stats.cc: the cost model and the invariants of SimStats (see stats.hpp).
#include "mmu_sim/stats.hpp"

namespace hpmm::sim {

double SimStats::cycles(const CostModel &c) const {
  uint64_t pwc = pwc_hits[0] + pwc_hits[1] + pwc_hits[2];
  return c.l1_hit * static_cast<double>(l1.hits) + c.l2_hit * static_cast<double>(l2.hits) +
         c.walk_ref * static_cast<double>(walk_refs) + c.pwc_hit * static_cast<double>(pwc) +
         c.minor_fault * static_cast<double>(faults_minor) +
         c.major_fault * static_cast<double>(faults_major) +
         c.writeback * static_cast<double>(writebacks);
}

double SimStats::cycles_per_access(const CostModel &c) const {
  return accesses == 0 ? 0.0 : cycles(c) / static_cast<double>(accesses);
}

bool SimStats::valid() const {
  if (accesses != reads + writes + ifetches) return false;
  if (translations < accesses) return false;  // every access touches at least one page
  if (l1.hits + l1.misses != translations) return false;
  TlbLevelStats sum;
  for (const TlbLevelStats &s : l1_by_size) {
    sum.hits += s.hits;
    sum.misses += s.misses;
  }
  if (sum.hits != l1.hits || sum.misses != l1.misses) return false;
  if (has_l2) {
    if (l2.hits + l2.misses != l1.misses || walks != l2.misses) return false;
  } else if (l2.hits != 0 || l2.misses != 0 || walks != l1.misses) {
    return false;
  }
  // A walk reads at least the leaf and at most five levels; a cache hit saves at least one.
  if (walk_refs < walks || walk_refs > 5 * walks) return false;
  if (pwc_hits[0] + pwc_hits[1] + pwc_hits[2] > walks) return false;
  if (faults() > walks || evictions > faults() || writebacks > evictions) return false;
  if (shootdowns > evictions * (has_l2 ? 2 : 1)) return false;  // one L1 and one L2 entry each
  if (resident_pages + evictions != faults()) return false;     // pages in = out + resident
  return true;
}

}  // namespace hpmm::sim
