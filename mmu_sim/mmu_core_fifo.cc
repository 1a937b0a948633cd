// mmu_sim/mmu_core_fifo.cc: the MMU instantiations with fifo page replacement.
#include "mmu_sim/mmu_core_make.hpp"
#include "mmu_sim/policy_fifo.hpp"

namespace hpmm::sim {

std::unique_ptr<MmuImpl> make_core_fifo(const SimConfig &c, const FrameMemory &m) {
  return make_core_for<FifoPolicy>(c, m);
}

}  // namespace hpmm::sim
