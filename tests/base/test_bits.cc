// tests/base/test_bits.cc: bit helpers and typed units.
#include <criterion/criterion.h>

#include "base/bits.hpp"
#include "base/units.hpp"

using namespace hpmm;

Test(bits, fastmod_matches_division) {
  const uint32_t divisors[] = {1, 2, 3, 7, 12, 128, 1536, 1000003, 4294967291u};
  for (uint32_t d : divisors) {
    FastMod m(d);
    for (uint64_t x = 0; x < 100000; x += 7) cr_assert_eq(m.reduce(x), x % d, "x=%lu d=%u", x, d);
    cr_assert_eq(m.reduce(UINT32_MAX), UINT32_MAX % d, "d=%u", d);
  }
}

Test(bits, align_and_logs) {
  cr_assert_eq(align_up(4097, 4096), 8192u);
  cr_assert_eq(align_down(8191, 4096), 4096u);
  cr_assert_eq(log2_floor(1), 0u);
  cr_assert_eq(log2_ceil(1536), 11u);
  cr_assert(is_pow2(4096) && !is_pow2(1536) && !is_pow2(0));
}

Test(units, page_numbers_and_offsets) {
  VirtAddr a(0x7fff'1234'5678);
  cr_assert_eq(vpn_of(a, PageSize::k4K).value, 0x7fff'1234'5678ull >> 12);
  cr_assert_eq(vpn_of(a, PageSize::k2M).value, 0x7fff'1234'5678ull >> 21);
  cr_assert_eq(offset_in(a, PageSize::k1G), 0x7fff'1234'5678ull & ((1ull << 30) - 1));
  cr_assert_eq(addr_of(vpn_of(a, PageSize::k4K), PageSize::k4K).value + offset_in(a, PageSize::k4K),
               a.value);
  cr_assert_eq(bytes_of(PageSize::k2M), 2_MiB);
}
