// pal/alloc_os_futex.hpp: futex wait and wake for the heap's lock (heap/spin_lock.hpp).
//
// Raw system calls: no allocation, usable inside malloc before constructors run; errno is
// preserved (a futex_wait that finds the word changed fails with EAGAIN, which must not leak to
// the program through malloc).  Process-private futexes.
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

}  // namespace hpmm::pal
