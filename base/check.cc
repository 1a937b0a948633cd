// base/check.cc: the failure path of HPMM_CHECK; allocation-free so malloc itself can use it.
#include "base/check.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace hpmm {
namespace {
void put(const char *s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}
void put_int(int v) {
  char buf[16];
  int i = 15;
  buf[i] = '\0';
  unsigned u = v < 0 ? 0u : static_cast<unsigned>(v);
  do {
    buf[--i] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0 && i > 0);
  put(buf + i);
}
}  // namespace

void check_failed(const char *file, int line, const char *cond, const char *msg) {
  put("hpmm: fatal: ");
  put(msg);
  put(" (");
  put(cond);
  put(") at ");
  put(file);
  put(":");
  put_int(line);
  put("\n");
  std::abort();
}
}  // namespace hpmm
