// tests/shim/progs/stress.cc: multithreaded malloc stress with every block's contents checked.
//
// usage: stress [THREADS [OPS_PER_THREAD [SEED]]]   (default 4 threads x 30 000 operations)
//
// Each thread allocates blocks of random sizes over every class (0 B, 1..256 B, up to 32 KiB, up
// to 256 KiB, up to 4 MiB) with malloc, calloc (checked zeroed) or operator new; fills each with
// a pattern derived from its address and size (prog.hpp) and checks the pattern before the block
// is freed, reallocated or handed over.  Operations: allocate, free one of its own blocks,
// realloc one (the common prefix must survive), hand one to another thread (which checks and
// frees it: a remote free), and free what others handed to it.
//
// Live-range registry: every live block is entered as [p, p + max(n, 1)) in one ordered map; an
// insertion that overlaps a neighbour fails the run, so no two live blocks ever overlap and no
// address is handed out twice while live.  Invariant at exit: allocs == frees and the map is
// empty.  The registry's own lock serialises only the bookkeeping, not the malloc calls.
#include <atomic>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "prog.hpp"

namespace {
using prog::fail;

enum class Kind : uint8_t { kMalloc, kCalloc, kNew };

struct Block {
  void *p;
  size_t n;
  Kind kind;
};

struct Registry {
  std::mutex mu;                        // guards live
  std::map<uintptr_t, uintptr_t> live;  // start -> end, disjoint
  size_t max_live = 0;

  void add(const Block &b) {
    const uintptr_t lo = reinterpret_cast<uintptr_t>(b.p), hi = lo + (b.n == 0 ? 1 : b.n);
    std::lock_guard lock(mu);
    auto next = live.lower_bound(lo);
    if (next != live.end() && next->first < hi)
      fail("new block [%#lx, %#lx) overlaps live block [%#lx, %#lx)", lo, hi, next->first,
           next->second);
    if (next != live.begin() && std::prev(next)->second > lo)
      fail("new block [%#lx, %#lx) overlaps live block [%#lx, %#lx)", lo, hi,
           std::prev(next)->first, std::prev(next)->second);
    live.emplace_hint(next, lo, hi);
    if (live.size() > max_live) max_live = live.size();
  }
  void remove(const Block &b) {
    const uintptr_t lo = reinterpret_cast<uintptr_t>(b.p);
    std::lock_guard lock(mu);
    auto it = live.find(lo);
    if (it == live.end()) fail("block %p (%zu bytes) is not in the live registry", b.p, b.n);
    live.erase(it);
  }
};

struct Inbox {
  std::mutex mu;  // guards blocks
  std::vector<Block> blocks;
};

Registry g_registry;
std::vector<Inbox> *g_inboxes;
std::atomic<uint64_t> g_allocs{0}, g_frees{0}, g_reallocs{0}, g_remote{0};

size_t pick_size(prog::Rng &rng) {
  const uint64_t r = rng.below(1000);
  if (r < 5) return 0;
  if (r < 600) return rng.range(1, 256);
  if (r < 850) return rng.range(257, 32 * 1024);
  if (r < 960) return rng.range(32 * 1024 + 1, 256 * 1024);
  if (r < 995) return rng.range(256 * 1024 + 1, 1024 * 1024);
  return rng.range(1024 * 1024 + 1, 4 * 1024 * 1024);
}

Block make(prog::Rng &rng) {
  Block b{nullptr, pick_size(rng), Kind::kMalloc};
  const uint64_t k = rng.below(10);
  if (k < 6) {
    b.p = std::malloc(b.n);
    prog::check_new_block(b.p, b.n, "malloc");
  } else if (k < 8) {
    b.kind = Kind::kCalloc;
    const bool words = b.n % 8 == 0 && b.n > 0;  // calloc(n / 8, 8) or calloc(n, 1)
    const size_t count = words ? b.n / 8 : b.n, each = words ? 8 : 1;
    b.p = std::calloc(count, each);
    prog::check_new_block(b.p, b.n, "calloc");
    const auto *c = static_cast<const unsigned char *>(b.p);
    for (size_t i = 0; i < b.n; i++)
      if (c[i] != 0) fail("calloc(%zu, %zu) block %p has byte %zu = %d", count, each, b.p, i, c[i]);
  } else {
    b.kind = Kind::kNew;
    b.p = ::operator new(b.n);
    prog::check_new_block(b.p, b.n, "operator new");
  }
  prog::fill(b.p, b.n);
  g_registry.add(b);
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return b;
}

void release(const Block &b, const char *why) {
  prog::verify(b.p, b.n, why);
  g_registry.remove(b);
  if (b.kind == Kind::kNew)
    ::operator delete(b.p, b.n);
  else
    std::free(b.p);
  g_frees.fetch_add(1, std::memory_order_relaxed);
}

void reallocate(prog::Rng &rng, Block &b) {
  prog::verify(b.p, b.n, "before realloc");
  const uint64_t seed = prog::seed_of(b.p, b.n);
  const size_t m = pick_size(rng) + 1;
  g_registry.remove(b);  // the old range may be reused by another thread once realloc returns
  void *q = std::realloc(b.p, m);
  prog::check_new_block(q, m, "realloc");
  const size_t keep = b.n < m ? b.n : m;
  const size_t bad = prog::first_bad(q, b.n, seed, keep);
  if (bad != SIZE_MAX)
    fail("realloc(%p, %zu -> %zu) = %p lost byte %zu of the preserved prefix", b.p, b.n, m, q, bad);
  b.p = q;
  b.n = m;
  prog::fill(b.p, b.n);
  g_registry.add(b);
  g_reallocs.fetch_add(1, std::memory_order_relaxed);
}

void drain(Inbox &box, const char *why) {
  std::vector<Block> got;
  {
    std::lock_guard lock(box.mu);
    got.swap(box.blocks);
  }
  for (const Block &b : got) release(b, why);
}

void worker(int id, int threads, uint64_t ops, uint64_t seed) {
  prog::Rng rng(seed * 1000 + static_cast<uint64_t>(id));
  std::vector<Block> own;
  constexpr size_t kMaxOwn = 300;
  for (uint64_t i = 0; i < ops; i++) {
    const uint64_t r = rng.below(100);
    if (own.empty() || (r < 40 && own.size() < kMaxOwn)) {
      own.push_back(make(rng));
    } else if (r < 70) {  // also when r < 40 but the thread holds kMaxOwn blocks
      const size_t k = rng.below(own.size());
      release(own[k], "before free");
      own[k] = own.back();
      own.pop_back();
    } else if (r < 80) {
      Block &b = own[rng.below(own.size())];
      if (b.kind == Kind::kNew) continue;
      reallocate(rng, b);
    } else if (r < 92 && threads > 1) {
      const size_t k = rng.below(own.size());
      int to = static_cast<int>(rng.below(static_cast<uint64_t>(threads - 1)));
      if (to >= id) to++;
      prog::verify(own[k].p, own[k].n, "before hand-over");
      {
        Inbox &box = (*g_inboxes)[static_cast<size_t>(to)];
        std::lock_guard lock(box.mu);
        box.blocks.push_back(own[k]);
      }
      g_remote.fetch_add(1, std::memory_order_relaxed);
      own[k] = own.back();
      own.pop_back();
    } else {
      drain((*g_inboxes)[static_cast<size_t>(id)], "remote free");
    }
  }
  for (const Block &b : own) release(b, "at thread end");
}

uint64_t arg(int argc, char **argv, int i, uint64_t def, uint64_t lo, uint64_t hi) {
  if (argc <= i) return def;
  char *end;
  const unsigned long long v = std::strtoull(argv[i], &end, 10);
  if (*end != '\0' || v < lo || v > hi)
    fail("argument %d '%s' must be an integer in [%llu, %llu]", i, argv[i], (unsigned long long)lo,
         (unsigned long long)hi);
  return v;
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "stress";
  const int threads = static_cast<int>(arg(argc, argv, 1, 4, 1, 64));
  const uint64_t ops = arg(argc, argv, 2, 30'000, 1, 100'000'000);
  const uint64_t seed = arg(argc, argv, 3, 1, 0, UINT64_MAX);
  std::vector<Inbox> inboxes(static_cast<size_t>(threads));
  g_inboxes = &inboxes;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; t++) ts.emplace_back(worker, t, threads, ops, seed);
  for (std::thread &t : ts) t.join();
  for (Inbox &box : inboxes) drain(box, "freed by main after join");
  if (g_allocs.load() != g_frees.load())
    fail("%llu blocks allocated but %llu freed", (unsigned long long)g_allocs.load(),
         (unsigned long long)g_frees.load());
  if (!g_registry.live.empty()) fail("%zu blocks still registered live", g_registry.live.size());
  std::printf(
      "stress: ok threads=%d allocs=%llu frees=%llu reallocs=%llu remote=%llu max_live=%zu\n",
      threads, (unsigned long long)g_allocs.load(), (unsigned long long)g_frees.load(),
      (unsigned long long)g_reallocs.load(), (unsigned long long)g_remote.load(),
      g_registry.max_live);
  return 0;
}
