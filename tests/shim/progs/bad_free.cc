// tests/shim/progs/bad_free.cc: frees that must stop the program (the death tests' subjects).
//
// usage: bad_free CASE    with CASE one of:
//   free_stack            free() of a stack address
//   free_interior_small   free() of p + 16, p a live 64-byte block
//   free_interior_large   free() of p + 8192, p a live 1 MiB block
//   free_unmapped         free() of an address no allocator handed out (0x10000000000)
//   double_free_small     free(p) twice in a row, p a 32-byte block
//   double_free_later     free(p), other frees and mallocs of other sizes, free(p) again
// Interior blocks are zeroed, so what a malloc that reads a header in front of the pointer finds
// does not depend on addresses (ASLR).
// The program sets up live blocks (so the heap is not empty), makes the bad call, and if it
// returns prints "bad_free: survived CASE" and exits 0.  A malloc that guards its heap stops
// the program inside the bad call with a message on stderr; tests/shim/test_death.cc checks
// for SIGABRT and a message naming the problem.
#include <cstdint>
#include <string>
#include <vector>

#include "prog.hpp"

// The bad frees are the point of this program.
#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"

namespace {
// Opaque to the optimiser, so it cannot reason about (or drop) the deliberate bad frees.
void *launder(void *p) {
  asm volatile("" : "+r"(p));
  return p;
}

void bad_free(void *p) {
  std::free(launder(p));
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "bad_free";
  const std::string what = argc == 2 ? argv[1] : "";
  std::vector<void *> keep;
  for (size_t n = 16; n <= 1 << 20; n *= 2) keep.push_back(std::malloc(n));
  if (what == "free_stack") {
    volatile char on_stack[64] = {1};
    bad_free(const_cast<char *>(on_stack));
  } else if (what == "free_interior_small") {
    char *p = static_cast<char *>(std::calloc(1, 64));
    bad_free(p + 16);
  } else if (what == "free_interior_large") {
    char *p = static_cast<char *>(std::calloc(1, 1 << 20));
    bad_free(p + 8192);
  } else if (what == "free_unmapped") {
    bad_free(reinterpret_cast<void *>(uintptr_t{1} << 40));
  } else if (what == "double_free_small") {
    void *p = std::malloc(32);
    prog::fill(p, 32);
    std::free(p);
    bad_free(p);
  } else if (what == "double_free_later") {
    void *p = std::malloc(32);
    prog::fill(p, 32);
    std::free(p);
    for (int i = 0; i < 100; i++) {
      void *q = std::malloc(200 + static_cast<size_t>(i));
      prog::fill(q, 200);
      std::free(q);
    }
    bad_free(p);
  } else {
    prog::fail(
        "usage: bad_free free_stack|free_interior_small|free_interior_large|"
        "free_unmapped|double_free_small|double_free_later");
  }
  std::printf("bad_free: survived %s\n", what.c_str());
  for (void *p : keep) std::free(p);
  return 0;
}
