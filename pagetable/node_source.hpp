// pagetable/node_source.hpp: where a radix tree's nodes come from.
//
// The tree allocates nothing itself: every node comes from a NodeSource and goes back to it.
// The simulator and the tests use HeapNodeSource; the malloc passes an mmap-backed source of its
// own (it must never call malloc).  Contract of a NodeSource s:
//   p = s.allocate(n): nullptr on failure, else n bytes, all zero, p % kNodeAlign == 0;
//   s.free(p, n): gives back a block allocate(n) returned (same n).
//   Neither throws (checked: both are noexcept).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstring>
#include <new>

namespace hpmm {

inline constexpr size_t kNodeAlign = 4096;

template <class S>
concept NodeSource = requires(S &s, void *p, size_t n) {
  { s.allocate(n) } -> std::same_as<void *>;
  s.free(p, n);
  requires noexcept(s.allocate(n));  // the tree must not throw
  requires noexcept(s.free(p, n));
};

// Nodes from the C++ heap (aligned operator new, nothrow), zero-filled here.
struct HeapNodeSource {
  void *allocate(size_t bytes) noexcept {
    void *p = ::operator new (bytes, std::align_val_t{kNodeAlign}, std::nothrow);
    if (p != nullptr) std::memset(p, 0, bytes);
    return p;
  }
  void free(void *p, size_t bytes) noexcept {
    ::operator delete (p, bytes, std::align_val_t{kNodeAlign});
  }
};
static_assert(NodeSource<HeapNodeSource>);

}  // namespace hpmm
