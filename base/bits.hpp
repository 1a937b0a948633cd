// base/bits.hpp: bit tricks used on hot paths (alignment, logs, fast modulo by a constant).
#pragma once

#include <bit>
#include <cstdint>

namespace hpmm {

constexpr bool is_pow2(uint64_t x) {
  return x != 0 && (x & (x - 1)) == 0;
}
constexpr uint64_t align_down(uint64_t x, uint64_t a) {
  return x & ~(a - 1);
}  // a: power of 2
constexpr uint64_t align_up(uint64_t x, uint64_t a) {
  return (x + a - 1) & ~(a - 1);
}
constexpr unsigned log2_floor(uint64_t x) {
  return 63u - static_cast<unsigned>(std::countl_zero(x));
}
constexpr unsigned log2_ceil(uint64_t x) {
  return x <= 1 ? 0 : log2_floor(x - 1) + 1;
}

// x mod d for a divisor d fixed at run time, without a division on the hot path.
// Lemire, Kaser, Kurz: "Faster remainder by direct computation" (2019); exact for 32-bit x and d.
// Powers of two take the mask.  Invariant: reduce(x) == x % d for every x < 2^32.
class FastMod {
 public:
  constexpr FastMod() = default;
  constexpr explicit FastMod(uint32_t d)
      : d_(d), mask_(is_pow2(d) ? d - 1 : 0), m_(is_pow2(d) ? 0 : UINT64_MAX / d + 1) {}
  constexpr uint32_t divisor() const { return d_; }
  constexpr uint32_t reduce(uint32_t x) const {
    if (m_ == 0) return x & mask_;
    uint64_t low = m_ * x;
    return static_cast<uint32_t>((static_cast<__uint128_t>(low) * d_) >> 64);
  }

 private:
  uint32_t d_ = 1;
  uint32_t mask_ = 0;
  uint64_t m_ = 0;
};

}  // namespace hpmm
