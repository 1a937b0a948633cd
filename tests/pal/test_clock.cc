// tests/pal/test_clock.cc: now_ns() is monotonic and counts real nanoseconds.
#include <criterion/criterion.h>
#include <time.h>

#include "pal/pal.hpp"

using hpmm::pal::now_ns;

Test(clock, monotonic_and_in_nanoseconds) {
  uint64_t prev = now_ns();
  for (int i = 0; i < 10000; ++i) {
    uint64_t t = now_ns();
    cr_assert_geq(t, prev);
    prev = t;
  }
  const uint64_t start = now_ns();
  struct timespec ms = {0, 2'000'000};
  nanosleep(&ms, nullptr);
  const uint64_t slept = now_ns() - start;
  cr_assert_geq(slept, 2'000'000u, "a 2 ms sleep lasts at least 2e6 ns");
  cr_assert_lt(slept, 2'000'000'000u, "and not seconds: the unit is ns, not something finer");
}
