// tests/cli/test_swap_cli.cc: hpmm-sim run with a swap file (path in HPMM_SIM, as
// test_binary.cc): the user's command works and reports the swap fields; the file is removed
// unless --keep-swap; every swap flag's bad value is a usage error (exit 2); a bad path, an
// existing file, a full disk (RLIMIT_FSIZE) and a kernel that refuses io_uring give a clear
// message and exit 1 -- or the documented fallback (auto, HPMM_SIM_URING=off, --swap-io sync).
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/json_flat.hpp"
#include "tests/cli/sim_runner.hpp"
#include "tests/pal/deny_io_uring.hpp"

namespace {

using Result = hpmm::test::SimRun;

std::string temp_name(const char *tag) {
  return hpmm::test::temp_path((std::string("_") + tag).c_str());
}

// Runs hpmm-sim run ARGS; in_child runs in the child before exec (limits, seccomp).
Result sim(const std::vector<std::string> &args, const std::function<void()> &in_child = {}) {
  std::vector<std::string> all = {"run", "--quiet"};
  all.insert(all.end(), args.begin(), args.end());
  return hpmm::test::run_sim(std::move(all), {"", nullptr, in_child});
}

std::map<std::string, std::string> json(const Result &r) {
  std::map<std::string, std::string> j;
  cr_assert(json_flat::parse(r.out, &j), "not valid JSON:\n%s\n%s", r.out.c_str(), r.err.c_str());
  return j;
}

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string trace_path() {
  return hpmm::test::data_path("tiny.lackey");
}

const char *const kThrash = "uniform:pages=300,accesses=20000,write=0.5";

}  // namespace

Test(swap_cli, the_users_command_on_a_trace) {
  const std::string swap = temp_name("trace");
  Result r = sim({"--trace", trace_path(), "--frames", "2", "--policy", "lru", "--swap", swap,
                  "--verify", "--json"});
  cr_assert_eq(r.status, 0, "%s", r.err.c_str());
  auto j = json(r);
  cr_assert_eq(j.at("swap.reads"), j.at("faults.major"));
  cr_assert_eq(j.at("swap.writes"), j.at("writebacks"));
  cr_assert(j.at("swap.store").find("io_uring") != std::string::npos, "%s",
            j.at("swap.store").c_str());
  cr_assert_eq(j.at("config.swap.path"), swap);
  cr_assert_eq(j.at("config.verify"), "true");
  cr_assert(j.count("verify.reads") && j.count("swap.io_us.major_fault_p99"));
  cr_assert_not(exists(swap), "the swap file is removed");
}

Test(swap_cli, thrashing_workload_verified_text_and_csv) {
  const std::string swap = temp_name("thrash");
  Result r = sim({"--workload", kThrash, "--frames", "64", "--policy", "lru", "--swap", swap,
                  "--verify", "--readahead", "4", "--json"});
  cr_assert_eq(r.status, 0, "%s", r.err.c_str());
  auto j = json(r);
  cr_assert_gt(std::stoull(j.at("faults.major")), 1000u);
  cr_assert_gt(std::stoull(j.at("verify.reads")), 1000u);
  cr_assert_eq(j.at("verify.pages"), j.at("faults.major"));
  cr_assert_gt(std::stoull(j.at("swap.readahead.issued")), 0u);
  // A write-back replacing one still queued for the same slot moves no extra bytes.
  cr_assert_leq(std::stoull(j.at("swap.bytes_written")), 4096 * std::stoull(j.at("swap.writes")));
  cr_assert_gt(std::stoull(j.at("swap.bytes_written")), 0u);
  Result t = sim({"--workload", kThrash, "--frames", "64", "--swap", swap, "--verify"});
  cr_assert_eq(t.status, 0, "%s", t.err.c_str());
  cr_assert(t.out.find("swap i/o time   major fault p50") != std::string::npos, "%s",
            t.out.c_str());
  cr_assert(t.out.find("no byte lost") != std::string::npos);
  Result c = sim({"--workload", kThrash, "--frames", "64", "--swap", swap, "--csv"});
  cr_assert_eq(c.status, 0, "%s", c.err.c_str());
  cr_assert(c.out.find("swap.readahead.hits") != std::string::npos);
}

Test(swap_cli, keep_swap_leaves_the_file_and_an_existing_file_is_refused) {
  const std::string swap = temp_name("keep");
  Result r = sim({"--workload", kThrash, "--frames", "64", "--swap", swap, "--keep-swap"});
  cr_assert_eq(r.status, 0, "%s", r.err.c_str());
  cr_assert(exists(swap));
  Result again = sim({"--workload", kThrash, "--frames", "64", "--swap", swap});
  cr_assert_eq(again.status, 1);
  cr_assert(again.err.find("hpmm-sim: cannot build the simulated machine: swap file '" + swap +
                           "': cannot create: EEXIST") != std::string::npos,
            "%s", again.err.c_str());
  cr_assert(exists(swap), "a file hpmm-sim did not create is left alone");
  unlink(swap.c_str());
}

Test(swap_cli, bad_and_unwritable_paths) {
  Result r = sim({"--workload", kThrash, "--swap", "/nonexistent-dir/hpmm.swap"});
  cr_assert_eq(r.status, 1);
  cr_assert(r.err.find("'/nonexistent-dir/hpmm.swap': cannot create: ENOENT") != std::string::npos,
            "%s", r.err.c_str());
  Result p =
      sim({"--workload", kThrash, "--swap", "/proc/hpmm.swap"});  // not writable, even by root
  cr_assert_eq(p.status, 1);
  cr_assert(p.err.find("'/proc/hpmm.swap': cannot create") != std::string::npos, "%s",
            p.err.c_str());
}

Test(swap_cli, disk_full_fails_loudly) {
  const std::string swap = temp_name("full");
  Result r = sim({"--workload", kThrash, "--frames", "16", "--swap", swap, "--verify"}, [] {
    struct rlimit lim = {128 * 1024, 128 * 1024};
    setrlimit(RLIMIT_FSIZE, &lim);
  });
  cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err.c_str());
  cr_assert(r.err.find("swap file '" + swap + "': slot") != std::string::npos &&
                r.err.find("EFBIG (File too large)") != std::string::npos,
            "%s", r.err.c_str());
  cr_assert(r.out.empty(), "no report of a failed run");
}

Test(swap_cli, flag_errors_are_usage_errors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--keep-swap"}, "--keep-swap needs --swap FILE"},
      {{"--swap-direct"}, "--swap-direct needs --swap FILE"},
      {{"--readahead", "4"}, "--readahead needs --swap FILE"},
      {{"--swap-io", "sync"}, "--swap-io needs --swap FILE"},
      {{"--swap", "x", "--readahead", "65"}, "--readahead: must be from 0 to 64"},
      {{"--swap", "x", "--readahead", "lots"}, "--readahead:"},
      {{"--swap", "x", "--swap-io", "aio"}, "--swap-io: unknown value 'aio' (auto, uring or sync)"},
      {{"--swap", ""}, "--swap: empty file name"},
      {{"--verify=1"}, "--verify takes no value"},
  };
  for (const auto &[args, want] : cases) {
    std::vector<std::string> a = {"--workload", kThrash};
    a.insert(a.end(), args.begin(), args.end());
    Result r = sim(a);
    cr_assert_eq(r.status, 2, "%s: status %d", want.c_str(), r.status);
    cr_assert(r.err.find(want) != std::string::npos, "want '%s', got %s", want.c_str(),
              r.err.c_str());
  }
}

Test(swap_cli, io_modes_and_the_fallback) {
  const std::string swap = temp_name("modes");
  auto store = [&](const std::vector<std::string> &extra, const std::function<void()> &child) {
    std::vector<std::string> a = {"--workload", kThrash, "--frames", "64",
                                  "--swap",     swap,    "--verify", "--json"};
    a.insert(a.end(), extra.begin(), extra.end());
    Result r = sim(a, child);
    cr_assert_eq(r.status, 0, "%s", r.err.c_str());
    return json(r).at("swap.store");
  };
  cr_assert(store({"--swap-io", "sync"}, {}).find("pread/pwrite (asked)") != std::string::npos);
  cr_assert(store({"--swap-io", "uring"}, {}).find("io_uring") != std::string::npos);
  cr_assert(store({}, [] {
              setenv("HPMM_SIM_URING", "off", 1);
            }).find("pread/pwrite (HPMM_SIM_URING=off)") != std::string::npos);
  auto refuse = [] { hpmm::test::deny_io_uring(EPERM); };
  cr_assert(store({}, refuse).find("pread/pwrite (io_uring refused: EPERM)") != std::string::npos);
  Result must = sim({"--workload", kThrash, "--swap", swap, "--swap-io", "uring"}, refuse);
  cr_assert_eq(must.status, 1);
  cr_assert(must.err.find("io_uring refused by the kernel: EPERM") != std::string::npos, "%s",
            must.err.c_str());
  cr_assert_not(exists(swap));
}

Test(swap_cli, o_direct_where_the_file_system_allows) {
  const std::string swap = "/var/tmp/hpmm_swapcli_direct_" + std::to_string(getpid());
  Result r = sim({"--workload", kThrash, "--frames", "64", "--swap", swap, "--swap-direct",
                  "--verify", "--json"});
  cr_assert_eq(r.status, 0, "%s", r.err.c_str());
  const std::string store = json(r).at("swap.store");
  cr_assert(store.find("O_DIRECT") != std::string::npos, "%s", store.c_str());
  cr_log_info("--swap-direct on /var/tmp: %s", store.c_str());
}
