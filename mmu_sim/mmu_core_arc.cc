// mmu_sim/mmu_core_arc.cc: the MMU instantiations with arc (Megiddo and Modha's ARC) page
// replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_arc.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_arc(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<ArcPolicy>(c, m);
}

}  // namespace hpmm::sim
