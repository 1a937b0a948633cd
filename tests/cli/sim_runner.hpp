// tests/cli/sim_runner.hpp: runs the real hpmm-sim (path in HPMM_SIM, set by
// scripts/run-tests.sh) as a child process and collects its exit status and output, for the
// suites that drive the binary; plus the temporary and data files they use.
//
// run_sim: stdin from a file (default /dev/null), stdout and stderr to temporary files read back
// and removed; status = the exit status, or 128 + the signal that ended it.  A replaced PATH is
// built into the child's environment before fork; otherwise the child keeps the environment,
// as in_child (limits, a seccomp filter, an environment variable) may have changed it.  Skips
// the test when HPMM_SIM is not set.
#pragma once

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

extern char **environ;

namespace hpmm::test {

struct SimRun {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
};

inline std::string slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A fresh path under /tmp that does not exist (suffix appended).
inline std::string temp_path(const char *suffix = "") {
  char path[] = "/tmp/hpmm_cli_test_XXXXXX";
  const int fd = mkstemp(path);
  cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
  close(fd);
  unlink(path);
  return std::string(path) + suffix;
}

// A temporary file holding content.
inline std::string temp_file(const std::string &content) {
  const std::string p = temp_path();
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

// tests/cli/data/name, relative to the tree's root (where the suites run).
inline std::string data_path(const char *name) {
  const std::string here = __FILE__;
  return here.substr(0, here.rfind('/')) + "/data/" + name;
}

struct SimSpawn {
  std::string stdin_path;          // "" = /dev/null
  const char *path_env = nullptr;  // replaces PATH when set
  std::function<void()> in_child;  // runs in the child before exec
};

// Runs hpmm-sim with args (without the program name).
inline SimRun run_sim(std::vector<std::string> args, const SimSpawn &how = {}) {
  const char *bin = std::getenv("HPMM_SIM");
  if (bin == nullptr || *bin == '\0')
    cr_skip_test(
        "HPMM_SIM is not set: run through scripts/run-tests.sh (make test), or set "
        "HPMM_SIM=build/debug/hpmm-sim");
  const std::string out = temp_path(), err = temp_path();
  const std::string in = how.stdin_path.empty() ? "/dev/null" : how.stdin_path;
  args.insert(args.begin(), bin);
  std::vector<char *> argv;
  for (std::string &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string path_var;
  std::vector<char *> envp;
  for (char **e = environ; *e != nullptr; ++e)
    if (how.path_env == nullptr || std::string(*e).rfind("PATH=", 0) != 0) envp.push_back(*e);
  if (how.path_env != nullptr) {
    path_var = std::string("PATH=") + how.path_env;
    envp.push_back(path_var.data());
  }
  envp.push_back(nullptr);

  const pid_t pid = fork();
  cr_assert(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    const int i = open(in.c_str(), O_RDONLY);
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
    if (how.in_child) how.in_child();
    if (how.path_env != nullptr)
      execve(bin, argv.data(), envp.data());
    else
      execv(bin, argv.data());  // the environment as in_child may have left it
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  SimRun r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(out);
  r.err = slurp(err);
  unlink(out.c_str());
  unlink(err.c_str());
  cr_assert_neq(r.status, 127, "cannot run %s", bin);
  return r;
}

}  // namespace hpmm::test
