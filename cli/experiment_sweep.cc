// cli/experiment_sweep.cc: hpmm-sim sweep -- one source over a range of frame counts and a list
// of policies, the runs spread over --jobs threads; one CSV row per run and a plot of faults
// against frames, one curve per policy, the working-set size and each curve's knee marked.
//
// The source is read once into memory (16 bytes per access) and every run replays that one
// read-only copy: a trace is parsed once instead of once per run (parsing costs about as much as
// simulating), standard input can be read only once anyway, and opt holds the whole source in
// memory in any case.  Runs share nothing else: each thread builds its own Mmu.
// Synchronisation: next_ (the next run to start) and done_ are atomics; results_[i] is written
// only by the thread that ran run i and read after every thread has been joined.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "cli/experiment.hpp"
#include "cli/report.hpp"
#include "hpmm/mmu.hpp"
#include "mmu_sim/reference_string.hpp"
#include "mmu_sim/wss.hpp"

namespace hpmm::cli {
namespace {

struct SweepRow {
  uint64_t frames = 0;
  sim::PageReplacement policy = sim::PageReplacement::kLru;
  sim::SimStats stats;
  double cycles_per_access = 0;
  std::string error;
};

double ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / b;
}

double per_1000(const sim::SimStats &s) {
  return 1000.0 * ratio(s.faults(), s.accesses);
}

std::string sweep_csv(const std::vector<SweepRow> &rows) {
  std::string out =
      "frames,policy,accesses,translations,faults,faults_minor,faults_major,faults_per_1000,"
      "tlb_l1_miss_rate,tlb_l2_miss_rate,cycles_per_access\n";
  for (const SweepRow &r : rows) {
    const sim::SimStats &s = r.stats;
    out += std::to_string(r.frames) + "," + sim::name_of(r.policy) + "," +
           std::to_string(s.accesses) + "," + std::to_string(s.translations) + "," +
           std::to_string(s.faults()) + "," + std::to_string(s.faults_minor) + "," +
           std::to_string(s.faults_major) + "," + real_text(per_1000(s)) + "," +
           real_text(ratio(s.l1.misses, s.translations)) + "," +
           real_text(ratio(s.l2.misses, s.l1.misses)) + "," + real_text(r.cycles_per_access) + "\n";
  }
  return out;
}

}  // namespace

int run_sweep(const ExperimentOptions &o) {
  const auto fail = report_failure;
  std::string err, gnuplot;
  auto source = open_experiment(o, {&o.csv}, &gnuplot, &err);
  if (!source) return fail(err);
  const std::string what = source->describe();
  std::vector<sim::Access> all;
  if (!(err = read_all(*source, &all)).empty()) return fail(err);

  // The working set of the source: mean w(t, window) and the footprint (every page touched).
  const sim::SimConfig &base = o.base.config;
  sim::RefOptions ropt{base.page_size, base.ifetch, base.levels};
  sim::WorkingSetCurve ws({o.window, UINT64_MAX / 2});
  std::vector<uint64_t> keys;
  for (size_t i = 0; i < all.size(); i += 4096) {
    keys.clear();
    sim::append_page_refs(std::span(all).subspan(i, std::min<size_t>(4096, all.size() - i)), ropt,
                          &keys);
    ws.ref(keys);
  }
  const auto wpts = ws.points();
  const double mean_ws = wpts[0].mean_resident;
  const uint64_t footprint = wpts[1].faults;

  std::vector<SweepRow> rows;
  for (sim::PageReplacement p : o.policies)
    for (uint64_t f : o.frames) rows.push_back(SweepRow{f, p, {}, 0, ""});
  std::atomic<size_t> next{0}, done{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < rows.size();) {
      SweepRow &r = rows[i];
      sim::SimConfig c = base;
      c.frames[index_of(c.page_size)] = r.frames;
      c.replacement = r.policy;
      std::string e;
      auto mmu = sim::Mmu::create(c, &e);
      if (!mmu) {
        r.error = "cannot build the machine of " + std::to_string(r.frames) + " frames: " + e;
      } else {
        SpanSource src(all, what);
        r.error = mmu->run(src);
        r.stats = mmu->stats();
        r.cycles_per_access = r.stats.cycles_per_access(c.cost);
      }
      done.fetch_add(1);
    }
  };
  const unsigned threads = std::min<size_t>(o.jobs, rows.size());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  const bool bar = !o.quiet && isatty(2);
  while (bar && done.load() < rows.size()) {
    const size_t d = done.load();
    const int width = 30, fill = static_cast<int>(width * d / rows.size());
    std::fprintf(stderr, "\rhpmm-sim sweep [%-*s] %zu/%zu runs", width,
                 std::string(static_cast<size_t>(fill), '#').c_str(), d, rows.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (std::thread &t : pool) t.join();
  if (bar) std::fprintf(stderr, "\r\033[K");
  for (const SweepRow &r : rows)
    if (!r.error.empty()) return fail(r.error);

  if (!(err = write_text(o.csv.empty() ? "-" : o.csv, sweep_csv(rows))).empty()) return fail(err);

  // Knees, one per policy, and the summary.  Policies with their knee at the same frame count
  // share one label (placed at the highest of their points), so labels do not overprint.
  std::map<uint64_t, std::pair<std::string, double>> knees;  // frames -> (policies, y)
  const size_t per = o.frames.size();
  if (!o.quiet)
    std::fprintf(stderr,
                 "hpmm-sim sweep: %zu runs; working set w(t, %llu) %.1f pages on average, "
                 "footprint %llu pages\n",
                 rows.size(), static_cast<unsigned long long>(o.window), mean_ws,
                 static_cast<unsigned long long>(footprint));
  for (size_t k = 0; k < o.policies.size(); ++k) {
    std::vector<double> y;
    for (size_t j = 0; j < per; ++j) y.push_back(per_1000(rows[k * per + j].stats));
    const size_t knee = knee_index(y);
    if (!o.quiet)
      std::fprintf(stderr, "hpmm-sim sweep: %s: knee at %llu frames (%.3g faults per 1000)\n",
                   sim::name_of(o.policies[k]), static_cast<unsigned long long>(o.frames[knee]),
                   y[knee]);
    auto [it, fresh] = knees.try_emplace(o.frames[knee], "", y[knee]);
    it->second.first += std::string(fresh ? "" : ", ") + sim::name_of(o.policies[k]);
    it->second.second = std::max(it->second.second, y[knee]);
  }
  std::string marks;
  int tag = 10;
  for (const auto &[f, label] : knees)
    marks += "set label " + std::to_string(tag++) + " " + gp_quote("knee: " + label.first) +
             " at " + std::to_string(f) + "," + real_text(label.second) +
             " center point pt 7 ps 1.5 offset 0,1.2\n";
  if (o.plot.empty()) return 0;

  char data[] = "/tmp/hpmm_sweep_XXXXXX";
  const int fd = mkstemp(data);
  if (fd < 0) return fail("cannot create a temporary file for the plot's data");
  ::close(fd);
  if (!(err = write_text(data, sweep_csv(rows))).empty()) return fail(err);
  std::string names;
  for (sim::PageReplacement p : o.policies)
    names += std::string(names.empty() ? "" : " ") + sim::name_of(p);
  std::string script =
      "set datafile separator ','\n"
      "set title " +
      gp_quote("faults vs frames: " + short_title(what)) +
      " noenhanced\n"
      "set xlabel 'frames'\nset ylabel 'faults per 1000 accesses'\n"
      "set logscale x 2\nset grid\nset key bottom left\nset offsets graph 0.05, graph 0.08, graph "
      "0.05, 0\n" +
      marks;
  if (mean_ws >= 1)
    script += "set arrow 1 from " + real_text(mean_ws) + ", graph 0 to " + real_text(mean_ws) +
              ", graph 1 nohead dt 2 lc rgb 'gray40'\nset label 1 " +
              gp_quote("working set (tau=" + std::to_string(o.window) + ")") + " at " +
              real_text(mean_ws) + ", graph 0.95 rotate by 90 right offset -1,0\n";
  script += "set arrow 2 from " + std::to_string(footprint) + ", graph 0 to " +
            std::to_string(footprint) +
            ", graph 1 nohead dt 3 lc rgb 'gray60'\n"
            "set label 2 'footprint' at " +
            std::to_string(footprint) + ", graph 0.95 rotate by 90 right offset -1,0\n";
  script += "plot for [p in " + gp_quote(names) + "] " + gp_quote(data) +
            " skip 1 using 1:(strcol(2) eq p ? $8 : NaN) with linespoints title p\n";
  err = run_gnuplot(gnuplot, script, o.plot);
  ::unlink(data);
  return err.empty() ? 0 : fail(err);
}

}  // namespace hpmm::cli
