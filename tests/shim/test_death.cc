// tests/shim/test_death.cc: invalid and double frees must stop the program with a message.
//
// Each test runs progs/bad_free.cc CASE under the library and expects the process to die of
// SIGABRT (hpmm(7): a failed check writes "hpmm: fatal: ..." and aborts) with a message on stderr
// that names the problem:
//   invalid free: a problem word (invalid, never gave/given/handed out, never allocated, not
//                 allocated, unknown, wild, not owned, foreign) and "pointer" or "free" on one
//                 line (case-insensitive), e.g. "free(): invalid pointer" or "free of a pointer
//                 hpmm never gave out"
//   double free:  matches /double[ -]?free/, e.g. "double free of 0x..."
// These target libhpmm; peers without such checks fail some of them (bench/alloc/README.md
// lists which suite tests pass under which peer).
#include <criterion/criterion.h>
#include <signal.h>

#include <regex>
#include <string>

#include "tests/shim/spawn.hpp"

namespace {
using namespace shimtest;

void expect_death(const char *which, const std::string &message_re, const char *meaning) {
  RunOptions opt;
  opt.timeout_s = 30;
  const RunResult r = run({prog("bad_free"), which}, opt);
  cr_assert(r.out.find("survived") == std::string::npos,
            "bad_free %s: the program survived the bad call (%s); stderr: %s", which,
            r.describe().c_str(), excerpt(r.err).c_str());
  cr_assert(r.signaled && r.signal == SIGABRT,
            "bad_free %s: expected death by SIGABRT after %s, got %s; stderr: %s", which, meaning,
            r.describe().c_str(), excerpt(r.err).c_str());
  const std::regex re(message_re, std::regex::icase | std::regex::extended);
  cr_assert(std::regex_search(r.err, re),
            "bad_free %s: stderr does not name the problem (%s; wanted /%s/): %s", which, meaning,
            message_re.c_str(), excerpt(r.err).c_str());
}

// A word naming the problem, and "pointer" or "free", on one line, in either order.
const std::string kBadPtr =
    "(invalid|never (gave|given|handed) out|never allocated|not allocated|unknown|wild|"
    "not owned|foreign)";
const std::string kInvalid = kBadPtr + "[^\n]*(pointer|free)|(pointer|free)[^\n]*" + kBadPtr;
const std::string kDouble = "double[ -]?free";
}  // namespace

Test(death, free_of_stack_address) {
  expect_death("free_stack", kInvalid, "free() of a stack address");
}
Test(death, free_of_interior_pointer_small) {
  expect_death("free_interior_small", kInvalid, "free() of p + 16 inside a 64-byte block");
}
Test(death, free_of_interior_pointer_large) {
  expect_death("free_interior_large", kInvalid, "free() of p + 8192 inside a 1 MiB block");
}
Test(death, free_of_unmapped_address) {
  expect_death("free_unmapped", kInvalid, "free() of an address never handed out");
}
Test(death, double_free_small) {
  expect_death("double_free_small", kDouble, "a second free() of a 32-byte block");
}
Test(death, double_free_after_other_traffic) {
  expect_death("double_free_later", kDouble,
               "a second free() of a 32-byte block after other mallocs and frees");
}
