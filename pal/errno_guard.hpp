// pal/errno_guard.hpp: keeps errno unchanged across a pal/ call.
//
// The malloc's OS interface must never clobber errno (a program may read errno after a call that
// happens to allocate).  Each entry point of os_memory and discover_raw() holds an ErrnoGuard:
// errno on return == errno on entry; failures are reported in the return value instead.
#pragma once

#include <cerrno>

namespace hpmm::pal {

class ErrnoGuard {
 public:
  ErrnoGuard() : saved_(errno) {}
  ~ErrnoGuard() { errno = saved_; }
  ErrnoGuard(const ErrnoGuard &) = delete;
  ErrnoGuard &operator=(const ErrnoGuard &) = delete;

 private:
  int saved_;
};

}  // namespace hpmm::pal
