// mmu_sim/mmu_core_lirs.cc: the MMU instantiations with lirs (Jiang and Zhang's LIRS) page
// replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_lirs.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_lirs(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<LirsPolicy>(c, m);
}

}  // namespace hpmm::sim
