// tests/shim/progs/late_frees.cc: threads whose first call into malloc is a free, and frees and
// mallocs after the thread's cache was given back (in a pthread key destructor that runs after
// the allocator's own).
//
// usage: late_frees [ROUNDS]   (default 40)
//
// Each round main allocates 2 x kBlocks blocks (16 B .. 1 KiB, filled with their pattern) and
// starts one thread, which (1) frees the first kBlocks of them -- it never called malloc before,
// so its cache is attached by its first free -- and checks through hpmm_get_stats that its cache
// is now counted (2 live caches: main's and its own); (2) sets a pthread key made by main after
// the allocator's key, whose destructor runs after the allocator gave the thread's cache back:
// it frees the other kBlocks, allocates and frees kBlocks more, and hands kKept blocks it
// allocated there to main.  After the join main checks and frees the kept blocks.  Nothing may
// stay in a dead thread's cache (about 2 MB a round if the late frees did): after the last
// round, with everything freed, the bytes the program holds (hpmm_stats.in_use_bytes) are within
// kSlack of the figure before the first round, and one cache is left.  Every block's pattern is
// checked before every free.
#include <dlfcn.h>
#include <pthread.h>

#include <vector>

#include "include/hpmm/hpmm.h"
#include "prog.hpp"

namespace {
constexpr size_t kBlocks = 2000, kKept = 16;
constexpr uint64_t kSlack = 64 * 1024;

struct Block {
  void *p;
  size_t n;
};

using GetStats = int (*)(struct hpmm_stats *, size_t);
GetStats g_get_stats;

hpmm_stats stats() {
  hpmm_stats st{};
  PROG_CHECK(g_get_stats(&st, sizeof st) == 0, "hpmm_get_stats failed");
  return st;
}

Block make(prog::Rng &rng) {
  size_t n = 16 + rng.below(1009);
  void *p = malloc(n);
  prog::check_new_block(p, n, "malloc");
  prog::fill(p, n);
  return {p, n};
}

void drop(const Block &b, const char *what) {
  prog::verify(b.p, b.n, what);
  free(b.p);
}

struct Round {
  std::vector<Block> from_main;  // [0, kBlocks): freed by the thread; the rest by its destructor
  std::vector<Block> kept;       // made in the destructor, freed by main
  uint64_t seed;
};

pthread_key_t g_key;

void late(void *arg) {  // after the allocator's destructor: the thread's cache is gone
  auto *r = static_cast<Round *>(arg);
  for (size_t i = kBlocks; i < r->from_main.size(); ++i) drop(r->from_main[i], "late free");
  prog::Rng rng(r->seed);
  std::vector<Block> mine;
  for (size_t i = 0; i < kBlocks; ++i) mine.push_back(make(rng));
  for (size_t i = 0; i < mine.size(); ++i) {
    if (i < kKept) {
      r->kept.push_back(mine[i]);
    } else {
      drop(mine[i], "late malloc's block");
    }
  }
}

void *thread_main(void *arg) {
  auto *r = static_cast<Round *>(arg);
  for (size_t i = 0; i < kBlocks; ++i) drop(r->from_main[i], "first free");
  PROG_CHECK(stats().thread_caches == 2, "a thread that only freed has no cache (%llu caches)",
             static_cast<unsigned long long>(stats().thread_caches));
  pthread_setspecific(g_key, r);
  return nullptr;
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "late_frees";
  int rounds = argc > 1 ? atoi(argv[1]) : 40;
  PROG_CHECK(rounds > 0, "ROUNDS must be positive, got '%s'", argv[1]);
  g_get_stats = reinterpret_cast<GetStats>(dlsym(RTLD_DEFAULT, "hpmm_get_stats"));
  PROG_CHECK(g_get_stats != nullptr, "hpmm_get_stats is not there: is libhpmm preloaded?");
  free(malloc(1));  // the allocator's key is made before ours
  PROG_CHECK(pthread_key_create(&g_key, late) == 0, "pthread_key_create failed");
  prog::Rng rng(11);
  uint64_t before = 0;
  for (int round = 0; round < rounds; ++round) {
    Round r;
    r.seed = 100 + round;
    if (round == 0) before = stats().in_use_bytes;
    for (size_t i = 0; i < 2 * kBlocks; ++i) r.from_main.push_back(make(rng));
    pthread_t t;
    PROG_CHECK(pthread_create(&t, nullptr, thread_main, &r) == 0, "pthread_create failed");
    pthread_join(t, nullptr);
    PROG_CHECK(r.kept.size() == kKept, "the destructor kept %zu blocks", r.kept.size());
    for (const Block &b : r.kept) drop(b, "kept block");
  }
  hpmm_stats st = stats();
  PROG_CHECK(st.thread_caches == 1, "%llu thread caches after the joins",
             static_cast<unsigned long long>(st.thread_caches));
  PROG_CHECK(st.in_use_bytes <= before + kSlack,
             "in use %llu bytes after %d rounds, %llu before: objects stay in dead caches",
             static_cast<unsigned long long>(st.in_use_bytes), rounds,
             static_cast<unsigned long long>(before));
  printf("late_frees: ok\n");
  return 0;
}
