// tests/shim/progs/fork_alloc.cc: fork while other threads allocate; the child must use malloc.
//
// usage: fork_alloc [FORKS]   (default 60)
//
// Two threads allocate, fill, check and free blocks of mixed sizes without pause while the main
// thread forks FORKS times.  A fork can land while a worker holds any of the allocator's locks;
// the child (which has only the forking thread) must still be able to: check and free a block
// the parent allocated before the fork, malloc/realloc/free 1 000 blocks of 1 B .. 1 MiB,
// start a thread that does the same, and exit 0.  alarm(20) in the child turns a deadlock into
// SIGALRM, which the parent reports.  The parent also checks its own pre-fork block afterwards.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "prog.hpp"

namespace {
std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_worker_ops{0};

void churn(uint64_t seed, size_t count) {
  prog::Rng rng(seed);
  std::vector<void *> live;
  std::vector<size_t> sizes;
  for (size_t i = 0; i < count; i++) {
    size_t n = rng.below(100) == 0 ? rng.range(64 * 1024, 1024 * 1024) : rng.range(1, 4096);
    void *p = std::malloc(n);
    prog::check_new_block(p, n, "malloc");
    prog::fill(p, n);
    if (rng.below(4) == 0) {
      const size_t m = rng.range(1, 8192);
      prog::verify(p, n, "before realloc");
      p = std::realloc(p, m);
      prog::check_new_block(p, m, "realloc");
      n = m;
      prog::fill(p, n);
    }
    live.push_back(p);
    sizes.push_back(n);
    if (live.size() > 64) {
      const size_t k = rng.below(live.size());
      prog::verify(live[k], sizes[k], "free");
      std::free(live[k]);
      live[k] = live.back(), sizes[k] = sizes.back();
      live.pop_back(), sizes.pop_back();
    }
  }
  for (size_t k = 0; k < live.size(); k++) {
    prog::verify(live[k], sizes[k], "free");
    std::free(live[k]);
  }
}

void worker(uint64_t seed) {
  while (!g_stop.load(std::memory_order_relaxed)) {
    churn(seed++, 500);
    g_worker_ops.fetch_add(500, std::memory_order_relaxed);
  }
}

[[noreturn]] void child(void *pre, size_t pre_n, int round) {
  alarm(20);
  prog::verify(pre, pre_n, "child: block allocated by the parent before fork");
  std::free(pre);
  churn(1000 + static_cast<uint64_t>(round), 1000);
  std::thread t(churn, 5000 + static_cast<uint64_t>(round), 1000);
  t.join();
  std::fflush(stdout);
  _exit(0);
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "fork_alloc";
  const long forks = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 60;
  PROG_CHECK(forks >= 1 && forks <= 100000, "usage: fork_alloc [FORKS >= 1]");
  std::thread w1(worker, 1), w2(worker, 1'000'000);
  for (long r = 0; r < forks; r++) {
    const size_t pre_n = 100 + static_cast<size_t>(r) * 37 % 5000;
    void *pre = std::malloc(pre_n);
    prog::check_new_block(pre, pre_n, "malloc");
    prog::fill(pre, pre_n);
    const pid_t pid = fork();
    PROG_CHECK(pid >= 0, "fork failed");
    if (pid == 0) child(pre, pre_n, static_cast<int>(r));
    int status = 0;
    PROG_CHECK(waitpid(pid, &status, 0) == pid, "waitpid failed");
    if (WIFSIGNALED(status))
      prog::fail("child %ld of %ld killed by signal %d (%s)%s", r + 1, forks, WTERMSIG(status),
                 strsignal(WTERMSIG(status)),
                 WTERMSIG(status) == SIGALRM ? ": deadlocked in the allocator after fork" : "");
    PROG_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %ld exited with status %d",
               r + 1, WEXITSTATUS(status));
    prog::verify(pre, pre_n, "parent: block after fork");
    std::free(pre);
  }
  g_stop = true;
  w1.join();
  w2.join();
  std::printf("fork_alloc: ok forks=%ld worker_ops=%llu\n", forks,
              (unsigned long long)g_worker_ops.load());
  return 0;
}
