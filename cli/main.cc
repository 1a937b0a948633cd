// cli/main.cc: hpmm-sim's entry point: parse the command line (cli/options), build the source
// and the machine, replay, print the report (cli/report).  Exit status: 0 success, 1 the run
// failed (trace unreadable or malformed, output not writable, machine not buildable), 2 usage.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "cli/experiment.hpp"
#include "cli/limit_source.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "hpmm/mmu.hpp"
#include "mmu_sim/trace_reader.hpp"
#include "mmu_sim/workload.hpp"

using namespace hpmm;
using Clock = std::chrono::steady_clock;

namespace {

int fail(int status, const std::string &what) {
  std::fprintf(stderr, "hpmm-sim: %s\n", what.c_str());
  if (status == 2) std::fprintf(stderr, "Try 'hpmm-sim run --help'.\n");
  return status;
}

// A progress line on stderr, only when it is a terminal, and only once a run has taken a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(Clock::now()), last_(start_) {}
  void update(const sim::AccessSource &src) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(250))
      return;
    last_ = now;
    uint64_t done = src.progress_done(), total = src.progress_total();
    if (total != 0)
      std::fprintf(stderr, "\rhpmm-sim: %5.1f%%", 100.0 * static_cast<double>(done) / total);
    else
      std::fprintf(stderr, "\rhpmm-sim: %llu", static_cast<unsigned long long>(done));
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_, last_;
};

}  // namespace

int main(int argc, char **argv) {
  if (argc >= 2 && cli::is_experiment(argv[1])) return cli::experiment_main(argc, argv);
  cli::Options o;
  std::string err;
  if (!cli::parse_options(argc, argv, &o, &err)) return fail(2, err);
  switch (o.command) {
    case cli::Command::kHelp:
      std::fputs(cli::usage_text().c_str(), stdout);
      return 0;
    case cli::Command::kRunHelp:
      std::fputs(cli::run_usage_text().c_str(), stdout);
      return 0;
    case cli::Command::kVersion:
      std::fputs(cli::version_text().c_str(), stdout);
      return 0;
    case cli::Command::kRun:
      break;
  }

  FILE *out = stdout;
  const bool to_file = !o.output.empty() && o.output != "-";
  if (to_file && (out = std::fopen(o.output.c_str(), "w")) == nullptr)
    return fail(1, "cannot write '" + o.output + "': " + std::strerror(errno));

  cli::RunInfo info;
  std::unique_ptr<sim::AccessSource> source = cli::open_source(o, &err, &info);
  if (!source) return fail(1, err);

  // A file-size limit (RLIMIT_FSIZE) on the swap file must be an error (EFBIG), not SIGXFSZ.
  if (!o.config.swap.path.empty()) signal(SIGXFSZ, SIG_IGN);
  auto mmu = sim::Mmu::create(o.config, &err);
  if (!mmu) return fail(1, "cannot build the simulated machine: " + err);

  Progress progress(!o.quiet && isatty(2));
  auto t0 = Clock::now();
  std::string run_error =
      mmu->run(*source, [&](const sim::AccessSource &s) { progress.update(s); });
  info.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  progress.finish();
  if (!run_error.empty()) return fail(1, run_error);

  const sim::SimStats stats = mmu->stats();
  if (!stats.valid())
    std::fprintf(stderr, "hpmm-sim: warning: the counters break an invariant of SimStats\n");
  info.backing = mmu->backing();
  info.swap = mmu->swap_text();
  info.cycles = stats.cycles(o.config.cost);
  info.cycles_per_access = stats.cycles_per_access(o.config.cost);

  std::string text;
  switch (o.output_format) {
    case cli::OutputFormat::kText:
      text = cli::format_text(o.config, stats, info);
      break;
    case cli::OutputFormat::kJson:
      text = cli::format_json(cli::build_report(o.config, stats, info));
      break;
    case cli::OutputFormat::kCsv:
      text = cli::format_csv(cli::build_report(o.config, stats, info), o.csv_header);
      break;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  ok = (to_file ? std::fclose(out) : std::fflush(out)) == 0 && ok;
  if (!ok) return fail(1, "cannot write '" + (to_file ? o.output : "standard output") + "'");
  return 0;
}
