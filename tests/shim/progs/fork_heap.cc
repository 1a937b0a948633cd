// tests/shim/progs/fork_heap.cc: a fork hands the child the parent's heap, and only a copy of it.
//
// usage: fork_heap
//
// The parent allocates 24 MiB of 64 KiB blocks, each with its byte pattern (prog.hpp), and frees
// every block of every other 2 MiB group, so the heap has hugepages in use and free ones between
// them (under libhpmm with a hugetlb pool: pool pages in both states, which fork hands over by
// copying).  Then it forks.  The child checks every live block, frees and reallocates half of
// them, re-patterns all of them, and forks a grandchild that checks the child's blocks and
// overwrites them; the child then checks its blocks are still its own.  The parent, after the
// child exits, checks its blocks are unchanged: no process sees another's writes.
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "prog.hpp"

namespace {
constexpr size_t kBlock = 64 * 1024;
constexpr size_t kBlocks = 384;  // 24 MiB
constexpr size_t kGroup = 32;    // blocks per 2 MiB

struct Block {
  void *p = nullptr;
  uint64_t seed = 0;
};

void pattern_all(std::vector<Block> &blocks, uint64_t salt) {
  for (Block &b : blocks) {
    b.seed = prog::seed_of(b.p, kBlock) ^ salt;
    prog::fill_with(b.p, kBlock, b.seed);
  }
}

void check_all(const std::vector<Block> &blocks, const char *who) {
  for (const Block &b : blocks) {
    size_t bad = prog::first_bad(b.p, kBlock, b.seed, kBlock);
    PROG_CHECK(bad == SIZE_MAX, "%s: block %p has a wrong byte at offset %zu", who, b.p, bad);
  }
}

// Waits for pid; fails unless it exited 0.
void reap(pid_t pid, const char *who) {
  int st = 0;
  PROG_CHECK(waitpid(pid, &st, 0) == pid, "%s: waitpid failed", who);
  PROG_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: exited with status 0x%x", who, st);
}
}  // namespace

int main() {
  prog::g_name = "fork_heap";
  std::vector<Block> live;
  for (size_t i = 0; i < kBlocks; ++i) {
    void *p = malloc(kBlock);
    prog::check_new_block(p, kBlock, "malloc");
    if ((i / kGroup) % 2 == 1) {
      free(p);
      continue;
    }
    live.push_back({p, 0});
  }
  pattern_all(live, 1);

  pid_t child = fork();
  PROG_CHECK(child >= 0, "fork failed");
  if (child == 0) {
    check_all(live, "child: the parent's blocks");
    for (size_t i = 0; i < live.size(); i += 2) {
      free(live[i].p);
      live[i].p = malloc(kBlock);
      prog::check_new_block(live[i].p, kBlock, "child malloc");
    }
    pattern_all(live, 2);
    pid_t grandchild = fork();
    if (grandchild < 0) prog::fail("child: fork failed");
    if (grandchild == 0) {
      check_all(live, "grandchild: the child's blocks");
      pattern_all(live, 3);
      check_all(live, "grandchild: its own blocks");
      _exit(0);
    }
    reap(grandchild, "grandchild");
    check_all(live, "child: its blocks after the grandchild wrote its copies");
    _exit(0);
  }
  reap(child, "child");
  check_all(live, "parent: its blocks after the child wrote its copies");
  for (Block &b : live) free(b.p);
  std::printf("fork_heap: ok %zu blocks live across 2 forks\n", live.size());
  return 0;
}
