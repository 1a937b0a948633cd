// cli/experiment.hpp: the experiment subcommands of hpmm-sim -- sweep, mrc, wss, multi -- their
// shared command line and the pieces they share (hpmm-sim(1), "EXPERIMENTS").
//
// parse_experiment() takes the flags of the experiments out of argv and hands the rest (source
// and machine: --trace, --workload, --page-size, --tlb, ...) to parse_options() as a `run` line,
// so the source and the machine are checked by exactly the rules of `run`.  After a successful
// parse:  frames is non-empty, increasing, every value >= 1;  policies non-empty, no repeats;
//   jobs >= 1;  plot is "" or ends in .png or .svg;  window >= 1, interval >= 1.
// It never exits or prints; errors name the flag and the value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "mmu_sim/access.hpp"

namespace hpmm::cli {

struct RunInfo;  // cli/report.hpp

enum class Experiment : uint8_t { kSweep, kMrc, kWss, kMulti };

struct ExperimentOptions {
  Experiment experiment = Experiment::kSweep;
  bool help = false;             // --help: print experiment_usage_text() and stop
  Options base;                  // source and machine, as `run` parses them
  std::vector<uint64_t> frames;  // sweep: the frame counts; mrc: rows to print (empty: all);
                                 // multi: one value
  std::vector<sim::PageReplacement> policies;  // sweep: the list; multi: one
  unsigned jobs = 1;          // sweep: runs at once (default: the affinity mask's cores)
  std::string csv;            // --csv FILE ("" none, "-" standard output)
  std::string plot;           // --plot FILE.png|FILE.svg ("" none)
  uint64_t window = 100000;   // --window: tau, in references
  uint64_t interval = 0;      // wss --interval (0: window / 10, at least 1)
  std::string lifetime_csv;   // wss --lifetime FILE
  double sample = -1;         // mrc --sample: -1 auto, 0 exact, else the SHARDS rate
  uint64_t opt_frames = 0;    // mrc --opt-frames: the OPT curve up to this many frames
  unsigned max_programs = 8;  // multi
  uint64_t quantum = 1000;    // multi: accesses per turn
  bool load_control = false;  // multi
  bool quiet = false;
};

bool is_experiment(const char *command);
bool parse_experiment(int argc, const char *const *argv, ExperimentOptions *out,
                      std::string *error);
std::string experiment_usage_text();

// "A..B" (doubling from A, then B), "A..B/N" (N points, log-spaced or, with linear, evenly),
// or "A,B,C".  "" or what is wrong.
std::string parse_frame_range(const std::string &v, bool linear, std::vector<uint64_t> *out);
// "lru,clock,..."; "" or what is wrong.
std::string parse_policy_list(const std::string &v, std::vector<sim::PageReplacement> *out);

// Entry point of the four subcommands (exit status as main's: 0, 1 run failed, 2 usage).
int experiment_main(int argc, const char *const *argv);

// --- shared by the subcommands (cli/experiment_io.cc) ---

// Reads a whole source into memory; "" or the source's error.
std::string read_all(sim::AccessSource &src, std::vector<sim::Access> *out);
// Opens the source the options describe (trace or workload, cut at --limit); nullptr with
// *error on failure.  info, if given, gets the source's description, format and limit.
std::unique_ptr<sim::AccessSource> open_source(const Options &o, std::string *error,
                                               RunInfo *info = nullptr);
// The experiments' output checks, before any work: every table path writable, and for a plot
// gnuplot found (*gnuplot) and the plot path writable.  "" or the first problem.
std::string check_outputs(std::initializer_list<const std::string *> tables,
                          const std::string &plot, std::string *gnuplot);
// The start of an experiment over one source: check_outputs(tables, o.plot, gnuplot), then
// open_source(o.base).  nullptr and *error set if either fails.
std::unique_ptr<sim::AccessSource> open_experiment(
    const ExperimentOptions &o, std::initializer_list<const std::string *> tables,
    std::string *gnuplot, std::string *error);
// Prints "hpmm-sim: what" on stderr; returns 1 (the run failed).
int report_failure(const std::string &what);

// An AccessSource over accesses held in memory (shared, read-only: many may read one vector
// from several threads).
class SpanSource final : public sim::AccessSource {
 public:
  SpanSource(std::span<const sim::Access> all, std::string what) : all_(all), what_(what) {}
  size_t next(std::span<sim::Access> out) override;
  const std::string &error() const override { return error_; }
  std::string describe() const override { return what_; }
  uint64_t progress_done() const override { return pos_; }
  uint64_t progress_total() const override { return all_.size(); }

 private:
  std::span<const sim::Access> all_;
  std::string what_, error_;
  size_t pos_ = 0;
};

// Checks that path can be written (creating it); "" or "cannot write 'p': why".
std::string check_writable(const std::string &path);
// Writes text to path ("-": standard output); "" or what went wrong.
std::string write_text(const std::string &path, const std::string &text);
// The gnuplot program, found in PATH; "" or an error naming gnuplot.
std::string find_gnuplot(std::string *path);
// Runs gnuplot on a script that draws into `out` (its terminal chosen by the extension, set
// here); "" or what went wrong.
std::string run_gnuplot(const std::string &gnuplot, const std::string &script,
                        const std::string &out);
// A source's description cut to fit a plot's title (at most 70 characters).
std::string short_title(const std::string &s);
// A gnuplot string literal.
std::string gp_quote(const std::string &s);

// The knee of a fault curve y over increasing frame counts: the first point that has achieved
// 90% of the curve's fall, y[i] - min(y) <= 0.1 * (y[0] - min(y)), the memory past which adding
// frames stops paying; 0 for an empty or flat curve.
size_t knee_index(std::span<const double> y);

}  // namespace hpmm::cli
