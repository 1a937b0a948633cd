// tests/shim/progs/align.cc: aligned allocation at every power of two, with odd sizes.
//
// usage: align posix_memalign|aligned_alloc|memalign|valloc|pvalloc|realloc
//
// For every alignment a = 2^k, sizeof(void *) <= a <= 1 MiB, and sizes {1, 7, a - 1, a, a + 1,
// 3a + 5, 1000, 4097}, the named function returns a block with address % a == 0 and
// malloc_usable_size >= size.  All blocks stay live until the end, filled with the address
// pattern, so a block that overlaps another is found when they are checked.  valloc and pvalloc
// (sizes 1 .. 5 pages + 3) return page-aligned blocks; pvalloc's usable size covers the size
// rounded up to a page.  "realloc" grows and then shrinks every posix_memalign block, which must
// preserve the common prefix (realloc need not keep an alignment beyond malloc's own).
#include <malloc.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "prog.hpp"

namespace {
struct Block {
  void *p;
  size_t n;
  const char *how;
  size_t align;
};

void add(std::vector<Block> &live, void *p, size_t n, const char *how, size_t a) {
  PROG_CHECK(p != nullptr, "%s(alignment %zu, size %zu) returned NULL", how, a, n);
  PROG_CHECK(reinterpret_cast<uintptr_t>(p) % a == 0, "%s(alignment %zu, size %zu) returned %p",
             how, a, n, p);
  PROG_CHECK(malloc_usable_size(p) >= n, "%s(alignment %zu, size %zu): malloc_usable_size %zu", how,
             a, n, malloc_usable_size(p));
  prog::fill(p, n);
  live.push_back({p, n, how, a});
}
}  // namespace

int main(int argc, char **argv) {
  prog::g_name = "align";
  const std::string what = argc == 2 ? argv[1] : "";
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<Block> live;
  const bool pm = what == "posix_memalign" || what == "realloc";
  PROG_CHECK(
      pm || what == "aligned_alloc" || what == "memalign" || what == "valloc" || what == "pvalloc",
      "usage: align posix_memalign|aligned_alloc|memalign|valloc|pvalloc|realloc");
  for (size_t a = sizeof(void *); a <= (size_t{1} << 20); a *= 2) {
    const size_t sizes[] = {1, 7, a - 1, a, a + 1, 3 * a + 5, 1000, 4097};
    for (size_t n : sizes) {
      if (pm) {
        void *p = nullptr;
        const int rc = posix_memalign(&p, a, n);
        PROG_CHECK(rc == 0, "posix_memalign(alignment %zu, size %zu) failed with %d", a, n, rc);
        add(live, p, n, "posix_memalign", a);
      } else if (what == "aligned_alloc") {
        add(live, aligned_alloc(a, n), n, "aligned_alloc", a);
      } else if (what == "memalign") {
        add(live, memalign(a, n), n, "memalign", a);
      }
    }
  }
  for (size_t n : {size_t{1}, size_t{100}, page - 1, page, page + 1, 5 * page + 3}) {
    if (what == "valloc") add(live, valloc(n), n, "valloc", page);
    if (what != "pvalloc") continue;
    void *p = pvalloc(n);
    add(live, p, n, "pvalloc", page);
    const size_t rounded = (n + page - 1) / page * page;
    PROG_CHECK(malloc_usable_size(p) >= rounded, "pvalloc(%zu): usable size %zu < %zu", n,
               malloc_usable_size(p), rounded);
  }
  size_t checks = 0;
  for (const Block &b : live) prog::verify(b.p, b.n, b.how), checks++;
  if (what == "realloc") {
    for (Block &b : live) {
      const uint64_t seed = prog::seed_of(b.p, b.n);
      for (size_t m : {b.n * 3 + 100, b.n / 2 + 1}) {
        void *q = std::realloc(b.p, m);
        PROG_CHECK(q != nullptr, "realloc of a %s block (%zu -> %zu) returned NULL", b.how, b.n, m);
        const size_t bad = prog::first_bad(q, b.n, seed, b.n < m ? b.n : m);
        PROG_CHECK(bad == SIZE_MAX, "realloc of a %s(alignment %zu) block %zu -> %zu lost byte %zu",
                   b.how, b.align, b.n, m, bad);
        // Re-pattern the (possibly moved) block with its original seed over the new size, so
        // the next realloc's prefix check still applies.
        prog::fill_with(q, m, seed);
        b.p = q;
        b.n = m;
        checks++;
      }
      std::free(b.p);
      b.p = nullptr;
    }
  }
  for (const Block &b : live)
    if (b.p != nullptr) prog::verify(b.p, b.n, b.how), std::free(b.p);
  std::printf("align: ok %s blocks=%zu checks=%zu\n", what.c_str(), live.size(), checks);
  return 0;
}
