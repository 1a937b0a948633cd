// mmu_sim/mmu_core_clock.cc: the MMU instantiations with clock page replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_clock.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_clock(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<ClockPolicy>(c, m);
}

}  // namespace hpmm::sim
