// base/check.hpp: the three tiers of checks (hpmm(7), "Checks").
//
//   HPMM_CHECK(cond, msg)            always on: heap corruption, API misuse, broken invariants
//                                    whose continuation would lose data.  Prints and aborts.
//   HPMM_ASSERT(cond)                debug builds (HPMM_DEBUG): cheap internal consistency.
//   HPMM_ASSERT_EXPENSIVE(cond)      HPMM_EXPENSIVE_CHECKS builds: runs valid() walks.
//
// The failure path writes with write(2) and never allocates, so it is safe inside malloc.
#pragma once

namespace hpmm {
[[noreturn]] void check_failed(const char *file, int line, const char *cond, const char *msg);
}  // namespace hpmm

#define HPMM_LIKELY(x) __builtin_expect(!!(x), 1)
#define HPMM_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define HPMM_CHECK(cond, msg)                                                         \
  do {                                                                                \
    if (HPMM_UNLIKELY(!(cond))) ::hpmm::check_failed(__FILE__, __LINE__, #cond, msg); \
  } while (0)

#if defined(HPMM_DEBUG) && HPMM_DEBUG
#define HPMM_ASSERT(cond) HPMM_CHECK(cond, "assertion")
#else
#define HPMM_ASSERT(cond) \
  do {                    \
    (void)sizeof(cond);   \
  } while (0)
#endif

#if defined(HPMM_EXPENSIVE_CHECKS) && HPMM_EXPENSIVE_CHECKS
#define HPMM_ASSERT_EXPENSIVE(cond) HPMM_CHECK(cond, "expensive assertion")
#else
#define HPMM_ASSERT_EXPENSIVE(cond) \
  do {                              \
    (void)sizeof(cond);             \
  } while (0)
#endif
