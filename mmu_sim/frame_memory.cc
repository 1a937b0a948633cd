// mmu_sim/frame_memory.cc: the frame pools' memory, reserved from pal/'s frame provider (data
// mode only: trace replay carries no data and reserves nothing).
#include <utility>

#include "mmu_sim/mmu_impl.hpp"
#include "pal/frame_provider.hpp"

namespace hpmm::sim {

FrameMemory::FrameMemory(FrameMemory &&o) noexcept { *this = std::move(o); }

FrameMemory &FrameMemory::operator=(FrameMemory &&o) noexcept {
  if (this != &o) {
    release();
    for (int i = 0; i < kPageSizeCount; ++i) {
      base_[i] = std::exchange(o.base_[i], nullptr);
      bytes_[i] = std::exchange(o.bytes_[i], 0);
      backing_[i] = std::move(o.backing_[i]);
    }
  }
  return *this;
}

FrameMemory::~FrameMemory() { release(); }

std::string FrameMemory::reserve(PageSize s, uint64_t pages) {
  const int i = index_of(s);
  const uint64_t page = bytes_of(s).value;
  if (pages > UINT64_MAX / page) return "too many frames to reserve";
  pal::ReserveOptions opt;
  opt.huge = s == PageSize::k4K ? PageSize::k2M : s;
  opt.prefault = false;  // frames are zero-filled when first touched, not up front
  pal::Reservation r = pal::reserve(Bytes(pages * page), opt);
  if (!r.base) return "cannot reserve " + std::to_string(pages * page) + " bytes: " + r.reason;
  base_[i] = static_cast<std::byte *>(r.base);
  bytes_[i] = pages * page;
  backing_[i] = r.reason;
  return "";
}

std::string FrameMemory::describe() const {
  std::string out;
  for (int i = 0; i < kPageSizeCount; ++i) {
    if (!base_[i]) continue;
    if (!out.empty()) out += "; ";
    out += std::string("frames-") + name_of(static_cast<PageSize>(i)) + ": " + backing_[i];
  }
  return out.empty() ? "none (data off: frames hold no bytes)" : out;
}

void FrameMemory::release() {
  for (int i = 0; i < kPageSizeCount; ++i) {
    if (!base_[i]) continue;
    pal::Reservation r;
    r.base = base_[i];
    r.size = Bytes(bytes_[i]);
    pal::release(r);
    base_[i] = nullptr;
  }
}

}  // namespace hpmm::sim
