// cli/experiment_main.cc: the dispatcher of the experiment subcommands (sweep, mrc, wss, multi)
// and their usage text; hpmm-sim(1), "EXPERIMENTS", is the full reference.
#include <cstdio>

#include "cli/experiment.hpp"

namespace hpmm::cli {

int run_sweep(const ExperimentOptions &o);
int run_mrc(const ExperimentOptions &o);
int run_wss(const ExperimentOptions &o);
int run_multi(const ExperimentOptions &o);

std::string experiment_usage_text() {
  return R"(usage: hpmm-sim sweep (--trace FILE|- | --workload SPEC) --frames RANGE
                       [--policy LIST] [--jobs N] [--csv FILE] [--plot FILE.png|.svg]
       hpmm-sim mrc   (--trace FILE|- | --workload SPEC) [--sample RATE|auto|exact]
                       [--opt-frames N] [--frames RANGE] [--csv FILE] [--plot FILE]
       hpmm-sim wss   (--trace FILE|- | --workload SPEC) [--window TAU] [--interval N]
                       [--lifetime FILE] [--csv FILE] [--plot FILE]
       hpmm-sim multi --workload SPEC --frames N [--max-programs N] [--quantum N]
                       [--load-control] [--window TAU] [--policy NAME] [--csv FILE] [--plot FILE]

  sweep   one run per (policy, frame count); CSV: frames,policy,accesses,translations,faults,
          faults_minor,faults_major,faults_per_1000,tlb_l1_miss_rate,tlb_l2_miss_rate,
          cycles_per_access.  The plot marks the mean working set, the footprint and the knees.
  mrc     the LRU fault curve for every frame count in one pass (exact, or a SHARDS sample
          with its error bound), and OPT's up to --opt-frames
  wss     Denning's working set w(t, TAU) over time and the lifetime curves (--lifetime)
  multi   1 .. N programs sharing the frames round-robin: throughput, with or without
          working-set load control

  --frames RANGE   A..B (doubling from A, then B), A..B/N (N log-spaced points), A,B,C;
                   --linear makes A..B/N evenly spaced (A..B alone: 16 points)
  --policy LIST    fifo,lru,clock,opt,random,2q,arc,lirs,linux (sweep default fifo,lru,clock,opt)
  --jobs N         runs at once (default: the cores this process may run on)
  --csv FILE       the table (default standard output);  --plot FILE  a gnuplot PNG or SVG
  --quiet, -q      no progress bar and no summary on stderr

The source and machine flags are those of run (see run --help): --trace, --format, --workload,
--page-size, --levels, --tlb, --tlb-policy, --pwc, --cost, --ref-bits, --seed, --limit, --ifetch.
)";
}

int experiment_main(int argc, const char *const *argv) {
  ExperimentOptions o;
  std::string err;
  if (!parse_experiment(argc, argv, &o, &err)) {
    std::fprintf(stderr, "hpmm-sim: %s: %s\nTry 'hpmm-sim %s --help'.\n", argv[1], err.c_str(),
                 argv[1]);
    return 2;
  }
  if (o.help) {
    std::fputs(experiment_usage_text().c_str(), stdout);
    return 0;
  }
  switch (o.experiment) {
    case Experiment::kSweep:
      return run_sweep(o);
    case Experiment::kMrc:
      return run_mrc(o);
    case Experiment::kWss:
      return run_wss(o);
    case Experiment::kMulti:
      return run_multi(o);
  }
  return 2;
}

}  // namespace hpmm::cli
