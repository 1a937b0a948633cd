// base/units.hpp: typed quantities of memory (addresses, page and frame numbers, sizes).
//
// Mixing a virtual page number with a physical frame number, or a page count with a byte count,
// is the classic bug of this field, so each is its own type and converting one into another is
// spelled out at the call site.  All are trivially copyable wrappers of a uint64_t, as cheap as
// the raw integer.  Invariants (for a page size P with shift s, P = 1 << s):
//   Vpn::of(a, P).value == a.value >> s        VirtAddr::of(v, P, off) == (v.value << s) + off
//   Pfn and Vpn of one mapping are in units of the same page size.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>

namespace hpmm {

// A strong wrapper: explicit construction, comparison, and only the arithmetic that makes sense
// for a quantity of that kind (difference, offset by a count).
template <class Tag>
struct Quantity {
  uint64_t value = 0;
  constexpr Quantity() = default;
  constexpr explicit Quantity(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Quantity &) const = default;
  constexpr Quantity operator+(uint64_t n) const { return Quantity(value + n); }
  constexpr Quantity operator-(uint64_t n) const { return Quantity(value - n); }
  constexpr uint64_t operator-(Quantity o) const { return value - o.value; }
  constexpr Quantity &operator+=(uint64_t n) {
    value += n;
    return *this;
  }
};

struct VirtAddrTag {};
struct PhysAddrTag {};
struct VpnTag {};
struct PfnTag {};

using VirtAddr = Quantity<VirtAddrTag>;  // an address in a (simulated or real) address space
using PhysAddr = Quantity<PhysAddrTag>;  // an address in simulated physical memory
using Vpn = Quantity<VpnTag>;            // virtual page number, in units of one page size
using Pfn = Quantity<PfnTag>;            // physical frame number, in units of one page size

// A count of bytes.  Sums and scalings are allowed, since sizes add up.
struct Bytes {
  uint64_t value = 0;
  constexpr Bytes() = default;
  constexpr explicit Bytes(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Bytes &) const = default;
  constexpr Bytes operator+(Bytes o) const { return Bytes(value + o.value); }
  constexpr Bytes operator-(Bytes o) const { return Bytes(value - o.value); }
  constexpr Bytes operator*(uint64_t n) const { return Bytes(value * n); }
};

// A count of pages (of whatever page size the context states).
struct Pages {
  uint64_t value = 0;
  constexpr Pages() = default;
  constexpr explicit Pages(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Pages &) const = default;
  constexpr Pages operator+(Pages o) const { return Pages(value + o.value); }
  constexpr Pages operator-(Pages o) const { return Pages(value - o.value); }
};

constexpr Bytes operator""_KiB(unsigned long long n) {
  return Bytes(n << 10);
}
constexpr Bytes operator""_MiB(unsigned long long n) {
  return Bytes(n << 20);
}
constexpr Bytes operator""_GiB(unsigned long long n) {
  return Bytes(n << 30);
}

// The page sizes of x86-64: 4 KiB (level-1 leaf), 2 MiB (level-2 leaf), 1 GiB (level-3 leaf).
// The heap's 8 KiB page is a different unit (heap/size_classes.hpp: kPageShift); it never
// appears as a PageSize.
enum class PageSize : uint8_t { k4K = 0, k2M = 1, k1G = 2 };
inline constexpr int kPageSizeCount = 3;

constexpr unsigned shift_of(PageSize s) {
  return 12u + 9u * static_cast<unsigned>(s);
}
constexpr Bytes bytes_of(PageSize s) {
  return Bytes(uint64_t{1} << shift_of(s));
}
constexpr int index_of(PageSize s) {
  return static_cast<int>(s);
}
// "4k", "2m", "1g": the spelling the CLI and the JSON output use.
constexpr const char *name_of(PageSize s) {
  return s == PageSize::k4K ? "4k" : s == PageSize::k2M ? "2m" : "1g";
}

constexpr Vpn vpn_of(VirtAddr a, PageSize s) {
  return Vpn(a.value >> shift_of(s));
}
constexpr VirtAddr addr_of(Vpn v, PageSize s) {
  return VirtAddr(v.value << shift_of(s));
}
constexpr uint64_t offset_in(VirtAddr a, PageSize s) {
  return a.value & (bytes_of(s).value - 1);
}
constexpr PhysAddr phys_of(Pfn f, PageSize s) {
  return PhysAddr(f.value << shift_of(s));
}

}  // namespace hpmm
