// pal/clock.hpp: monotonic time in nanoseconds, for stats and the heap's release delay; and the
// calling thread's CPU time, for benchmarks on a shared machine (time spent descheduled is not
// the code's).
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

// CPU time consumed by the calling thread, in seconds.
inline double thread_cpu_seconds() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace hpmm::pal
