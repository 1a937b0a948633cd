// mmu_sim/mmu_core_linux.cc: the MMU instantiations with linux (active/inactive lists) page
// replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_active_inactive.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_linux(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<ActiveInactivePolicy>(c, m);
}

}  // namespace hpmm::sim
