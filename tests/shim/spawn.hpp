// tests/shim/spawn.hpp: run a program with the malloc under test preloaded, capture its output.
//
// The preloaded-malloc suite (tests/shim/) drives a real library: HPMM_LIB names it
// (scripts/run-tests.sh sets build/release/libhpmm.so); any malloc library works, which is how
// the suite itself is validated against jemalloc, tcmalloc and mimalloc (and glibc, by pointing
// HPMM_LIB at libc.so.6, whose preloading changes nothing).  Tests that need the library call
// preload_lib(), which skips the test with a message naming the variable when it is unset or
// names no file.
//
// run() forks, puts the child in its own process group (so a compiler's cc1/as/ld die with it),
// sets LD_PRELOAD only in the child, feeds `input` to its stdin, collects stdout and stderr, and
// kills the group after `timeout_s` seconds.  Result invariant: exactly one of
// {exited, signaled} is true; timed_out implies signaled (SIGKILL).
#pragma once

#include <string>
#include <vector>

namespace shimtest {

struct RunResult {
  bool exited = false;    // WIFEXITED
  int status = -1;        // WEXITSTATUS when exited
  bool signaled = false;  // WIFSIGNALED
  int signal = 0;         // WTERMSIG when signaled
  bool timed_out = false;
  std::string out, err;

  bool ok() const { return exited && status == 0; }
  // "exit 0", "exit 3", "signal 6 (Aborted)", "timeout": for failure messages.
  std::string describe() const;
};

struct RunOptions {
  bool preload = true;           // LD_PRELOAD=HPMM_LIB in the child
  std::string input;             // written to the child's stdin, then closed
  int timeout_s = 60;            // the whole process group is killed after this
  std::vector<std::string> env;  // extra NAME=VALUE entries for the child
  std::string cwd;               // child's working directory (empty: inherit)
};

// The library under test (absolute path); skips the calling test when there is none.
std::string preload_lib();

// Absolute path of a helper program built from tests/shim/progs/NAME.cc; fails the test with
// the make command to run when it is missing.
std::string prog(const char *name);

// argv[0] is looked up in PATH when it has no '/'.
RunResult run(const std::vector<std::string> &argv, const RunOptions &opt = {});

// A fresh directory under $TMPDIR (or /tmp), removed with its contents by ~TempDir.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  void write(const std::string &name, const std::string &contents) const;

 private:
  std::string path_;
};

// A short excerpt of a program's output for failure messages (first lines, at most ~600 bytes).
std::string excerpt(const std::string &s);

// Asserts that `r` exited 0 and its stdout begins with `expect`; the failure message names
// `what`, how the program ended and the start of its stderr.
void expect_ok(const RunResult &r, const std::string &expect, const char *what);

// Runs helper program NAME with ARGS under the library and expects "NAME: ok" (see progs/).
void run_prog_ok(const char *name, const std::vector<std::string> &args, int timeout_s = 60);

}  // namespace shimtest
