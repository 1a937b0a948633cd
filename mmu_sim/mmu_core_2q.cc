// mmu_sim/mmu_core_2q.cc: the MMU instantiations with 2q (Johnson and Shasha's 2Q) page
// replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_2q.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_2q(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<TwoQPolicy>(c, m);
}

}  // namespace hpmm::sim
