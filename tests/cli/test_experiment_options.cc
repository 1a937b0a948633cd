// tests/cli/test_experiment_options.cc: the command line of sweep, mrc, wss and multi without
// running anything: frame ranges, policy lists, the knee, and how flags are split between the
// experiment and `run`'s parser.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "cli/experiment.hpp"

using namespace hpmm;
using namespace hpmm::cli;

namespace {

std::vector<uint64_t> range(const std::string &v, bool linear = false) {
  std::vector<uint64_t> out;
  std::string err = parse_frame_range(v, linear, &out);
  cr_assert_eq(err, "", "'%s': %s", v.c_str(), err.c_str());
  return out;
}

bool parse(std::vector<const char *> args, ExperimentOptions *o, std::string *err) {
  args.insert(args.begin(), "hpmm-sim");
  return parse_experiment(static_cast<int>(args.size()), args.data(), o, err);
}

}  // namespace

Test(experiment_options, frame_ranges) {
  cr_assert(range("16..100") == (std::vector<uint64_t>{16, 32, 64, 100}));
  cr_assert(range("16..64") == (std::vector<uint64_t>{16, 32, 64}));
  cr_assert(range("7..7") == (std::vector<uint64_t>{7}));
  cr_assert(range("1..1000/4") == (std::vector<uint64_t>{1, 10, 100, 1000}));
  cr_assert(range("16..32/3", true) == (std::vector<uint64_t>{16, 24, 32}));
  cr_assert_eq(range("1..160", true).size(), 16u);
  cr_assert(range("3,5,9") == (std::vector<uint64_t>{3, 5, 9}));
  std::vector<uint64_t> out;
  cr_assert(parse_frame_range("0..5", false, &out).find(">= 1") != std::string::npos);
  cr_assert(parse_frame_range("16..8", false, &out).find("reversed") != std::string::npos);
  cr_assert(parse_frame_range("5,3", false, &out).find("increase") != std::string::npos);
  cr_assert(parse_frame_range("1..9/1", false, &out).find("from 2 to 10000") != std::string::npos);
  cr_assert(parse_frame_range("1..x", false, &out) != "");
  cr_assert(parse_frame_range("", false, &out) != "");
  cr_assert(parse_frame_range("1..4294967296", false, &out).find("2^31") != std::string::npos);
}

Test(experiment_options, policy_lists) {
  std::vector<sim::PageReplacement> p;
  cr_assert_eq(parse_policy_list("lru,2q,linux", &p), "");
  cr_assert(
      p == (std::vector<sim::PageReplacement>{sim::PageReplacement::kLru, sim::PageReplacement::k2Q,
                                              sim::PageReplacement::kLinux}));
  cr_assert(parse_policy_list("lru,mru", &p).find("unknown policy 'mru'") != std::string::npos);
  cr_assert(parse_policy_list("lru,lru", &p).find("twice") != std::string::npos);
  cr_assert(parse_policy_list("lru,", &p).find("unknown policy ''") != std::string::npos);
}

Test(experiment_options, knee) {
  const double loop[] = {100, 100, 100, 2, 1, 1};
  cr_assert_eq(knee_index(loop), 3u);
  const double flat[] = {5, 5, 5};
  cr_assert_eq(knee_index(flat), 0u);
  const double gradual[] = {100, 80, 60, 40, 20, 10, 5, 0};
  cr_assert_eq(knee_index(gradual), 5u);  // 10 - 0 <= 0.1 * (100 - 0)
  cr_assert_eq(knee_index(std::span<const double>()), 0u);
}

Test(experiment_options, split_between_experiment_and_run) {
  ExperimentOptions o;
  std::string err;
  cr_assert(parse({"sweep", "--workload", "seq:pages=8", "--frames", "4..16", "--policy", "lru,arc",
                   "--page-size", "2m", "--jobs=3", "--csv", "-", "--seed", "9"},
                  &o, &err),
            "%s", err.c_str());
  cr_assert_eq(o.experiment, Experiment::kSweep);
  cr_assert(o.frames == (std::vector<uint64_t>{4, 8, 16}));
  cr_assert_eq(o.policies.size(), 2u);
  cr_assert_eq(o.jobs, 3u);
  cr_assert_eq(o.csv, "-");
  cr_assert(o.base.has_workload);
  cr_assert_eq(o.base.config.page_size, PageSize::k2M);  // run's flags reach run's parser
  cr_assert_eq(o.base.config.seed, 9u);
  cr_assert(parse({"multi", "--workload", "seq:pages=8", "--frames", "64", "--load-control",
                   "--window", "500", "--max-programs", "3"},
                  &o, &err),
            "%s", err.c_str());
  cr_assert(o.load_control);
  cr_assert_eq(o.window, 500u);
  cr_assert_eq(o.max_programs, 3u);
  cr_assert_eq(o.policies[0], sim::PageReplacement::kLru);
  cr_assert(parse({"mrc", "--trace", "-", "--sample", "0.05"}, &o, &err), "%s", err.c_str());
  cr_assert_eq(o.sample, 0.05);
  cr_assert(parse({"mrc", "--trace", "-", "--sample", "1"}, &o, &err));
  cr_assert_eq(o.sample, 0.0, "rate 1 is the exact pass");
  cr_assert(!parse({"sweep", "--trace", "x", "--frames", "4", "--tlb", "l9=1x1"}, &o, &err));
  cr_assert(err.find("--tlb") != std::string::npos, "%s", err.c_str());
  cr_assert(!parse({"mrc", "--trace", "x", "--csv"}, &o, &err));
  cr_assert(err.find("--csv: missing value") != std::string::npos, "%s", err.c_str());
  cr_assert(!parse({"wss", "--trace", "x", "--quiet=1"}, &o, &err));
  cr_assert(err.find("takes no value") != std::string::npos, "%s", err.c_str());
  cr_assert(!parse({"sweep", "--trace", "x", "--frames", "4", "--frames", "8"}, &o, &err));
  cr_assert(err.find("given twice") != std::string::npos, "%s", err.c_str());
  cr_assert(is_experiment("sweep") && is_experiment("multi") && !is_experiment("run"));
}
