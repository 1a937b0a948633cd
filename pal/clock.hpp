// pal/clock.hpp: monotonic time in nanoseconds, for stats and the heap's release delay.
//
// Invariant: for two calls in program order, the second returns a value >= the first
// (CLOCK_MONOTONIC never goes back).  clock_gettime is served by the vDSO: no system call, no
// allocation, async-signal-safe; it does not change errno when it succeeds, which it always does
// for CLOCK_MONOTONIC.
#pragma once

#include <time.h>

#include <cstdint>

namespace hpmm::pal {

inline uint64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace hpmm::pal
