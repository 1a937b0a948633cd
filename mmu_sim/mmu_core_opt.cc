// mmu_sim/mmu_core_opt.cc: the MMU instantiations with opt page replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_opt.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_opt(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<OptPolicy>(c, m);
}

}  // namespace hpmm::sim
