// mmu_sim/frame_memory.cc: the frame pools' memory, reserved from pal/'s frame provider (data
// mode only: trace replay carries no data and reserves nothing).
#include <string>

#include "mmu_sim/mmu_impl.hpp"

namespace hpmm::sim {

std::string FrameMemory::reserve(PageSize s, uint64_t pages) {
  const uint64_t page = bytes_of(s).value;
  if (pages == 0 || pages > UINT64_MAX / page) return "cannot reserve that many frames";
  pal::ReserveOptions opt;
  opt.backing = pal::Backing::kAuto;  // hugetlb, else THP, else plain pages
  opt.huge_page = s == PageSize::k1G ? PageSize::k1G : PageSize::k2M;
  opt.prefault = false;
  pal::FrameReservation r = pal::reserve(Bytes(pages * page), opt);
  if (!r.ok())
    return "cannot reserve " + std::to_string(pages * page) +
           " bytes of frame memory: " + r.reason();
  res_[index_of(s)] = std::move(r);
  return "";
}

std::string FrameMemory::describe() const {
  std::string out;
  for (int i = 0; i < kPageSizeCount; ++i) {
    if (!res_[i].ok()) continue;
    if (!out.empty()) out += "; ";
    out += std::string("frames-") + name_of(static_cast<PageSize>(i)) + ": " +
           res_[i].describe().c_str();
  }
  return out.empty() ? "none (data off: frames hold no bytes)" : out;
}

}  // namespace hpmm::sim
