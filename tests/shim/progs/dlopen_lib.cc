// tests/shim/progs/dlopen_lib.cc: the malloc library loaded with dlopen() into a running process
// that has a second thread, as a plugin or a Python extension would load it (or a library
// linked with it).
//
// usage: dlopen_lib LIB [MAX_TLS_BYTES]   (run without LD_PRELOAD)
//
// A library's initial-exec TLS must come out of the static TLS glibc keeps spare for dlopen
// (about 2 KiB by default, shared by every library loaded later): a larger one fails with
// "cannot allocate memory in static TLS block".  The program dlopen()s LIB
// (RTLD_NOW), checks that it loads, that its TLS segment (PT_TLS, found with dl_iterate_phdr) is
// at most MAX_TLS_BYTES when that is given, and then uses the library's own malloc and free
// (found with dlsym, so the process's malloc is untouched) from the main thread and from a
// thread that existed before the dlopen: blocks of 1 B .. 64 KiB from malloc and calloc, every
// third one moved by realloc to another size (its old bytes checked there), patterned and checked
// before every free, half of main's freed by the other thread.  realloc and calloc call the
// library's own malloc and free, which must bind inside the library (it is linked
// -Bsymbolic-functions): loaded RTLD_LOCAL, its symbols are not the process's.
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "prog.hpp"

namespace {

using MallocFn = void *(*)(size_t);
using FreeFn = void (*)(void *);
using CallocFn = void *(*)(size_t, size_t);
using ReallocFn = void *(*)(void *, size_t);
MallocFn g_malloc;
FreeFn g_free;
CallocFn g_calloc;
ReallocFn g_realloc;

struct Block {
  void *p;
  size_t n;
};

constexpr size_t kBlocks = 3000;

// kBlocks blocks from the loaded library, each patterned.
std::vector<Block> make_blocks(uint64_t seed) {
  prog::Rng rng(seed);
  std::vector<Block> v;
  for (size_t i = 0; i < kBlocks; ++i) {
    size_t n = 1 + (i % 10 == 0 ? rng.below(65536) : rng.below(1024));
    void *p = i % 2 == 0 ? g_malloc(n) : g_calloc(1, n);
    PROG_CHECK(p != nullptr, "the loaded malloc/calloc(%zu) returned NULL", n);
    if (i % 2 != 0)
      for (size_t j = 0; j < n; ++j)
        PROG_CHECK(static_cast<unsigned char *>(p)[j] == 0, "calloc(1, %zu): byte %zu not zero", n,
                   j);
    prog::fill(p, n);
    if (i % 3 == 0) {  // moved (or resized in place) by the library's realloc
      const size_t m = 1 + rng.below(i % 10 == 0 ? 131072 : 2048);
      const uint64_t seed = prog::seed_of(p, n);
      void *q = g_realloc(p, m);
      PROG_CHECK(q != nullptr, "the loaded realloc(%p, %zu) returned NULL", p, m);
      const size_t bad = prog::first_bad(q, n, seed, m < n ? m : n);
      PROG_CHECK(bad == SIZE_MAX, "realloc %zu -> %zu lost byte %zu", n, m, bad);
      p = q;
      n = m;
      prog::fill(p, n);
    }
    v.push_back({p, n});
  }
  return v;
}

void free_blocks(const std::vector<Block> &v, size_t from, size_t step, const char *what) {
  for (size_t i = from; i < v.size(); i += step) {
    prog::verify(v[i].p, v[i].n, what);
    g_free(v[i].p);
  }
}

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
bool g_loaded = false;
std::vector<Block> g_from_main;  // half freed by the thread

void *thread_main(void *) {
  pthread_mutex_lock(&g_mu);
  while (!g_loaded) pthread_cond_wait(&g_cv, &g_mu);
  pthread_mutex_unlock(&g_mu);
  free_blocks(g_from_main, 1, 2, "block from main");  // its first call into the library: free
  std::vector<Block> mine = make_blocks(2);
  free_blocks(mine, 0, 1, "thread's block");
  return nullptr;
}

struct TlsQuery {
  const char *name;
  bool found = false;
  uint64_t tls_bytes = 0;
};

int find_tls(struct dl_phdr_info *info, size_t, void *arg) {
  auto *q = static_cast<TlsQuery *>(arg);
  if (info->dlpi_name == nullptr || std::string(info->dlpi_name) != q->name) return 0;
  q->found = true;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_TLS) q->tls_bytes = info->dlpi_phdr[i].p_memsz;
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "dlopen_lib";
  PROG_CHECK(argc >= 2 && argc <= 3, "usage: dlopen_lib LIB [MAX_TLS_BYTES]");
  char *end = nullptr;
  long max_tls = argc == 3 ? strtol(argv[2], &end, 10) : -1;
  PROG_CHECK(argc == 2 || (*argv[2] != '\0' && *end == '\0' && max_tls >= 0),
             "MAX_TLS_BYTES must be a number >= 0, got '%s'", argc == 3 ? argv[2] : "");
  pthread_t t;  // exists before the library is loaded: its static TLS is set up by dlopen
  PROG_CHECK(pthread_create(&t, nullptr, thread_main, nullptr) == 0, "pthread_create failed");

  void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  PROG_CHECK(h != nullptr, "dlopen(%s) failed: %s", argv[1], dlerror());
  TlsQuery q{argv[1]};
  dl_iterate_phdr(find_tls, &q);
  PROG_CHECK(q.found, "%s is loaded but dl_iterate_phdr does not list it", argv[1]);
  PROG_CHECK(max_tls < 0 || q.tls_bytes <= static_cast<uint64_t>(max_tls),
             "%s has %llu bytes of TLS, more than %ld", argv[1],
             static_cast<unsigned long long>(q.tls_bytes), max_tls);
  g_malloc = reinterpret_cast<MallocFn>(dlsym(h, "malloc"));
  g_free = reinterpret_cast<FreeFn>(dlsym(h, "free"));
  g_calloc = reinterpret_cast<CallocFn>(dlsym(h, "calloc"));
  g_realloc = reinterpret_cast<ReallocFn>(dlsym(h, "realloc"));
  PROG_CHECK(
      g_malloc != nullptr && g_free != nullptr && g_calloc != nullptr && g_realloc != nullptr,
      "%s does not define malloc, free, calloc and realloc", argv[1]);

  g_from_main = make_blocks(1);
  pthread_mutex_lock(&g_mu);
  g_loaded = true;
  pthread_cond_signal(&g_cv);
  pthread_mutex_unlock(&g_mu);
  PROG_CHECK(pthread_join(t, nullptr) == 0, "pthread_join failed");
  free_blocks(g_from_main, 0, 2, "block from main");
  printf("dlopen_lib: ok (%llu bytes of TLS)\n", static_cast<unsigned long long>(q.tls_bytes));
  return 0;
}
