// pal/alloc_os_futex.hpp: futex wait and wake for the heap's lock (heap/spin_lock.hpp).
//
// Raw system calls: no allocation, usable inside malloc before constructors run; errno is
// preserved (a futex_wait that finds the word changed fails with EAGAIN, which must not leak to
// the program through malloc).  Process-private futexes, and shared ones for a fork's parent and
// child.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace hpmm::pal {

// Sleeps while *word == expected (returns at once otherwise, or on a wake or a signal).
inline void futex_wait(uint32_t *word, uint32_t expected) {
  int saved = errno;
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
  errno = saved;
}

// Wakes up to n threads sleeping on word.
inline void futex_wake(uint32_t *word, int n) {
  int saved = errno;
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
  errno = saved;
}

// The same for a word in memory shared with other processes (MAP_SHARED), as a fork parent and
// its child use.  futex_wait_shared returns after at most timeout_ns.
inline void futex_wait_shared(uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
  int saved = errno;
  struct timespec ts = {static_cast<time_t>(timeout_ns / 1'000'000'000),
                        static_cast<long>(timeout_ns % 1'000'000'000)};
  syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, nullptr, 0);
  errno = saved;
}
inline void futex_wake_shared(uint32_t *word, int n) {
  int saved = errno;
  syscall(SYS_futex, word, FUTEX_WAKE, n, nullptr, nullptr, 0);
  errno = saved;
}

}  // namespace hpmm::pal
