// tests/shim/spawn.cc: process spawning for the preloaded-malloc suite (see spawn.hpp).
#include "tests/shim/spawn.hpp"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

extern char **environ;

namespace shimtest {

std::string RunResult::describe() const {
  if (timed_out) return "timeout (killed)";
  if (exited) return "exit " + std::to_string(status);
  if (signaled) return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "not run";
}

std::string preload_lib() {
  const char *lib = std::getenv("HPMM_LIB");
  if (lib == nullptr || *lib == '\0')
    cr_skip_test(
        "HPMM_LIB is not set: it must name the malloc library to preload "
        "(scripts/run-tests.sh sets build/release/libhpmm.so)");
  char real[PATH_MAX];
  if (access(lib, R_OK) != 0 || realpath(lib, real) == nullptr)
    cr_skip_test(
        "HPMM_LIB=%s does not exist: build it with 'make MODE=release' "
        "(libhpmm.so exists once shim/ has sources)",
        lib);
  return real;
}

// Said once per run, so a run where every test skips does not look like an empty suite.
ReportHook(PRE_ALL)(struct criterion_test_set *) {
  const char *lib = std::getenv("HPMM_LIB");
  if (lib == nullptr || *lib == '\0' || access(lib, R_OK) != 0)
    std::fprintf(stderr, "test_shim: HPMM_LIB=%s names no library: every test is skipped\n",
                 lib == nullptr ? "(unset)" : lib);
  else
    std::fprintf(stderr, "test_shim: testing %s under LD_PRELOAD\n", lib);
}

std::string prog(const char *name) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  cr_assert(n > 0, "cannot read /proc/self/exe");
  self[n] = '\0';
  std::string dir(self);
  dir.resize(dir.rfind('/'));
  std::string path = dir + "/shim-progs/" + name;
  cr_assert(access(path.c_str(), X_OK) == 0,
            "helper program %s is missing: build it with 'make %s' (the rule for "
            "tests/shim/progs/%s.cc)",
            path.c_str(), path.c_str(), name);
  return path;
}

namespace {

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Child side of run(): never returns.  Only async-signal-safe calls after fork() are strictly
// allowed, but the test process is single-threaded, so building the environment here is safe.
[[noreturn]] void exec_child(const std::vector<std::string> &argv, const RunOptions &opt,
                             const std::string &lib, int in_fd, int out_fd, int err_fd) {
  setpgid(0, 0);
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  if (!opt.cwd.empty() && chdir(opt.cwd.c_str()) != 0) _exit(126);
  std::vector<std::string> env;
  for (char **e = environ; *e != nullptr; e++)
    if (std::strncmp(*e, "LD_PRELOAD=", 11) != 0) env.emplace_back(*e);
  if (opt.preload) env.push_back("LD_PRELOAD=" + lib);
  for (const std::string &e : opt.env) env.push_back(e);
  std::vector<char *> cargv, cenv;
  for (const std::string &a : argv) cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);
  for (const std::string &e : env) cenv.push_back(const_cast<char *>(e.c_str()));
  cenv.push_back(nullptr);
  execvpe(cargv[0], cargv.data(), cenv.data());
  const char msg[] = "spawn: exec failed\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(127);
}

}  // namespace

RunResult run(const std::vector<std::string> &argv, const RunOptions &opt) {
  const std::string lib = opt.preload ? preload_lib() : std::string();
  int in[2], out[2], err[2];
  cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0,
            "pipe2: %s", strerror(errno));
  pid_t pid = fork();
  cr_assert(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) exec_child(argv, opt, lib, in[0], out[1], err[1]);
  setpgid(pid, pid);  // also in the parent, so killpg works whichever runs first
  close(in[0]);
  close(out[1]);
  close(err[1]);
  signal(SIGPIPE, SIG_IGN);  // a child that exits without reading its stdin
  RunResult r;
  size_t written = 0;
  int fds[3] = {opt.input.empty() ? -1 : in[1], out[0], err[0]};
  if (opt.input.empty()) close(in[1]);
  const double deadline = now_s() + opt.timeout_s;
  char buf[65536];
  while (fds[1] >= 0 || fds[2] >= 0) {
    const double left = deadline - now_s();
    if (left <= 0) {
      killpg(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    pollfd p[3];
    int np = 0, which[3];
    if (fds[0] >= 0) p[np] = {fds[0], POLLOUT, 0}, which[np++] = 0;
    if (fds[1] >= 0) p[np] = {fds[1], POLLIN, 0}, which[np++] = 1;
    if (fds[2] >= 0) p[np] = {fds[2], POLLIN, 0}, which[np++] = 2;
    if (poll(p, static_cast<nfds_t>(np), static_cast<int>(left * 1000) + 1) < 0) {
      if (errno == EINTR) continue;
      cr_assert_fail("poll: %s", strerror(errno));
    }
    for (int i = 0; i < np; i++) {
      if (p[i].revents == 0) continue;
      int &fd = fds[which[i]];
      if (which[i] == 0) {
        ssize_t n = write(fd, opt.input.data() + written, opt.input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 || written == opt.input.size()) close(fd), fd = -1;
        continue;
      }
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        (which[i] == 1 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fd);
        fd = -1;
      }
    }
  }
  for (int fd : fds)
    if (fd >= 0) close(fd);
  // The output pipes closed: the child is exiting (or was killed).  Wait for it without reaping
  // it, so its pid (the group's id) cannot be reused while the rest of its group -- a compiler
  // driver's children that detached their pipes, say -- is killed; then reap it.
  siginfo_t info;
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  killpg(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exited = WIFEXITED(status);
  r.status = r.exited ? WEXITSTATUS(status) : -1;
  r.signaled = WIFSIGNALED(status);
  r.signal = r.signaled ? WTERMSIG(status) : 0;
  return r;
}

TempDir::TempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/hpmm-shim-XXXXXX";
  cr_assert(mkdtemp(tmpl.data()) != nullptr, "mkdtemp(%s): %s", tmpl.c_str(), strerror(errno));
  path_ = tmpl;
}

namespace {
void remove_tree(const std::string &path) {
  if (DIR *d = opendir(path.c_str())) {
    while (dirent *e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      std::string child = path + "/" + e->d_name;
      struct stat st;
      if (lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        remove_tree(child);
      else
        unlink(child.c_str());
    }
    closedir(d);
  }
  rmdir(path.c_str());
}
}  // namespace

TempDir::~TempDir() {
  remove_tree(path_);
}

void TempDir::write(const std::string &name, const std::string &contents) const {
  std::ofstream f(file(name), std::ios::binary);
  f << contents;
  f.close();
  cr_assert(!f.fail(), "cannot write %s", file(name).c_str());
}

std::string excerpt(const std::string &s) {
  std::string e = s.substr(0, 600);
  if (s.size() > 600) e += "...";
  return e.empty() ? "(nothing)" : e;
}

void expect_ok(const RunResult &r, const std::string &expect, const char *what) {
  cr_assert(r.ok(), "%s: %s under %s; stderr: %s", what, r.describe().c_str(),
            std::getenv("HPMM_LIB"), excerpt(r.err).c_str());
  cr_assert(r.out.compare(0, expect.size(), expect) == 0, "%s: stdout does not begin with '%s': %s",
            what, expect.c_str(), excerpt(r.out).c_str());
}

void run_prog_ok(const char *name, const std::vector<std::string> &args, int timeout_s) {
  std::vector<std::string> argv{prog(name)};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions opt;
  opt.timeout_s = timeout_s;
  const RunResult r = run(argv, opt);
  std::string what = name;
  for (const std::string &a : args) what += " " + a;
  expect_ok(r, std::string(name) + ": ok", what.c_str());
}

}  // namespace shimtest
