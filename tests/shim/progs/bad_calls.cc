// tests/shim/progs/bad_calls.cc: every bad call to the malloc family, answered as users rely on.
//
// usage: bad_calls CASE    with CASE one of the names in kCases below.
//
// The expected answers are POSIX/C/C++'s, and glibc's where those leave a choice:
//   calloc_overflow        calloc(a, b) with a * b > SIZE_MAX -> NULL, errno ENOMEM
//   reallocarray_overflow  reallocarray(p, a, b) overflowing -> NULL, ENOMEM, p untouched
//   malloc_huge            malloc(SIZE_MAX), malloc(PTRDIFF_MAX + 1), ... -> NULL, ENOMEM
//   realloc_huge           realloc(p, SIZE_MAX) -> NULL, ENOMEM, p untouched and still usable
//   posix_memalign_einval  alignment 0, 1, 3, 4, 24, 48 -> EINVAL, *memptr not modified;
//                          a huge size -> ENOMEM
//   aligned_alloc_einval   alignment 0, 3, 24, 48 (not a power of two) -> NULL, EINVAL;
//                          a huge size -> NULL, ENOMEM
//   free_null              free(NULL) does nothing; realloc(NULL, n) is malloc(n);
//                          malloc_usable_size(NULL) == 0
//   zero_sizes             malloc(0) and realloc(NULL, 0) return distinct freeable pointers;
//                          realloc(p, 0) frees p and returns NULL (glibc's choice)
//   new_huge               operator new / new[] / aligned new of a huge size call the
//                          new-handler until it is removed, then throw std::bad_alloc;
//                          nothrow new returns nullptr
// Sizes pass through volatile variables so the compiler cannot fold or warn the calls away.
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include <cstdint>
#include <new>
#include <string>

#include "prog.hpp"

// The checks read a block after a *failed* realloc/reallocarray, which leaves it valid; GCC's
// use-after-free analysis cannot know the call failed.
#pragma GCC diagnostic ignored "-Wuse-after-free"

namespace {
volatile size_t g_huge = SIZE_MAX, g_half = SIZE_MAX / 2 + 1, g_big_half = size_t{1} << 33;
int g_checks = 0;

#define EXPECT(cond, ...)          \
  do {                             \
    PROG_CHECK(cond, __VA_ARGS__); \
    g_checks++;                    \
  } while (0)

void expect_enomem(void *p, const char *call) {
  const int e = errno;
  EXPECT(p == nullptr, "%s returned %p, expected NULL", call, p);
  EXPECT(e == ENOMEM, "%s set errno %d (%s), expected ENOMEM", call, e, strerror(e));
}

void *patterned(size_t n) {
  void *p = std::malloc(n);
  PROG_CHECK(p != nullptr, "malloc(%zu) failed", n);
  prog::fill(p, n);
  return p;
}

void calloc_overflow() {
  const size_t pairs[][2] = {
      {g_half, 2}, {2, g_half}, {g_big_half, g_big_half}, {g_huge, g_huge}, {g_huge / 3 + 1, 3}};
  for (const auto &ab : pairs) {
    errno = 0;
    void *p = std::calloc(ab[0], ab[1]);
    std::string call = "calloc(" + std::to_string(ab[0]) + ", " + std::to_string(ab[1]) + ")";
    expect_enomem(p, call.c_str());
  }
}

void reallocarray_overflow() {
  void *p = patterned(64);
  errno = 0;
  void *q = reallocarray(p, g_half, 2);
  expect_enomem(q, "reallocarray(p, SIZE_MAX / 2 + 1, 2)");
  errno = 0;
  q = reallocarray(p, g_big_half, g_big_half);
  expect_enomem(q, "reallocarray(p, 2^33, 2^33)");
  prog::verify(p, 64, "block kept by a failed reallocarray");
  q = reallocarray(p, 16, 8);
  EXPECT(q != nullptr, "reallocarray(p, 16, 8) failed");
  const size_t bad = prog::first_bad(q, 64, prog::seed_of(p, 64), 64);
  EXPECT(bad == SIZE_MAX, "reallocarray(p, 16, 8) lost byte %zu", bad);
  std::free(q);
}

void malloc_huge() {
  const size_t sizes[] = {g_huge, g_huge - 4095, g_huge / 2 + 1, g_huge - 64 * 1024 * 1024};
  for (size_t n : sizes) {
    errno = 0;
    void *p = std::malloc(n);
    std::string call = "malloc(" + std::to_string(n) + ")";
    expect_enomem(p, call.c_str());
  }
}

void realloc_huge() {
  void *p = patterned(100);
  for (size_t n : {size_t(g_huge), size_t(g_half)}) {
    errno = 0;
    void *q = std::realloc(p, n);
    std::string call = "realloc(p, " + std::to_string(n) + ")";
    expect_enomem(q, call.c_str());
    prog::verify(p, 100, "block kept by a failed realloc");
  }
  void *q = std::realloc(p, 200);
  EXPECT(q != nullptr, "realloc(p, 200) after failed reallocs returned NULL");
  std::free(q);
}

void posix_memalign_einval() {
  for (size_t a : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{24}, size_t{48}}) {
    void *sentinel = reinterpret_cast<void *>(uintptr_t{0x5a5a5a50});
    void *p = sentinel;
    const int rc = posix_memalign(&p, a, 64);
    EXPECT(rc == EINVAL, "posix_memalign(alignment %zu) returned %d (%s), expected EINVAL", a, rc,
           strerror(rc));
    EXPECT(p == sentinel, "posix_memalign(alignment %zu) failed but modified *memptr to %p", a, p);
  }
  void *p = nullptr;
  const int rc = posix_memalign(&p, 64, g_huge);
  EXPECT(rc == ENOMEM, "posix_memalign(64, SIZE_MAX) returned %d (%s), expected ENOMEM", rc,
         strerror(rc));
}

void aligned_alloc_einval() {
  for (size_t a : {size_t{0}, size_t{3}, size_t{24}, size_t{48}}) {
    errno = 0;
    void *p = aligned_alloc(a, 96);
    const int e = errno;
    EXPECT(p == nullptr, "aligned_alloc(alignment %zu, 96) returned %p, expected NULL", a, p);
    EXPECT(e == EINVAL, "aligned_alloc(alignment %zu, 96) set errno %d (%s), expected EINVAL", a, e,
           strerror(e));
  }
  errno = 0;
  expect_enomem(aligned_alloc(64, g_huge), "aligned_alloc(64, SIZE_MAX)");
}

void free_null() {
  for (int i = 0; i < 1000; i++) std::free(nullptr);
  g_checks++;
  void *p = std::realloc(nullptr, 300);
  EXPECT(p != nullptr, "realloc(NULL, 300) returned NULL");
  prog::check_new_block(p, 300, "realloc(NULL, n)");
  prog::fill(p, 300);
  prog::verify(p, 300, "realloc(NULL, 300) block");
  std::free(p);
  EXPECT(malloc_usable_size(nullptr) == 0, "malloc_usable_size(NULL) = %zu",
         malloc_usable_size(nullptr));
}

void zero_sizes() {
  void *a = std::malloc(0), *b = std::malloc(0), *c = std::realloc(nullptr, 0);
  EXPECT(a != nullptr && b != nullptr && c != nullptr,
         "malloc(0) / realloc(NULL, 0) returned NULL (%p %p %p); glibc returns unique pointers", a,
         b, c);
  EXPECT(a != b && b != c && a != c, "zero-size blocks are not distinct: %p %p %p", a, b, c);
  std::free(a);
  std::free(b);
  std::free(c);
  void *p = patterned(50);
  errno = 0;
  void *q = std::realloc(p, 0);
  EXPECT(q == nullptr, "realloc(p, 0) returned %p; glibc frees p and returns NULL", q);
  if (q != nullptr) std::free(q);
}

int g_handler_calls = 0;
void handler() {
  if (++g_handler_calls == 3) std::set_new_handler(nullptr);
}

template <class F>
void expect_bad_alloc(const char *what, F f) {
  g_handler_calls = 0;
  std::set_new_handler(handler);
  bool threw = false;
  try {
    f();
  } catch (const std::bad_alloc &) {
    threw = true;
  }
  std::set_new_handler(nullptr);
  EXPECT(threw, "%s did not throw std::bad_alloc", what);
  EXPECT(g_handler_calls == 3,
         "%s called the new-handler %d times; it must call it until the handler removes itself "
         "(3 calls)",
         what, g_handler_calls);
}

void new_huge() {
  expect_bad_alloc("operator new(SIZE_MAX / 2 + 1)", [] {
    void *p = ::operator new(g_half);
    ::operator delete(p);
  });
  expect_bad_alloc("operator new[](SIZE_MAX - 4095)", [] {
    void *p = ::operator new[](g_huge - 4095);
    ::operator delete[](p);
  });
  expect_bad_alloc("operator new(SIZE_MAX / 2 + 1, align_val_t(64))", [] {
    void *p = ::operator new(g_half, std::align_val_t(64));
    ::operator delete(p, std::align_val_t(64));
  });
  std::set_new_handler(nullptr);
  void *p = ::operator new(g_half, std::nothrow);
  EXPECT(p == nullptr, "operator new(SIZE_MAX / 2 + 1, nothrow) returned %p", p);
  p = ::operator new[](g_huge, std::nothrow);
  EXPECT(p == nullptr, "operator new[](SIZE_MAX, nothrow) returned %p", p);
  // And ordinary sizes still work afterwards.
  char *s = new char[1000];
  prog::fill(s, 1000);
  prog::verify(s, 1000, "new char[1000] after failures");
  delete[] s;
}

struct Case {
  const char *name;
  void (*run)();
};
constexpr Case kCases[] = {
    {"calloc_overflow", calloc_overflow},
    {"reallocarray_overflow", reallocarray_overflow},
    {"malloc_huge", malloc_huge},
    {"realloc_huge", realloc_huge},
    {"posix_memalign_einval", posix_memalign_einval},
    {"aligned_alloc_einval", aligned_alloc_einval},
    {"free_null", free_null},
    {"zero_sizes", zero_sizes},
    {"new_huge", new_huge},
};
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "bad_calls";
  for (const Case &c : kCases) {
    if (argc == 2 && std::string(argv[1]) == c.name) {
      c.run();
      std::printf("bad_calls: ok %s checks=%d\n", c.name, g_checks);
      return 0;
    }
  }
  std::string names;
  for (const Case &c : kCases) names += std::string(" ") + c.name;
  prog::fail("usage: bad_calls CASE, CASE one of:%s", names.c_str());
}
