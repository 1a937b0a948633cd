// mmu_sim/mmu_core_random.cc: the MMU instantiations with random page replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_random.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_random(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<RandomPolicy>(c, m);
}

}  // namespace hpmm::sim
