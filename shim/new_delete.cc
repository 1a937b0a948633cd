// shim/new_delete.cc: every replaceable operator new and delete (C++17/20: plain, array,
// nothrow, aligned, sized).  new calls the new-handler until it gets memory and throws
// std::bad_alloc when there is none; the nothrow forms return nullptr instead (also when the
// handler throws).  Sized and aligned deletes free like free(): the page map knows the block.
#include <cstddef>
#include <cstdlib>
#include <new>

#include "shim/global.hpp"

using namespace hpmm;
using namespace hpmm::shim;

namespace {

inline void *try_alloc(size_t n, size_t align) {
  if (align <= 16) {
    ThreadCache *tc = t_cache;
    if (__builtin_expect(tc != nullptr && n <= kMaxSmallSize, 1)) {
      uint32_t cls = size_class_of(n);
      void *p = tc->pop(cls);
      if (__builtin_expect(p != nullptr, 1)) {
        if (cls > 1) static_cast<uintptr_t *>(p)[1] = 0;  // no canary on a live object
        return p;
      }
    }
    return heap().alloc(n, cache());
  }
  return heap().alloc_aligned(n, align, cache());
}

__attribute__((noinline)) void *new_slow(size_t n, size_t align) {
  for (;;) {
    void *p = try_alloc(n, align);
    if (p != nullptr) return p;
    std::new_handler h = std::get_new_handler();
    if (h == nullptr) throw std::bad_alloc();
    h();
  }
}

inline void *new_impl(size_t n, size_t align) {
  void *p = align <= 16 ? try_alloc(n, 16) : nullptr;
  return __builtin_expect(p != nullptr, 1) ? p : new_slow(n, align);
}

void *new_nothrow(size_t n, size_t align) noexcept {
  try {
    return new_impl(n, align);
  } catch (...) {
    return nullptr;
  }
}

inline void delete_impl(void *p) noexcept {
  free(p);
}

}  // namespace

void *operator new(size_t n) {
  return new_impl(n, 16);
}
void *operator new[](size_t n) {
  return new_impl(n, 16);
}
void *operator new(size_t n, const std::nothrow_t &) noexcept {
  return new_nothrow(n, 16);
}
void *operator new[](size_t n, const std::nothrow_t &) noexcept {
  return new_nothrow(n, 16);
}
void *operator new(size_t n, std::align_val_t a) {
  return new_impl(n, static_cast<size_t>(a));
}
void *operator new[](size_t n, std::align_val_t a) {
  return new_impl(n, static_cast<size_t>(a));
}
void *operator new(size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}
void *operator new[](size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}

void operator delete(void *p) noexcept {
  delete_impl(p);
}
void operator delete[](void *p) noexcept {
  delete_impl(p);
}
void operator delete(void *p, const std::nothrow_t &) noexcept {
  delete_impl(p);
}
void operator delete[](void *p, const std::nothrow_t &) noexcept {
  delete_impl(p);
}
void operator delete(void *p, size_t) noexcept {
  delete_impl(p);
}
void operator delete[](void *p, size_t) noexcept {
  delete_impl(p);
}
void operator delete(void *p, std::align_val_t) noexcept {
  delete_impl(p);
}
void operator delete[](void *p, std::align_val_t) noexcept {
  delete_impl(p);
}
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept {
  delete_impl(p);
}
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept {
  delete_impl(p);
}
void operator delete(void *p, size_t, std::align_val_t) noexcept {
  delete_impl(p);
}
void operator delete[](void *p, size_t, std::align_val_t) noexcept {
  delete_impl(p);
}
