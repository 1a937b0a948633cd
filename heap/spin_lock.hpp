// heap/spin_lock.hpp: the heap's lock: a few spins, then a futex wait.  Allocation-free and
// usable before constructors run (constant-initialised), so the page heap, the central lists and
// the thread-cache registry can use it inside malloc.
//
// State (word_): 0 unlocked, 1 locked, 2 locked and a thread may sleep in futex_wait (Drepper,
// "Futexes are tricky", mutex 3).  Invariant: word_ in {0, 1, 2}; unlock from 2 wakes one waiter.
// reset() is for the child after fork(), where only the forking thread exists: it makes the lock
// unlocked whatever its state.
#pragma once

#include <atomic>
#include <cstdint>

#include "pal/alloc_os_futex.hpp"

namespace hpmm {

class SpinLock {
 public:
  constexpr SpinLock() = default;
  SpinLock(const SpinLock &) = delete;
  SpinLock &operator=(const SpinLock &) = delete;

  void lock() {
    uint32_t expected = 0;
    if (word_.compare_exchange_strong(expected, 1, std::memory_order_acquire)) return;
    lock_slow();
  }
  bool try_lock() {
    uint32_t expected = 0;
    return word_.compare_exchange_strong(expected, 1, std::memory_order_acquire);
  }
  void unlock() {
    if (word_.exchange(0, std::memory_order_release) == 2) wake();
  }
  void reset() { word_.store(0, std::memory_order_relaxed); }
  bool held() const { return word_.load(std::memory_order_relaxed) != 0; }

 private:
  void lock_slow() {
    for (int i = 0; i < 100; ++i) {
      __builtin_ia32_pause();
      uint32_t expected = 0;
      if (word_.load(std::memory_order_relaxed) == 0 &&
          word_.compare_exchange_weak(expected, 1, std::memory_order_acquire))
        return;
    }
    // Mark contended; sleep while someone else holds it.
    while (word_.exchange(2, std::memory_order_acquire) != 0) {
      pal::futex_wait(reinterpret_cast<uint32_t *>(&word_), 2);
    }
  }
  void wake() { pal::futex_wake(reinterpret_cast<uint32_t *>(&word_), 1); }

  std::atomic<uint32_t> word_{0};
};

// Scoped holder.
class LockGuard {
 public:
  explicit LockGuard(SpinLock &l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard &) = delete;
  LockGuard &operator=(const LockGuard &) = delete;

 private:
  SpinLock &l_;
};

}  // namespace hpmm
