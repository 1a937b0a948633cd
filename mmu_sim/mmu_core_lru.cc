// mmu_sim/mmu_core_lru.cc: the MMU instantiations with lru page replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_lru.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_lru(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<LruPolicy>(c, m);
}

}  // namespace hpmm::sim
