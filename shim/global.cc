// shim/global.cc: initialisation, thread caches and their exit, fork, and HPMM_STATS at exit
// (shim/global.hpp states the design).
#include "shim/global.hpp"

#include <pthread.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "include/hpmm/hpmm.h"
#include "pal/hugepage_info.hpp"

extern char **environ;

namespace hpmm::shim {

std::atomic<int> g_state{kNone};
alignas(64) unsigned char g_storage[sizeof(Heap)];
EnvConfig g_env;
BackingChoice g_backing;
std::atomic<uint64_t> g_foreign_frees{0};

constexpr ThreadCache kDetached{};  // read-only data: a write into it would fault
constinit __thread ThreadCache *t_cache __attribute__((tls_model("initial-exec"))) =
    const_cast<ThreadCache *>(&kDetached);
__thread bool t_exiting __attribute__((tls_model("initial-exec"))) = false;

namespace {
RealOs g_os;
pthread_key_t g_key;
bool g_env_read = false;  // environ was there when the configuration was made

AllocatorConfig make_config(const EnvConfig &env, const BackingChoice &b) {
  AllocatorConfig c;
  c.page_heap.backing.hugetlb = b.hugetlb;
  c.page_heap.backing.hugetlb_budget = b.hugetlb_budget;
  c.page_heap.backing.thp = b.thp;
  c.page_heap.backing.thp_min_bytes = env.thp_threshold_mb << 20;
  c.page_heap.release_delay_ns = env.release_delay_ms * 1'000'000;
  c.page_heap.limit_bytes = env.limit_mb << 20;
  c.thread_cache_bytes = env.thread_cache_kb << 10;
  // The canary key: random per process (the kernel's AT_RANDOM bytes), odd so it is never 0.
  uint64_t key = 0x9e3779b97f4a7c15;
  if (const auto *r = reinterpret_cast<const uint64_t *>(getauxval(AT_RANDOM)); r != nullptr) {
    uint64_t x;
    __builtin_memcpy(&x, r, sizeof x);
    key ^= x;
  }
  c.canary_key = key | 1;
  return c;
}

void configure(bool construct) {
  g_env = parse_env(environ);
  g_env_read = environ != nullptr;
  pal::HugePageInfo info = pal::discover_raw();
  MachineHuge m;
  if (const pal::HugetlbPool *p = info.pool(Bytes(uint64_t{2} << 20)); p != nullptr)
    m.hugetlb_available = p->available();
  m.thp_usable = info.thp_pmd_enabled == pal::ThpMode::kAlways ||
                 info.thp_pmd_enabled == pal::ThpMode::kMadvise;
  g_backing = choose_backing(g_env, m);
  AllocatorConfig cfg = make_config(g_env, g_backing);
  if (construct) {
    new (g_storage) Heap(&g_os, cfg);
  } else {
    heap().set_config(cfg);
  }
}

void on_thread_exit(void *p) {
  t_exiting = true;
  t_cache = const_cast<ThreadCache *>(&kDetached);
  heap().destroy_cache(static_cast<ThreadCache *>(p));
}

// The allocator's hook for a slow path given kDetached (a thread's first free, or a call past
// its exit destructor, which gets nullptr: the central lists).
ThreadCache *attach_hook(ThreadCache *) {
  return cache_slow();
}

// fork() and hugetlb pages.  A private hugetlb page shared by a parent and its child needs a
// pool page at the first write to it; when the pool has none the kernel takes the page away from
// the child (or fails the child's write), which then dies of SIGBUS.  So hugetlb pages are mapped
// MADV_DONTFORK (the child does not inherit them) and their contents are handed over instead:
// fork_prepare (holding every allocator lock, so the set of pages is the one the child sees)
// copies each hugetlb page that holds objects into a private, THP-advised stage; the child
// inherits the stage like any private memory (copy-on-write, no copy at fork) and moves each
// staged page to where the hugetlb page was (mremap: no copy either); the parent unmaps its stage
// as soon as fork returns.  So a fork costs one memcpy of the live hugetlb pages in the parent,
// and neither side waits for the other (an earlier handshake through a shared buffer cost a
// scheduling round trip per page: 22-32 ms per fork + wait against 3.6-7 ms now, with 3 of 7
// pool pages in use, at load 7 on 2 cores).
// Free hugetlb pages are not copied: the child gets fresh plain memory there (also when none
// is live and no stage was made).  Other threads of the parent keep running: what the child
// gets of their objects is as of the copy, which POSIX allows (a child of a threaded program
// may not rely on other threads' state).  When the stage
// cannot be mapped the child stops with a message (its heap would be incomplete); the parent is
// unaffected.
constexpr uint64_t kHugeBytes = uint64_t{2} << 20;
unsigned char *g_fork_stage = nullptr;  // this fork's stage (parent: until fork returns)
uint64_t g_fork_stage_bytes = 0;
bool g_fork_copies = false;  // this fork hands hugetlb pages over

void fork_prepare() {
  if (!ready()) return;
  heap().lock_all();
  g_fork_stage = nullptr;
  uint64_t live = 0;
  heap().page_heap().for_each_live_hugetlb([&](uintptr_t) { ++live; });
  g_fork_copies = live != 0;
  if (!g_fork_copies) return;
  g_fork_stage_bytes = live * kHugeBytes;
  pal::MapResult m =
      pal::reserve_aligned(Bytes(g_fork_stage_bytes), Bytes(kHugeBytes), pal::Access::kReadWrite);
  if (!m.ok()) return;
  g_fork_stage = static_cast<unsigned char *>(m.ptr);
  if (g_backing.thp) pal::madvise_hugepage(g_fork_stage, Bytes(g_fork_stage_bytes));
  unsigned char *to = g_fork_stage;
  heap().page_heap().for_each_live_hugetlb([&](uintptr_t base) {
    std::memcpy(to, reinterpret_cast<const void *>(base), kHugeBytes);
    to += kHugeBytes;
  });
}
void fork_parent() {
  if (!ready()) return;
  if (g_fork_stage != nullptr) pal::unmap(g_fork_stage, Bytes(g_fork_stage_bytes));
  g_fork_stage = nullptr;
  heap().unlock_all();
}
void fork_child() {
  if (!ready()) return;
  heap().after_fork_child(t_cache->attached ? t_cache : nullptr);
  // Free hugetlb pages are replaced too when none is live (the child did not inherit them
  // either: a free one the heap still counts as backed would fault at its first use).
  if (heap().page_heap().hugetlb_pages() == 0) return;
  HPMM_CHECK(!g_fork_copies || g_fork_stage != nullptr,
             "fork: no memory to copy the parent's hugetlb pages into");
  unsigned char *from = g_fork_stage;
  heap().page_heap().unshare_hugetlb([&](uintptr_t base, bool live, bool) {
    void *p = reinterpret_cast<void *>(base);
    if (live) {
      HPMM_CHECK(pal::move_mapping(from, p, Bytes(kHugeBytes)) == 0,
                 "fork: cannot move the parent's hugetlb pages into place");
      from += kHugeBytes;
    } else {
      HPMM_CHECK(pal::replace_with_plain(p, Bytes(kHugeBytes)) == 0,
                 "fork: cannot map memory where the parent's free hugetlb pages were");
    }
    return true;
  });
  g_fork_stage = nullptr;  // every page of it moved
}

void report_bad_env() {
  if (g_env.bad == nullptr) return;
  const char *msg = "hpmm: ignoring a value that does not parse: ";
  ssize_t r = write(2, msg, __builtin_strlen(msg));
  r = write(2, g_env.bad, __builtin_strlen(g_env.bad));
  r = write(2, "\n", 1);
  (void)r;
}
}  // namespace

void init_slow() {
  int expected = kNone;
  if (g_state.compare_exchange_strong(expected, kInitializing, std::memory_order_acquire)) {
    configure(true);
    heap().set_attach_hook(attach_hook);
    pthread_key_create(&g_key, on_thread_exit);  // no allocation: glibc's keys are static
    g_state.store(kReady, std::memory_order_release);
    return;
  }
  while (g_state.load(std::memory_order_acquire) != kReady) __builtin_ia32_pause();
}

ThreadCache *cache_slow() {
  if (t_exiting) return nullptr;
  ensure_init();
  ThreadCache *tc = heap().create_cache();
  if (tc == nullptr) return nullptr;
  t_cache = tc;
  pthread_setspecific(g_key, tc);  // may allocate (keys >= 32): t_cache is already set
  return tc;
}

namespace {
// After libc is up: the environment is certainly there now, fork handlers can be registered
// (pthread_atfork may allocate, so not inside the first malloc).
__attribute__((constructor(101))) void on_load() {
  ensure_init();
  if (!g_env_read) configure(false);
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  report_bad_env();
}

__attribute__((destructor(101))) void on_unload() {
  if (ready() && g_env.stats) hpmm_print_stats(2);
}
}  // namespace

}  // namespace hpmm::shim
