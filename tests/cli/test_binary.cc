// tests/cli/test_binary.cc: drives the real hpmm-sim (path in HPMM_SIM, set by
// scripts/run-tests.sh) with posix_spawn: every bad-input path gives "hpmm-sim: ..." naming the
// flag or file:line and the documented exit status; end-to-end runs give a JSON report whose
// counters are consistent, a CSV header and row, and the same counts from a file and stdin.
#include <criterion/criterion.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/json_flat.hpp"
#include "tests/cli/sim_runner.hpp"

namespace {

using Run = hpmm::test::SimRun;
using hpmm::test::data_path;
using hpmm::test::slurp;
using hpmm::test::temp_file;

// Runs hpmm-sim with args; stdin from the file stdin_path ("" = /dev/null).
Run sim(std::vector<std::string> args, const std::string &stdin_path = "") {
  return hpmm::test::run_sim(std::move(args), {stdin_path, nullptr, {}});
}

void expect_failure(std::vector<std::string> args, int status, const std::string &what) {
  Run r = sim(args);
  std::string line;
  for (auto &a : args) line += a + " ";
  cr_assert_eq(r.status, status, "'%s': exit %d, expected %d (stderr: %s)", line.c_str(), r.status,
               status, r.err.c_str());
  cr_assert(r.err.rfind("hpmm-sim: ", 0) == 0, "'%s': stderr should start 'hpmm-sim: ': %s",
            line.c_str(), r.err.c_str());
  cr_assert(r.err.find(what) != std::string::npos, "'%s': stderr '%s' should contain '%s'",
            line.c_str(), r.err.c_str(), what.c_str());
  cr_assert_eq(r.out, "", "'%s': nothing on stdout after an error", line.c_str());
}

std::map<std::string, std::string> json(const Run &r) {
  cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err.c_str());
  std::map<std::string, std::string> j;
  cr_assert(json_flat::parse(r.out, &j), "not valid JSON:\n%s", r.out.c_str());
  return j;
}

uint64_t num(std::map<std::string, std::string> &j, const char *key) {
  cr_assert(j.count(key) == 1, "JSON lacks %s", key);
  return std::stoull(j[key]);
}

// The counting invariants a report must keep (hpmm-sim(1), "OUTPUT").
void check_consistent(std::map<std::string, std::string> &j) {
  cr_assert_eq(num(j, "faults.total"), num(j, "faults.minor") + num(j, "faults.major"));
  cr_assert_eq(num(j, "tlb.l1.hits") + num(j, "tlb.l1.misses"), num(j, "translations"));
  cr_assert_eq(num(j, "accesses"), num(j, "reads") + num(j, "writes") + num(j, "ifetches"));
  if (j.count("tlb.l2.hits") != 0) {
    cr_assert_eq(num(j, "tlb.l2.hits") + num(j, "tlb.l2.misses"), num(j, "tlb.l1.misses"));
    cr_assert_eq(num(j, "walks"), num(j, "tlb.l2.misses"));
  } else {
    cr_assert_eq(num(j, "walks"), num(j, "tlb.l1.misses"));
  }
  cr_assert(num(j, "faults.total") <= num(j, "walks"));
  cr_assert(num(j, "writebacks") <= num(j, "evictions"));
  cr_assert(num(j, "evictions") <= num(j, "faults.total"));
  for (const char *k : {"walk_refs", "shootdowns", "resident_pages", "pwc_hits.pde",
                        "cycles_per_access", "backing", "config.page_size", "config.tlb.l2"})
    cr_assert(j.count(k) == 1, "JSON lacks %s", k);
}

// Records in tests/cli/data/tiny.lackey (see its README).
constexpr uint64_t kI = 3186, kL = 218, kS = 166, kM = 430;

}  // namespace

Test(cli_binary, help_and_version) {
  Run h = sim({"--help"});
  cr_assert_eq(h.status, 0);
  cr_assert(h.out.find("usage: hpmm-sim run") != std::string::npos);
  Run r = sim({"run", "--help"});
  cr_assert_eq(r.status, 0);
  cr_assert(r.out.find("--workload SPEC") != std::string::npos);
  Run v = sim({"--version"});
  cr_assert_eq(v.status, 0);
  cr_assert(v.out.rfind("hpmm-sim", 0) == 0);
}

Test(cli_binary, usage_errors_exit_2) {
  const std::string t = data_path("tiny.lackey");
  expect_failure({}, 2, "missing command");
  expect_failure({"frobnicate"}, 2, "unknown command 'frobnicate'");
  expect_failure({"run", "--trace", t, "--bogus"}, 2, "unknown flag '--bogus'");
  expect_failure({"run", "--trace"}, 2, "--trace: missing value");
  expect_failure({"run", "--trace", t, "--frames", "12x"}, 2,
                 "--frames: not a whole number ('12x')");
  expect_failure({"run", "--trace", t, "--memory", "64Q"}, 2, "--memory: unknown suffix 'Q'");
  expect_failure({"run", "--trace", t, "--page-size", "3k"}, 2,
                 "--page-size: unknown page size '3k'");
  expect_failure({"run", "--trace", t, "--workload", "seq:pages=4"}, 2,
                 "--trace and --workload are exclusive");
  expect_failure({"run"}, 2, "give a source: --trace FILE or --workload SPEC");
  expect_failure({"run", "--trace", t, "--tlb", "l1=16by4"}, 2,
                 "--tlb: l1: '16by4' is not SETSxWAYS");
  expect_failure({"run", "--trace", t, "--policy", "mru"}, 2, "--policy: unknown value 'mru'");
  expect_failure({"run", "--trace", t, "--tlb-policy", "x"}, 2, "--tlb-policy: unknown value 'x'");
  expect_failure({"run", "--workload", "zipf:pages=10,s=-1,accesses=5"}, 2,
                 "--workload: zipf: s: not a number ('-1')");
  expect_failure({"run", "--workload", "seq:pages=10,colour=red"}, 2, "unknown key 'colour'");
  expect_failure({"run", "--trace", t, "--json", "--csv"}, 2, "--json and --csv are exclusive");
  Run r = sim({"run", "--bogus"});
  cr_assert(r.err.find("Try 'hpmm-sim run --help'.") != std::string::npos, "%s", r.err.c_str());
}

Test(cli_binary, run_failures_exit_1) {
  expect_failure({"run", "--trace", "/nonexistent/ls.trace"}, 1,
                 "cannot open '/nonexistent/ls.trace': No such file or directory");
  std::string bad = temp_file(" L 1000,4\n S 2000,8\n L zz12,4\n L 3000,4\n");
  expect_failure({"run", "--trace", bad, "--json"}, 1, bad + ":3: bad address 'zz12'");
  std::string bad_text = temp_file("# text\nR 0x1000 4\nW 0x2000 0\n");
  expect_failure({"run", "--trace", bad_text}, 1, bad_text + ":3: size 0");
  std::string far = temp_file("W 0x1000000000000 8\n");
  expect_failure({"run", "--trace", far}, 1,
                 far + ":1: address 0x1000000000000 + size 8 is past the 48-bit address space");
  Run five = sim({"run", "--trace", far, "--levels", "5"});
  cr_assert_eq(five.status, 0, "57 bits with --levels 5: %s", five.err.c_str());
  unlink(far.c_str());
  std::string junk = temp_file(" L 1000,4 junk\n");
  expect_failure({"run", "--trace", junk, "--format", "lackey"}, 1,
                 junk + ":1: trailing junk 'junk'");
  expect_failure({"run", "--workload", "seq:pages=4", "--output", "/nonexistent/dir/out.json"}, 1,
                 "cannot write '/nonexistent/dir/out.json'");
  // From stdin the error names <stdin>.
  Run s = sim({"run", "--trace", "-"}, bad);
  cr_assert_eq(s.status, 1);
  cr_assert(s.err.find("hpmm-sim: <stdin>:3: bad address 'zz12'") == 0, "%s", s.err.c_str());
  unlink(bad.c_str());
  unlink(bad_text.c_str());
  unlink(junk.c_str());
}

Test(cli_binary, lackey_trace_json_is_consistent) {
  auto j = json(sim({"run", "--trace", data_path("tiny.lackey"), "--json"}));
  check_consistent(j);
  cr_assert_eq(num(j, "reads"), kL + kM, "M is one read ...");
  cr_assert_eq(num(j, "writes"), kS + kM, "... and one write");
  cr_assert_eq(num(j, "ifetches"), 0u, "instruction fetches only with --ifetch");
  cr_assert_eq(j["config.format"], "lackey");
  cr_assert_eq(j["config.format_detected"], "true");
  auto i = json(sim({"run", "--trace", data_path("tiny.lackey"), "--json", "--ifetch"}));
  check_consistent(i);
  cr_assert_eq(num(i, "ifetches"), kI);
  cr_assert(num(i, "translations") > num(j, "translations"));
}

Test(cli_binary, stdin_gives_the_same_counts) {
  auto f = json(sim({"run", "--trace", data_path("tiny.lackey"), "--json"}));
  auto s = json(sim({"run", "--trace", "-", "--json"}, data_path("tiny.lackey")));
  for (const char *k : {"accesses", "translations", "tlb.l1.hits", "tlb.l1.misses", "walks",
                        "faults.total", "evictions"})
    cr_assert_eq(f[k], s[k], "%s: file %s, stdin %s", k, f[k].c_str(), s[k].c_str());
  cr_assert_eq(s["config.source"], "trace:-");
}

Test(cli_binary, csv_header_and_row) {
  Run r = sim({"run", "--trace", data_path("tiny.lackey"), "--csv", "--tlb", "l2=none"});
  cr_assert_eq(r.status, 0, "%s", r.err.c_str());
  size_t nl = r.out.find('\n');
  cr_assert(nl != std::string::npos);
  std::string header = r.out.substr(0, nl), row = r.out.substr(nl + 1);
  cr_assert_eq(row.find('\n'), row.size() - 1, "exactly one data row");
  cr_assert(header.rfind("accesses,reads,writes,ifetches,translations,tlb.l1.hits,", 0) == 0, "%s",
            header.c_str());
  cr_assert(header.find("faults.total") != std::string::npos);
  cr_assert(header.find("tlb.l2.hits") == std::string::npos, "no L2, no L2 columns");
  auto j = json(sim({"run", "--trace", data_path("tiny.lackey"), "--json", "--tlb", "l2=none"}));
  check_consistent(j);
  cr_assert(row.rfind(j["accesses"] + "," + j["reads"] + "," + j["writes"] + ",", 0) == 0, "%s",
            row.c_str());
  Run n =
      sim({"run", "--trace", data_path("tiny.lackey"), "--csv", "--no-header", "--tlb", "l2=none"});
  cr_assert_eq(n.out.substr(0, n.out.find(',')), j["accesses"]);
}

Test(cli_binary, workloads_policies_and_output_file) {
  auto j = json(sim({"run", "--workload", "stride:pages=64,step=16,passes=2,size=64", "--frames",
                     "32", "--policy", "lru", "--json"}));
  check_consistent(j);
  cr_assert_eq(num(j, "accesses"), 64u * 64 * 2);
  cr_assert_eq(j["config.policy"], "lru");
  cr_assert(num(j, "evictions") > 0, "64 pages over 32 frames must evict");
  for (const char *p : {"fifo", "clock", "opt", "random"}) {
    auto k = json(sim({"run", "--workload", "zipf:pages=256,s=1,accesses=5000", "--frames", "64",
                       "--policy", p, "--json"}));
    check_consistent(k);
    cr_assert_eq(num(k, "accesses"), 5000u, "policy %s", p);
  }
  // Determinism: one seed, one result.
  auto a = json(sim(
      {"run", "--workload", "uniform:pages=500,accesses=3000,write=0.3", "--json", "--seed", "9"}));
  auto b = json(sim(
      {"run", "--workload", "uniform:pages=500,accesses=3000,write=0.3", "--json", "--seed", "9"}));
  for (const char *k : {"writes", "tlb.l1.misses", "faults.total", "evictions", "writebacks"})
    cr_assert_eq(a[k], b[k], "%s", k);
  // --limit and --output.
  std::string out = temp_file("");
  Run o = sim({"run", "--workload", "seq:pages=100", "--limit", "1000", "--json", "-o", out});
  cr_assert_eq(o.status, 0, "%s", o.err.c_str());
  cr_assert_eq(o.out, "");
  std::map<std::string, std::string> f;
  cr_assert(json_flat::parse(slurp(out), &f));
  cr_assert_eq(f["accesses"], "1000");
  cr_assert_eq(f["config.limit"], "1000");
  unlink(out.c_str());
}

Test(cli_binary, text_trace_and_human_summary) {
  std::string t = temp_file("# hpmm text trace\nR 0x1000 8\nW 0x2000\nM 0x3000 4\n");
  Run r = sim({"run", "--trace", t});
  cr_assert_eq(r.status, 0, "%s", r.err.c_str());
  cr_assert(r.out.find("(text, detected)") != std::string::npos, "%s", r.out.c_str());
  cr_assert(r.out.find("accesses        4 (reads 2, writes 2, ifetches 0)") != std::string::npos,
            "%s", r.out.c_str());
  unlink(t.c_str());
}

Test(cli_binary, column_walk_misses_the_tlb_and_huge_pages_fix_it) {
  // 4096 pages in rows of 16 pages: a column touches 256 pages, more than the L1 holds.
  const std::string col = "stride:pages=4096,step=16,size=512", row = col + ",order=row";
  auto c = json(sim({"run", "--workload", col, "--frames", "4096", "--json"}));
  auto r = json(sim({"run", "--workload", row, "--frames", "4096", "--json"}));
  check_consistent(c);
  check_consistent(r);
  cr_assert_eq(num(c, "accesses"), num(r, "accesses"));
  cr_assert_eq(num(r, "tlb.l1.misses"), 4096u, "row order: one L1 miss per page");
  cr_assert_eq(num(c, "tlb.l1.misses"), num(c, "accesses"),
               "column order: 256 pages per column, LRU over 64 L1 entries: every access misses");
  auto h = json(sim({"run", "--workload", col, "--page-size", "2m", "--frames", "8", "--json"}));
  check_consistent(h);
  cr_assert_eq(num(h, "tlb.l1.misses"), 8u, "16 MiB is 8 huge pages, each missed once");
  cr_assert_eq(num(h, "tlb.l1.2m.hits"), num(h, "tlb.l1.hits"));
}

Test(cli_binary, mixed_page_sizes_use_both_l1_arrays) {
  // The first 2 MiB of the workload's 4 MiB are a 2m region, the rest 4k pages.
  auto j = json(sim({"run", "--workload", "seq:pages=1024,size=4k", "--region", "0x40000000:2m:2m",
                     "--frames", "4k=512,2m=1", "--json"}));
  check_consistent(j);
  cr_assert_eq(num(j, "tlb.l1.2m.misses"), 1u);
  cr_assert_eq(num(j, "tlb.l1.2m.hits"), 511u);
  cr_assert_eq(num(j, "tlb.l1.4k.misses"), 512u);
  cr_assert_eq(num(j, "faults.total"), 513u);
  cr_assert_eq(j["config.regions.0"], "0x40000000:2m:2m");
}
