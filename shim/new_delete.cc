// shim/new_delete.cc: every replaceable operator new and delete (C++17/20: plain, array,
// nothrow, aligned, sized).  new calls the new-handler until it gets memory and throws
// std::bad_alloc when there is none; the nothrow forms return nullptr when there is no handler.
// Sized and aligned deletes free like free(): the page map knows the block.
//
// libhpmm.so does not depend on libstdc++ (1.6 MB of RSS in every C program it is preloaded
// into): this file is built with -fno-exceptions and reaches libstdc++ only through weak
// references, which a C++ program (the only kind that calls operator new) resolves.
// std::get_new_handler absent means no handler; std::__throw_bad_alloc absent (a C program that
// later dlopens C++ code and runs out of memory) stops the program with a message.  A handler
// that throws inside a nothrow new lets the exception propagate (the standard would return
// nullptr; catching needs libstdc++'s personality routine).
#include <cstddef>
#include <new>

#include "base/check.hpp"
#include "shim/global.hpp"

namespace std {
new_handler get_new_handler() noexcept __attribute__((weak));
[[noreturn]] void __throw_bad_alloc() __attribute__((weak));
}  // namespace std

using namespace hpmm;
using namespace hpmm::shim;

namespace {

inline void *try_alloc(size_t n, size_t align) {
  if (align <= 16) {
    void *p = cache_alloc(n);
    if (__builtin_expect(p != nullptr, 1)) return p;
    return heap().alloc(n, cache());
  }
  return heap().alloc_aligned(n, align, cache());
}

// The address of a weakly referenced function, hidden from the optimizer (which assumes
// declared functions exist).
template <class F>
F *weak_address(F *f) {
  __asm__("" : "+r"(f));
  return f;
}

std::new_handler current_handler() {
  auto *get = weak_address(&std::get_new_handler);
  return get != nullptr ? get() : nullptr;
}

__attribute__((noinline)) void *new_slow(size_t n, size_t align) {
  for (;;) {
    void *p = try_alloc(n, align);
    if (p != nullptr) return p;
    std::new_handler h = current_handler();
    if (h == nullptr) {
      auto *thrower = weak_address(&std::__throw_bad_alloc);
      HPMM_CHECK(thrower != nullptr,
                 "operator new: out of memory and libstdc++ is not loaded to throw bad_alloc");
      thrower();
    }
    h();
  }
}

__attribute__((noinline)) void *new_nothrow(size_t n, size_t align) noexcept {
  for (;;) {
    void *p = try_alloc(n, align);
    if (p != nullptr) return p;
    std::new_handler h = current_handler();
    if (h == nullptr) return nullptr;
    h();
  }
}

inline void *new_impl(size_t n) {
  void *p = cache_alloc(n);
  if (__builtin_expect(p != nullptr, 1)) return p;
  return new_slow(n, 16);
}

inline size_t al(std::align_val_t a) {
  return static_cast<size_t>(a);
}

}  // namespace

void *operator new(size_t n) {
  return new_impl(n);
}
void *operator new[](size_t n) {
  return new_impl(n);
}
void *operator new(size_t n, const std::nothrow_t &) noexcept {
  return new_nothrow(n, 16);
}
void *operator new[](size_t n, const std::nothrow_t &) noexcept {
  return new_nothrow(n, 16);
}
void *operator new(size_t n, std::align_val_t a) {
  return new_slow(n, al(a));
}
void *operator new[](size_t n, std::align_val_t a) {
  return new_slow(n, al(a));
}
void *operator new(size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
  return new_nothrow(n, al(a));
}
void *operator new[](size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
  return new_nothrow(n, al(a));
}

void operator delete(void *p) noexcept {
  free_impl(p);
}
void operator delete[](void *p) noexcept {
  free_impl(p);
}
void operator delete(void *p, const std::nothrow_t &) noexcept {
  free_impl(p);
}
void operator delete[](void *p, const std::nothrow_t &) noexcept {
  free_impl(p);
}
void operator delete(void *p, size_t) noexcept {
  free_impl(p);
}
void operator delete[](void *p, size_t) noexcept {
  free_impl(p);
}
void operator delete(void *p, std::align_val_t) noexcept {
  free_impl(p);
}
void operator delete[](void *p, std::align_val_t) noexcept {
  free_impl(p);
}
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept {
  free_impl(p);
}
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept {
  free_impl(p);
}
void operator delete(void *p, size_t, std::align_val_t) noexcept {
  free_impl(p);
}
void operator delete[](void *p, size_t, std::align_val_t) noexcept {
  free_impl(p);
}
