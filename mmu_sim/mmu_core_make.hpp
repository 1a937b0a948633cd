// mmu_sim/mmu_core_make.hpp: picks the MmuCore instantiation for a configuration: TLB replacement
// x swap store (data on: FileSwap with a swap file, else MemorySwap; data off: CountingSwap), for
// the page-replacement policy P of the including mmu_core_<policy>.cc.  Included only by those
// files, so each policy's eight instantiations compile in their own translation unit.
#pragma once

#include <memory>

#include "mmu_sim/mmu_core.hpp"
#include "mmu_sim/swap_file.hpp"

namespace hpmm::sim {

template <class TR, class PR>
std::unique_ptr<MmuImpl> make_core_with(const SimConfig &c, const FrameMemory &m) {
  if (c.data && !c.swap.path.empty()) return std::make_unique<MmuCore<TR, PR, FileSwap>>(c, m);
  if (c.data) return std::make_unique<MmuCore<TR, PR, MemorySwap>>(c, m);
  return std::make_unique<MmuCore<TR, PR, CountingSwap>>(c, m);
}

template <class PR>
std::unique_ptr<MmuImpl> make_core_for(const SimConfig &c, const FrameMemory &m) {
  switch (c.tlb_replacement) {
    case TlbReplacement::kLru:
      return make_core_with<TlbLru, PR>(c, m);
    case TlbReplacement::kPlru:
      return make_core_with<TlbPlru, PR>(c, m);
    case TlbReplacement::kFifo:
      return make_core_with<TlbFifo, PR>(c, m);
    case TlbReplacement::kRandom:
      return make_core_with<TlbRandom, PR>(c, m);
  }
  return nullptr;
}

}  // namespace hpmm::sim
