// shim/global.cc: initialisation, thread caches and their exit, fork, and HPMM_STATS at exit
// (shim/global.hpp states the design).
#include "shim/global.hpp"

#include <pthread.h>
#include <sys/auxv.h>
#include <unistd.h>

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

__thread ThreadCache *t_cache __attribute__((tls_model("initial-exec"))) = nullptr;
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
  auto *tc = static_cast<ThreadCache *>(p);
  t_cache = nullptr;
  t_exiting = true;
  heap().destroy_cache(tc);
}

// The fork handshake for hugetlb pages.  A private hugetlb page shared by parent and child needs
// a pool page on the first write to it; when the pool is empty the kernel takes the page away
// from the child (which then dies of SIGBUS).  So the child copies its hugetlb pages to plain
// memory at once, and the parent waits (at most kForkWaitNs) until the child says it is done
// before the forking thread returns to the program and writes.  Other threads of the parent are
// not stopped: with an empty pool, their writes during the copy can still cost the child its
// page (hpmm(3), NOTES).  fork_sync[0] counts forks, fork_sync[1] the children done.
constexpr uint64_t kForkWaitNs = 5'000'000'000;
uint32_t *g_fork_sync = nullptr;
bool g_fork_waits = false;  // this fork's child copies hugetlb pages
uint32_t g_fork_want = 0;   // this fork's number (set under the allocator's locks)

void fork_prepare() {
  if (!ready()) return;
  heap().lock_all();
  g_fork_waits = g_fork_sync != nullptr && heap().page_heap().hugetlb_pages() != 0;
  if (g_fork_waits) g_fork_want = __atomic_add_fetch(&g_fork_sync[0], 1, __ATOMIC_SEQ_CST);
}
void fork_parent() {
  if (!ready()) return;
  bool waits = g_fork_waits;
  uint32_t want = g_fork_want;
  heap().unlock_all();
  if (!waits) return;
  uint64_t deadline = pal::coarse_now_ns() + kForkWaitNs;
  for (;;) {
    uint32_t done = __atomic_load_n(&g_fork_sync[1], __ATOMIC_SEQ_CST);
    if (static_cast<int32_t>(done - want) >= 0) return;
    uint64_t now = pal::coarse_now_ns();
    if (now >= deadline) return;  // the child died or is stuck: do not hang the parent
    pal::futex_wait_shared(&g_fork_sync[1], done, deadline - now);
  }
}
void fork_child() {
  if (!ready()) return;
  heap().after_fork_child(t_cache);
  if (heap().page_heap().hugetlb_pages() != 0) {
    heap().page_heap().unshare_hugetlb([](uintptr_t base) {
      return pal::copy_to_plain(reinterpret_cast<void *>(base), Bytes(uint64_t{2} << 20)) == 0;
    });
  }
  if (g_fork_waits) {
    __atomic_store_n(&g_fork_sync[1], g_fork_want, __ATOMIC_SEQ_CST);
    pal::futex_wake_shared(&g_fork_sync[1], 1);
  }
  g_fork_sync = nullptr;  // the page is the parent's handshake, not this process's
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
  if (g_backing.hugetlb) g_fork_sync = static_cast<uint32_t *>(pal::map_shared_page());
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  report_bad_env();
}

__attribute__((destructor(101))) void on_unload() {
  if (ready() && g_env.stats) hpmm_print_stats(2);
}
}  // namespace

}  // namespace hpmm::shim
