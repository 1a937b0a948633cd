// tests/shim/test_api.cc: the malloc family's contract under LD_PRELOAD: alignment and bad calls.
//
// One test per case of progs/align.cc and progs/bad_calls.cc (their headers list what each case
// checks); each expects exit 0 and "align: ok" / "bad_calls: ok".
#include <criterion/criterion.h>

#include "tests/shim/spawn.hpp"

using shimtest::run_prog_ok;

// Every power of two from sizeof(void *) to 1 MiB, sizes 1, 7, a-1, a, a+1, 3a+5, 1000, 4097.
Test(align, posix_memalign) {
  run_prog_ok("align", {"posix_memalign"});
}
Test(align, aligned_alloc) {
  run_prog_ok("align", {"aligned_alloc"});
}
Test(align, memalign) {
  run_prog_ok("align", {"memalign"});
}
Test(align, valloc) {
  run_prog_ok("align", {"valloc"});
}
Test(align, pvalloc) {
  run_prog_ok("align", {"pvalloc"});
}
// Aligned blocks grown and shrunk by realloc keep their contents.
Test(align, realloc_of_aligned_blocks) {
  run_prog_ok("align", {"realloc"});
}

Test(bad_calls, calloc_overflow_is_enomem) {
  run_prog_ok("bad_calls", {"calloc_overflow"});
}
Test(bad_calls, reallocarray_overflow_is_enomem) {
  run_prog_ok("bad_calls", {"reallocarray_overflow"});
}
Test(bad_calls, malloc_huge_is_enomem) {
  run_prog_ok("bad_calls", {"malloc_huge"});
}
Test(bad_calls, realloc_huge_is_enomem_and_keeps_block) {
  run_prog_ok("bad_calls", {"realloc_huge"});
}
Test(bad_calls, posix_memalign_bad_alignment_is_einval) {
  run_prog_ok("bad_calls", {"posix_memalign_einval"});
}
Test(bad_calls, aligned_alloc_bad_alignment_is_einval) {
  run_prog_ok("bad_calls", {"aligned_alloc_einval"});
}
Test(bad_calls, free_null_and_realloc_null) {
  run_prog_ok("bad_calls", {"free_null"});
}
Test(bad_calls, zero_sizes_as_glibc) {
  run_prog_ok("bad_calls", {"zero_sizes"});
}
Test(bad_calls, operator_new_huge_calls_handler_and_throws) {
  run_prog_ok("bad_calls", {"new_huge"});
}
