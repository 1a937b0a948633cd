// cli/experiment_mrc.cc: hpmm-sim mrc -- the LRU fault curve for every memory size in one pass
// over the source (Mattson stack distances, mmu_sim/mrc.hpp), the OPT curve up to --opt-frames,
// or a SHARDS estimate of the LRU curve (mmu_sim/mrc_shards.hpp) for sources too large for an
// exact pass.  The source is streamed (constant memory for the trace; the exact pass holds
// 40-80 bytes per distinct page), except for OPT, which keeps the whole string (8 bytes per
// reference) because it needs the future.
//
// Sampling: --sample RATE, or automatically (rate 0.01) when the source is larger than
// kAutoSampleBytes of trace or kAutoSampleAccesses accesses of workload.  The estimate's error is
// stated as the bound 2.5 / sqrt(K) on the mean absolute error of the miss ratio, K = the sampled
// pages (measured in mmu_sim/mrc_shards.hpp), in the CSV column lru_mae_bound and on stderr.
//
// Speed of the whole CLI path (parse + exact pass), 100M lackey data lines over 2^20 pages
// (1.4 GB; 80% of the accesses to 2^14 hot pages), release build, one core of a loaded 2-core
// machine:  taskset -c 0 hpmm-sim mrc --trace big.trace --frames 1024,16384  ->  23.7 s wall,
// 11.4 s CPU;  with --sample 0.01: 6.0 s wall, 3.4 s CPU.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "cli/experiment.hpp"
#include "cli/report.hpp"
#include "mmu_sim/mrc.hpp"
#include "mmu_sim/mrc_shards.hpp"
#include "mmu_sim/reference_string.hpp"

namespace hpmm::cli {
namespace {

constexpr uint64_t kAutoSampleBytes = uint64_t{8} << 30;     // ~ 400M lackey lines
constexpr uint64_t kAutoSampleAccesses = uint64_t{1} << 29;  // ~ 537M workload accesses
constexpr double kAutoRate = 0.01;
constexpr size_t kSampledRows = 256;

bool large_source(const Options &o) {
  if (o.has_workload) return o.workload.total() > kAutoSampleAccesses;
  struct stat st;
  return o.trace != "-" && ::stat(o.trace.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<uint64_t>(st.st_size) > kAutoSampleBytes;
}

}  // namespace

int run_mrc(const ExperimentOptions &o) {
  const auto fail = report_failure;
  std::string err, gnuplot;
  auto source = open_experiment(o, {&o.csv}, &gnuplot, &err);
  if (!source) return fail(err);
  const std::string what = source->describe();
  const double rate = o.sample > 0                           ? o.sample
                      : o.sample < 0 && large_source(o.base) ? kAutoRate
                                                             : 0.0;
  const sim::SimConfig &c = o.base.config;
  sim::PageRefSource refs(*source, sim::RefOptions{c.page_size, c.ifetch, c.levels});

  sim::LruCurveBuilder exact;
  sim::ShardsParams sp;
  sp.rate = rate > 0 ? rate : 1;
  sim::ShardsBuilder shards(sp);
  std::vector<uint64_t> all;  // for OPT
  err = sim::for_each_ref_batch(refs, [&](std::span<const uint64_t> keys) {
    if (rate > 0)
      shards.ref(keys);
    else
      exact.ref(keys);
    if (o.opt_frames != 0) all.insert(all.end(), keys.begin(), keys.end());
  });
  if (!err.empty()) return fail(err);

  const uint64_t n = refs.references();
  sim::FaultCurve lru;
  sim::MissRatioEstimate est;
  double bound = 0;
  uint64_t top = 0;  // the largest frame count of interest
  if (rate > 0) {
    est = shards.estimate();
    bound =
        est.sampled_pages() == 0 ? 1.0 : 2.5 / std::sqrt(static_cast<double>(est.sampled_pages()));
    top = std::max<uint64_t>(1, est.max_frames());
  } else {
    lru = exact.curve();
    top = std::max<uint64_t>(1, lru.frames_for_all());
  }
  sim::FaultCurve opt;
  if (o.opt_frames != 0) opt = sim::opt_fault_curve(all, o.opt_frames);

  std::vector<uint64_t> rows = o.frames;
  if (rows.empty()) {
    if (rate == 0) {
      for (uint64_t f = 1; f <= top; ++f) rows.push_back(f);
    } else {
      for (size_t i = 0; i < kSampledRows; ++i) {
        const auto f = static_cast<uint64_t>(std::llround(
            std::pow(static_cast<double>(top), static_cast<double>(i) / (kSampledRows - 1))));
        if (rows.empty() || f > rows.back()) rows.push_back(f);
      }
    }
  }
  std::string csv = "frames,lru_faults,lru_miss_ratio,lru_mae_bound";
  if (o.opt_frames != 0) csv += ",opt_faults,opt_miss_ratio";
  csv += "\n";
  for (uint64_t f : rows) {
    const double faults = rate > 0 ? est.faults(f) : static_cast<double>(lru.faults(f));
    csv += std::to_string(f) + "," +
           (rate > 0 ? real_text(std::round(faults)) : std::to_string(lru.faults(f))) + "," +
           real_text(n == 0 ? 0.0 : faults / static_cast<double>(n)) + "," + real_text(bound);
    if (o.opt_frames != 0) {
      if (opt.known(f))
        csv += "," + std::to_string(opt.faults(f)) + "," + real_text(opt.miss_ratio(f));
      else
        csv += ",,";
    }
    csv += "\n";
  }
  if (!(err = write_text(o.csv.empty() ? "-" : o.csv, csv)).empty()) return fail(err);
  if (rate > 0)
    std::fprintf(stderr,
                 "hpmm-sim mrc: SHARDS sample at rate %g: %llu of %llu references, %llu pages; "
                 "mean absolute error of the miss ratio <= 2.5/sqrt(%llu) = %.4f\n",
                 est.rate(), static_cast<unsigned long long>(est.sampled_references()),
                 static_cast<unsigned long long>(n),
                 static_cast<unsigned long long>(est.sampled_pages()),
                 static_cast<unsigned long long>(est.sampled_pages()), bound);
  else if (!o.quiet)
    std::fprintf(stderr, "hpmm-sim mrc: exact: %llu references, %llu distinct pages\n",
                 static_cast<unsigned long long>(n),
                 static_cast<unsigned long long>(lru.distinct()));
  if (o.plot.empty()) return 0;

  char data[] = "/tmp/hpmm_mrc_XXXXXX";
  const int fd = mkstemp(data);
  if (fd < 0) return fail("cannot create a temporary file for the plot's data");
  ::close(fd);
  if (!(err = write_text(data, csv)).empty()) return fail(err);
  std::string script =
      "set datafile separator ','\n"
      "set title " +
      gp_quote("miss-ratio curve: " + short_title(what)) +
      " noenhanced\n"
      "set xlabel 'frames'\nset ylabel 'miss ratio'\nset logscale x 2\nset grid\n"
      "set yrange [0:*]\n"
      "plot " +
      gp_quote(data) + " skip 1 using 1:3 with lines lw 2 title " +
      gp_quote(rate > 0 ? "lru (SHARDS estimate)" : "lru");
  if (o.opt_frames != 0)
    script += ", " + gp_quote(data) +
              " skip 1 using 1:($6 == $6 ? $6 : NaN) with lines lw 2 "
              "title 'opt'";
  err = run_gnuplot(gnuplot, script + "\n", o.plot);
  ::unlink(data);
  return err.empty() ? 0 : fail(err);
}

}  // namespace hpmm::cli
