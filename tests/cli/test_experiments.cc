// tests/cli/test_experiments.cc: hpmm-sim sweep, mrc, wss and multi, driven as a user runs them
// (the binary in HPMM_SIM, set by scripts/run-tests.sh): sweep rows equal single runs, mrc
// equals separate lru and opt runs, wss's working set of a loop, the thrashing collapse and load
// control, plots in PNG and SVG (when gnuplot is installed), and every bad input exiting non-zero
// with a message that names it.
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
using hpmm::test::slurp;
using hpmm::test::temp_file;
using hpmm::test::temp_path;

// Runs hpmm-sim with args; path_env, if not null, replaces PATH.
Run sim(std::vector<std::string> args, const char *path_env = nullptr) {
  return hpmm::test::run_sim(std::move(args), {"", path_env, {}});
}

std::string joined(const std::vector<std::string> &args) {
  std::string s;
  for (const std::string &a : args) s += a + " ";
  return s;
}

Run ok(const std::vector<std::string> &args) {
  Run r = sim(args);
  cr_assert_eq(r.status, 0, "'%s': exit %d: %s", joined(args).c_str(), r.status, r.err.c_str());
  return r;
}

void expect_failure(std::vector<std::string> args, int status, const std::string &what,
                    const char *path_env = nullptr) {
  Run r = sim(args, path_env);
  cr_assert_eq(r.status, status, "'%s': exit %d, expected %d (stderr: %s)", joined(args).c_str(),
               r.status, status, r.err.c_str());
  cr_assert(r.err.rfind("hpmm-sim: ", 0) == 0, "'%s': stderr should start 'hpmm-sim: ': %s",
            joined(args).c_str(), r.err.c_str());
  cr_assert(r.err.find(what) != std::string::npos, "'%s': stderr '%s' should contain '%s'",
            joined(args).c_str(), r.err.c_str(), what.c_str());
}

// A CSV with a header: one map per row.
std::vector<std::map<std::string, std::string>> csv(const std::string &text) {
  std::vector<std::vector<std::string>> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    lines.push_back(cells);
  }
  cr_assert(!lines.empty(), "empty CSV");
  std::vector<std::map<std::string, std::string>> rows;
  for (size_t i = 1; i < lines.size(); ++i) {
    cr_assert_eq(lines[i].size(), lines[0].size(), "row %zu has %zu cells, header %zu", i,
                 lines[i].size(), lines[0].size());
    std::map<std::string, std::string> row;
    for (size_t k = 0; k < lines[0].size(); ++k) row[lines[0][k]] = lines[i][k];
    rows.push_back(row);
  }
  return rows;
}

std::map<std::string, std::string> run_json(std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  args.push_back("--json");
  Run r = ok(args);
  std::map<std::string, std::string> j;
  cr_assert(json_flat::parse(r.out, &j), "not JSON: %s", r.out.c_str());
  return j;
}

const char *const kZipf = "zipf:pages=600,s=0.8,accesses=6000,write=0.2";

bool have_gnuplot() {
  return std::system("command -v gnuplot >/dev/null 2>&1") == 0;
}

}  // namespace

Test(experiments, sweep_rows_equal_single_runs) {
  std::string out = temp_path(".csv");
  ok({"sweep", "--workload", kZipf, "--frames", "16..256", "--policy", "lru,clock,opt,arc,linux",
      "--jobs", "2", "--csv", out, "--quiet"});
  auto rows = csv(slurp(out));
  unlink(out.c_str());
  cr_assert_eq(rows.size(), 5u * 5u);  // 16 32 64 128 256, five policies
  for (size_t i = 0; i < rows.size(); i += 3) {
    auto &r = rows[i];
    auto j = run_json({"--workload", kZipf, "--frames", r["frames"], "--policy", r["policy"]});
    cr_assert_eq(j["faults.total"], r["faults"], "%s/%s", r["policy"].c_str(), r["frames"].c_str());
    cr_assert_eq(j["translations"], r["translations"]);
    cr_assert_eq(j["tlb.l1.miss_rate"], r["tlb_l1_miss_rate"]);
    cr_assert_eq(j["cycles_per_access"], r["cycles_per_access"]);
  }
}

Test(experiments, sweep_ranges) {
  Run r = ok({"sweep", "--workload", "seq:pages=64,passes=2", "--frames", "10..100/4", "--linear",
              "--policy", "fifo", "-q"});
  auto rows = csv(r.out);
  cr_assert_eq(rows.size(), 4u);
  cr_assert_eq(rows[0]["frames"], "10");
  cr_assert_eq(rows[1]["frames"], "40");
  cr_assert_eq(rows[3]["frames"], "100");
  // A loop of 64 pages (32768 accesses each pass): below 64 frames fifo faults on every page of
  // both passes, from 64 up only on the first.
  cr_assert_eq(rows[0]["faults"], "128");
  cr_assert_eq(rows[1]["faults"], "128");
  cr_assert_eq(rows[2]["faults"], "64");
  cr_assert_eq(rows[3]["faults"], "64");
  // --limit cuts the source for every run, as run's does.
  auto cut = csv(ok({"sweep", "--workload", "seq:pages=64", "--limit", "100", "--frames", "4,8",
                     "--policy", "lru", "-q"})
                     .out);
  cr_assert_eq(cut.size(), 2u);
  cr_assert_eq(cut[0]["accesses"], "100");
}

Test(experiments, mrc_equals_separate_runs) {
  Run r = ok(
      {"mrc", "--workload", kZipf, "--frames", "1,7,50,200,599,700", "--opt-frames", "300", "-q"});
  auto rows = csv(r.out);
  cr_assert_eq(rows.size(), 6u);
  for (auto &row : rows) {
    auto lru = run_json({"--workload", kZipf, "--frames", row["frames"], "--policy", "lru"});
    cr_assert_eq(lru["faults.total"], row["lru_faults"], "lru at %s frames", row["frames"].c_str());
    cr_assert_eq(row["lru_mae_bound"], "0");
    if (std::stoull(row["frames"]) <= 300) {
      auto opt = run_json({"--workload", kZipf, "--frames", row["frames"], "--policy", "opt"});
      cr_assert_eq(opt["faults.total"], row["opt_faults"], "opt at %s", row["frames"].c_str());
    } else {
      cr_assert_eq(row["opt_faults"], "", "opt is not known past --opt-frames");
    }
  }
}

Test(experiments, mrc_every_size_and_sampled_bound) {
  Run r = ok({"mrc", "--workload", "seq:pages=50,passes=3", "-q"});
  auto rows = csv(r.out);
  cr_assert_eq(rows.size(), 50u, "one row per frame count up to the footprint");
  cr_assert_eq(rows[48]["lru_faults"],
               "150");  // a loop: below 50 frames every pass faults on each page
  cr_assert_eq(rows[49]["lru_faults"], "50");
  Run s = ok({"mrc", "--workload", "uniform:pages=4000,accesses=40000", "--sample", "0.1"});
  auto srows = csv(s.out);
  cr_assert(!srows.empty());
  cr_assert(s.err.find("mean absolute error of the miss ratio <=") != std::string::npos, "%s",
            s.err.c_str());
  cr_assert(std::stod(srows[0]["lru_mae_bound"]) > 0);
}

Test(experiments, wss_of_a_loop) {
  // One access per page (size=4096): 6 passes over 100 pages, 600 references.
  std::string life = temp_path(".csv");
  Run r = ok({"wss", "--workload", "seq:pages=100,passes=6,size=4096", "--window", "150",
              "--interval", "50", "--lifetime", life, "-q"});
  auto rows = csv(r.out);
  cr_assert_eq(rows.size(), 600u / 50u);
  cr_assert_eq(rows[0]["t"], "49");
  cr_assert_eq(rows[0]["wss"], "50");
  for (auto &row : rows)  // from t = 149 every window of 150 holds all 100 pages
    if (std::stoull(row["t"]) >= 149) cr_assert_eq(row["wss"], "100", "t=%s", row["t"].c_str());
  auto pts = csv(slurp(life));
  unlink(life.c_str());
  bool saw_ws = false, saw_lru = false;
  for (auto &p : pts) {
    if (p["policy"] == "ws" && p["param"] == "128") {  // tau >= 100: the 100 cold misses only
      cr_assert_eq(p["faults"], "100");
      saw_ws = true;
    }
    if (p["policy"] == "lru" && p["param"] == "64") {  // LRU below the loop: every reference
      cr_assert_eq(p["faults"], "600");
      saw_lru = true;
    }
  }
  cr_assert(saw_ws && saw_lru);
}

Test(experiments, multi_collapse_and_load_control) {
  // Four programs' working sets (50 pages each) fill the 200 frames; from five on they do not.
  const std::vector<std::string> base = {
      "multi",    "--workload", "uniform:pages=50,accesses=20000,write=0.3",
      "--frames", "200",        "--max-programs",
      "7",        "--quantum",  "1000",
      "-q"};
  auto without = csv(ok(base).out);
  std::vector<std::string> lc = base;
  lc.push_back("--load-control");
  auto with = csv(ok(lc).out);
  cr_assert_eq(without.size(), 7u);
  double peak = 0;
  for (auto &row : without) peak = std::max(peak, std::stod(row["throughput_per_1000_cycles"]));
  const double last = std::stod(without.back()["throughput_per_1000_cycles"]);
  cr_assert(last < 0.25 * peak, "no collapse without load control: %g vs peak %g", last, peak);
  for (auto &row : with) {
    const double t = std::stod(row["throughput_per_1000_cycles"]);
    cr_assert(t >= 0.5 * peak, "with load control %s programs fell to %g (peak %g)",
              row["programs"].c_str(), t, peak);
  }
  cr_assert(std::stoull(with.back()["suspended_max"]) >= 1);
}

Test(experiments, plots_png_and_svg) {
  if (!have_gnuplot()) {
    cr_log_warn("gnuplot is not installed: the plot tests are skipped");
    cr_skip_test("gnuplot missing");
  }
  std::string png = temp_path(".png"), svg = temp_path(".svg"), m = temp_path(".svg"),
              w = temp_path(".png"), u = temp_path(".png");
  ok({"sweep", "--workload", kZipf, "--frames", "16..256", "--policy", "lru,2q", "--plot", png,
      "-q"});
  ok({"sweep", "--workload", kZipf, "--frames", "16..256", "--policy", "lru", "--plot", svg, "-q"});
  ok({"mrc", "--workload", kZipf, "--opt-frames", "100", "--plot", m, "-q"});
  ok({"wss", "--workload", kZipf, "--window", "500", "--plot", w, "-q"});
  ok({"multi", "--workload", "uniform:pages=20,accesses=2000", "--frames", "40", "--max-programs",
      "3", "--plot", u, "-q"});
  for (const std::string &p : {png, w, u}) {
    std::string data = slurp(p);
    cr_assert(data.size() > 1000 && data.compare(1, 3, "PNG") == 0, "%s is not a PNG", p.c_str());
    unlink(p.c_str());
  }
  for (const std::string &p : {svg, m}) {
    cr_assert(slurp(p).find("<svg") != std::string::npos, "%s is not an SVG", p.c_str());
    unlink(p.c_str());
  }
}

Test(experiments, bad_input) {
  const std::string w = "--workload=seq:pages=8";
  expect_failure({"sweep", w, "--frames", "0..5"}, 2, "--frames: frame counts must be >= 1");
  expect_failure({"sweep", w, "--frames", "16..8"}, 2, "--frames: the range is reversed");
  expect_failure({"sweep", w, "--frames", "4..x"}, 2, "--frames");
  expect_failure({"sweep", w, "--frames", "4..8", "--policy", "lru,mru"}, 2,
                 "--policy: unknown policy 'mru'");
  expect_failure({"sweep", w, "--frames", "4..8", "--jobs", "0"}, 2, "--jobs: must be from 1");
  expect_failure({"sweep", w}, 2, "give --frames");
  expect_failure({"sweep", w, "--frames", "4..8", "--json"}, 2, "--json applies to run only");
  expect_failure({"mrc", w, "--sample", "2"}, 2, "--sample");
  expect_failure({"wss", w, "--window", "0"}, 2, "--window");
  expect_failure({"wss", w, "--jobs", "2"}, 2, "--jobs does not apply to wss");
  expect_failure({"multi", "--trace", "x", "--frames", "8"}, 2,
                 "multi runs copies of a --workload");
  expect_failure({"multi", w, "--frames", "8..16"}, 2, "multi takes one frame count");
  expect_failure({"multi", w, "--frames", "8", "--limit", "5"}, 2, "--limit does not apply");
  expect_failure({"multi", w, "--frames", "8", "--policy", "opt"}, 1, "multi: opt needs");
  expect_failure({"sweep", w, "--frames", "4..8", "--plot", "out.pdf"}, 2,
                 "must end in .png or .svg");
  expect_failure({"sweep", w, "--frames", "4..8", "--csv", "/nonexistent/dir/s.csv"}, 1,
                 "cannot write '/nonexistent/dir/s.csv'");
  expect_failure({"mrc", w, "--plot", "/nonexistent/dir/m.png"}, 1,
                 "cannot write '/nonexistent/dir/m.png'");
  expect_failure({"sweep", w, "--frames", "4..8", "--plot", temp_path(".png")}, 1,
                 "gnuplot not found", "/nonexistent");
  expect_failure({"sweep", "--trace", "/nonexistent.trace", "--frames", "4..8"}, 1,
                 "/nonexistent.trace");
  std::string bad = temp_file(" L 1000,8\n S 2000,8\n L zz12,8\n");
  expect_failure({"sweep", "--trace", bad, "--frames", "4..8"}, 1, bad + ":3: bad address 'zz12'");
  expect_failure({"mrc", "--trace", bad}, 1, bad + ":3: bad address 'zz12'");
  expect_failure({"wss", "--trace", bad}, 1, bad + ":3: bad address 'zz12'");
  unlink(bad.c_str());
  Run h = ok({"sweep", "--help"});
  cr_assert(h.out.find("usage: hpmm-sim sweep") != std::string::npos);
}
