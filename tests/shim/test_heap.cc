// tests/shim/test_heap.cc: the preloaded malloc under threads, remote frees, thread exit, fork.
//
// Each test runs a helper program from tests/shim/progs/ with LD_PRELOAD=$HPMM_LIB and expects
// exit 0 and its "NAME: ok" line; the programs check every block's contents themselves (see
// progs/prog.hpp) and the bounds each states.
#include <criterion/criterion.h>

#include "tests/shim/spawn.hpp"

using shimtest::run_prog_ok;

// 4 threads over every size class, cross-thread frees, reallocs; no live block overlaps another.
Test(heap, multithreaded_stress, .timeout = 120) {
  run_prog_ok("stress", {"4", "30000", "1"});
}

// The same with 8 threads (more than the cores: preemption inside malloc) and another seed.
Test(heap, stress_oversubscribed, .timeout = 120) {
  run_prog_ok("stress", {"8", "10000", "7"});
}

// Every free is remote, and what remote frees return is reused (peak RSS bound).
Test(heap, producer_consumer_frees, .timeout = 120) {
  run_prog_ok("prodcons", {"2", "100000"});
}

// 600 threads exit with full thread caches; memory does not grow with the number of threads.
Test(heap, thread_exit_with_live_caches, .timeout = 120) {
  run_prog_ok("thread_churn", {"300"});
}

// fork() while two threads allocate; the child mallocs, frees, starts a thread, exits 0.
Test(heap, fork_while_allocating, .timeout = 120) {
  run_prog_ok("fork_alloc", {"60"});
}

// The heap crosses fork as a copy: a child (and its child) get the parent's blocks intact, with
// hugepages in use and free ones between them, and no process sees another's writes.  Run in
// each backing mode, since hugetlb pool pages are handed over by copying (shim/global.cc).
Test(heap, fork_copies_the_heap, .timeout = 120) {
  for (const char *mode : {"auto", "hugetlb", "thp", "off"}) {
    shimtest::RunOptions opt;
    opt.env = {std::string("HPMM_HUGEPAGES=") + mode};
    shimtest::RunResult r = shimtest::run({shimtest::prog("fork_heap")}, opt);
    shimtest::expect_ok(r, "fork_heap: ok", mode);
  }
}

// Free hugepages stay for the release delay and go back on the next call after it (no
// background thread).  libhpmm's semantics (hpmm(3)); other mallocs release on their own terms.
Test(heap, release_after_the_delay_on_the_next_call, .timeout = 60) {
  shimtest::RunOptions opt;
  opt.env = {"HPMM_RELEASE_DELAY_MS=200"};
  shimtest::RunResult r = shimtest::run({shimtest::prog("idle_release"), "200"}, opt);
  shimtest::expect_ok(r, "idle_release: ok", "idle_release 200");
}

// A thread whose first call is a free gets a cache; frees and mallocs in a key destructor after
// the allocator's (the cache given back) leave nothing behind in it.
Test(heap, frees_first_and_after_the_cache_is_gone, .timeout = 60) {
  run_prog_ok("late_frees", {"40"});
}

// The library dlopen()ed into a running process with a second thread (not preloaded): it loads,
// its static TLS is at most 16 bytes (one pointer and a flag: glibc's spare static TLS, about
// 2 KiB, is shared by every library loaded later), and its malloc, calloc, realloc and free
// work from both threads (realloc's own calls stay in the library).  A libhpmm bound: other
// mallocs may have more TLS.
Test(heap, loads_with_dlopen_with_16_bytes_of_tls, .timeout = 60) {
  shimtest::RunOptions opt;
  opt.preload = false;
  shimtest::RunResult r =
      shimtest::run({shimtest::prog("dlopen_lib"), shimtest::preload_lib(), "16"}, opt);
  shimtest::expect_ok(r, "dlopen_lib: ok", "dlopen_lib");
}
