// cli/experiment_wss.cc: hpmm-sim wss -- Denning's working set w(t, tau) over time for one tau
// (--window), sampled every --interval references, and the lifetime curves (mean references
// between faults against mean resident frames) of the working-set policy (tau = 1, 2, 4, ...) and
// of LRU (frames = 1, 2, 4, ...), all in one streamed pass (mmu_sim/wss.hpp, mmu_sim/mrc.hpp).
#include <unistd.h>

#include <cstdio>

#include "cli/experiment.hpp"
#include "cli/report.hpp"
#include "mmu_sim/mrc.hpp"
#include "mmu_sim/reference_string.hpp"
#include "mmu_sim/wss.hpp"

namespace hpmm::cli {

int run_wss(const ExperimentOptions &o) {
  const auto fail = report_failure;
  std::string err, gnuplot;
  auto source = open_experiment(o, {&o.csv, &o.lifetime_csv}, &gnuplot, &err);
  if (!source) return fail(err);
  const std::string what = source->describe();
  const sim::SimConfig &c = o.base.config;
  sim::PageRefSource refs(*source, sim::RefOptions{c.page_size, c.ifetch, c.levels});

  std::vector<uint64_t> taus;
  for (uint64_t t = 1; t <= (uint64_t{1} << 40); t *= 2) taus.push_back(t);
  sim::WorkingSetSampler sampler(o.window, o.interval);
  sim::WorkingSetCurve curve(taus);
  sim::LruCurveBuilder lru;
  err = sim::for_each_ref_batch(refs, [&](std::span<const uint64_t> keys) {
    sampler.ref(keys);
    curve.ref(keys);
    lru.ref(keys);
  });
  if (!err.empty()) return fail(err);
  const uint64_t n = refs.references();

  std::string csv = "t,wss\n";
  for (const sim::WssSample &s : sampler.samples())
    csv += std::to_string(s.t) + "," + std::to_string(s.size) + "\n";
  if (!(err = write_text(o.csv.empty() ? "-" : o.csv, csv)).empty()) return fail(err);

  // Lifetime points: taus up to the string's length, frames up to the footprint.
  std::vector<sim::LifetimePoint> ws_points;
  for (const sim::LifetimePoint &p : curve.points())
    if (p.param <= std::max<uint64_t>(1, n)) ws_points.push_back(p);
  const sim::FaultCurve fc = lru.curve();
  std::vector<uint64_t> frames;
  for (uint64_t f = 1; f < fc.frames_for_all(); f *= 2) frames.push_back(f);
  frames.push_back(std::max<uint64_t>(1, fc.frames_for_all()));
  const auto lru_points = sim::lru_lifetime(fc, frames);
  std::string life = "policy,param,faults,mean_resident,refs_per_fault\n";
  auto add = [&](const char *name, const std::vector<sim::LifetimePoint> &pts) {
    for (const sim::LifetimePoint &p : pts)
      life += std::string(name) + "," + std::to_string(p.param) + "," + std::to_string(p.faults) +
              "," + real_text(p.mean_resident) + "," + real_text(p.refs_per_fault) + "\n";
  };
  add("ws", ws_points);
  add("lru", lru_points);
  if (!o.lifetime_csv.empty() && !(err = write_text(o.lifetime_csv, life)).empty())
    return fail(err);
  if (!o.quiet) {
    uint64_t peak = 0;
    for (const sim::WssSample &s : sampler.samples()) peak = std::max(peak, s.size);
    std::fprintf(stderr,
                 "hpmm-sim wss: %llu references, %llu distinct pages; w(t, %llu) at most %llu "
                 "pages over %zu samples\n",
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(fc.distinct()),
                 static_cast<unsigned long long>(o.window), static_cast<unsigned long long>(peak),
                 sampler.samples().size());
  }
  if (o.plot.empty()) return 0;

  char wdata[] = "/tmp/hpmm_wss_XXXXXX", ldata[] = "/tmp/hpmm_life_XXXXXX";
  for (char *p : {wdata, ldata}) {
    const int fd = mkstemp(p);
    if (fd < 0) return fail("cannot create a temporary file for the plot's data");
    ::close(fd);
  }
  err = write_text(wdata, csv);
  if (err.empty()) err = write_text(ldata, life);
  if (err.empty()) {
    const std::string script =
        "set datafile separator ','\nset multiplot layout 2,1 title " +
        gp_quote("working set: " + short_title(what)) +
        " noenhanced\n"
        "set xlabel 'references (t)'\nset ylabel " +
        gp_quote("w(t, " + std::to_string(o.window) + ") pages") + "\nset grid\nplot " +
        gp_quote(wdata) +
        " skip 1 using 1:2 with lines notitle\n"
        "set xlabel 'mean resident frames'\nset ylabel 'references between faults'\n"
        "set yrange [*:*]\nset logscale xy\nset key top left\n"
        "plot for [p in 'ws lru'] " +
        gp_quote(ldata) +
        " skip 1 using (strcol(1) eq p ? $4 : NaN):5 with linespoints title p\n"
        "unset multiplot\n";
    err = run_gnuplot(gnuplot, script, o.plot);
  }
  ::unlink(wdata);
  ::unlink(ldata);
  return err.empty() ? 0 : fail(err);
}

}  // namespace hpmm::cli
