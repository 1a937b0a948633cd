// cli/experiment_multi.cc: hpmm-sim multi -- multiprogramming and thrashing.  n = 1 ..
// --max-programs copies of one workload (program i seeded seed + i, its addresses moved up by
// i * 2^40, so each has its own region of one address space) share one Mmu and its frame pool
// (global replacement), and one simulated CPU and one paging device:
//
//   CPU     runs the ready programs round-robin, --quantum accesses per turn.  An access costs
//           its cycles in the cost model except the major fault and the write-back (a minor,
//           zero-fill fault is CPU work and stays in).  Nothing ready: the CPU idles until the
//           first program's page arrives.
//   device  one paging device, overlapping with the CPU, serves first come first served: a
//           dirty victim's write-back (writeback cycles) and a major fault's read (major_fault
//           cycles).  A major fault blocks its program until its read is done (behind the
//           write-backs queued before it); a write-back alone blocks no one (the kernel cleans
//           pages asynchronously).  The faulting access counts as done.
//   end     when every program has completed its workload (a batch of n jobs).  throughput =
//           n * accesses of the workload / cycles elapsed (useful accesses per simulated cycle;
//           reported per 1000 cycles).
//
// With --load-control (Denning's working-set principle), each program's working set w(t, tau)
// (tau = --window, over its own references) is tracked; programs start suspended but the first,
// a program that has not run yet counting as the largest working set seen so far; before each
// turn: while the active
// programs' working sets sum past the frames and more than one is active, the last one activated
// is suspended; then the first suspended one is resumed when its last working set fits beside the
// active ones.  A suspended program does not run; its pages age out under the replacement policy.
//
// Invariants: every program is active xor suspended; a blocked program is active; now only
// grows; device_free >= the wake time of every blocked program.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>

#include "base/check.hpp"
#include "cli/experiment.hpp"
#include "cli/report.hpp"
#include "hpmm/mmu.hpp"
#include "mmu_sim/reference_string.hpp"
#include "mmu_sim/workload.hpp"
#include "mmu_sim/wss.hpp"

namespace hpmm::cli {
namespace {

struct Program {
  std::unique_ptr<sim::AccessSource> source;
  std::vector<sim::Access> buf = std::vector<sim::Access>(1024);
  size_t pos = 0, len = 0;
  uint64_t offset = 0;
  double wake = 0;  // blocked until then
  bool active = true;
  std::unique_ptr<sim::WorkingSetSampler> ws;

  bool ran = false;       // has had a turn
  bool finished = false;  // its workload is done

  // The next access; false at the end of the workload or on a source error.
  bool next(sim::Access *a) {
    if (pos == len) {
      len = source->next(buf);
      pos = 0;
      if (len == 0) return false;
    }
    *a = buf[pos++];
    a->addr += offset;
    return true;
  }
};

struct MultiResult {
  unsigned programs = 0;
  uint64_t accesses = 0;
  double cycles = 0, busy = 0;
  sim::SimStats stats;
  unsigned suspended_max = 0;  // load control: the most programs suspended at once
};

MultiResult simulate(const ExperimentOptions &o, unsigned n, std::string *error) {
  MultiResult r;
  r.programs = n;
  sim::SimConfig c = o.base.config;
  c.frames[index_of(c.page_size)] = o.frames[0];
  c.replacement = o.policies[0];
  const sim::CostModel &cost = c.cost;
  auto mmu = sim::Mmu::create(c, error);
  if (!mmu) return r;
  const double frames = static_cast<double>(o.frames[0]);
  const sim::RefOptions ropt{c.page_size, c.ifetch, c.levels};
  std::vector<Program> progs(n);
  for (unsigned i = 0; i < n; ++i) {
    progs[i].source = sim::make_workload(o.base.workload, c.seed + i);
    progs[i].offset = uint64_t{i} << 40;
    progs[i].ws = std::make_unique<sim::WorkingSetSampler>(o.window, UINT64_MAX);
  }
  // Load control: programs start suspended but the first, and are resumed as their working
  // sets fit; one that has never run is assumed to need the largest working set seen so far.
  std::deque<unsigned> active_order, suspended;  // activation order; suspension order
  for (unsigned i = 0; i < n; ++i) {
    const bool start = !o.load_control || i == 0;
    progs[i].active = start;
    (start ? active_order : suspended).push_back(i);
  }
  double now = 0, device_free = 0;
  double largest_ws = 0;
  auto ws_of = [&](unsigned i) {
    return progs[i].ran ? static_cast<double>(progs[i].ws->current()) : largest_ws;
  };
  sim::SimStats before = mmu->stats();
  unsigned turn = 0, left = n;
  // A finished program leaves the active set (load control may then resume another).
  auto finish = [&](unsigned i) {
    progs[i].finished = true;
    progs[i].active = false;
    --left;
    active_order.erase(std::find(active_order.begin(), active_order.end(), i));
  };
  while (left > 0) {
    if (o.load_control) {
      if (active_order.empty()) {  // the active ones finished: resume one whatever its size
        active_order.push_back(suspended.front());
        progs[suspended.front()].active = true;
        suspended.pop_front();
      }
      double sum = 0;
      for (unsigned i : active_order) sum += ws_of(i);
      while (sum > frames && active_order.size() > 1) {
        const unsigned v = active_order.back();
        active_order.pop_back();
        progs[v].active = false;
        suspended.push_back(v);
        sum -= ws_of(v);
      }
      while (!suspended.empty() && sum + ws_of(suspended.front()) <= frames) {
        const unsigned v = suspended.front();
        suspended.pop_front();
        progs[v].active = true;
        active_order.push_back(v);
        sum += ws_of(v);
      }
      r.suspended_max = std::max(r.suspended_max, static_cast<unsigned>(suspended.size()));
    }
    // The next ready program in round-robin order; if none, idle until the first wakes.
    int pick = -1;
    double first_wake = std::numeric_limits<double>::infinity();
    for (unsigned k = 0; k < n; ++k) {
      const unsigned i = (turn + k) % n;
      if (!progs[i].active) continue;
      if (progs[i].wake <= now) {
        pick = static_cast<int>(i);
        break;
      }
      first_wake = std::min(first_wake, progs[i].wake);
    }
    if (pick < 0) {
      HPMM_CHECK(first_wake < std::numeric_limits<double>::infinity(),
                 "multi: no program active with work left");
      now = first_wake;
      continue;
    }
    turn = static_cast<unsigned>(pick) + 1;
    Program &p = progs[static_cast<unsigned>(pick)];
    p.ran = true;
    for (uint64_t q = 0; q < o.quantum; ++q) {
      sim::Access a;
      if (!p.next(&a)) {
        if (!p.source->error().empty()) {
          *error = p.source->error();
          return r;
        }
        finish(static_cast<unsigned>(pick));
        break;
      }
      mmu->access(a);
      sim::for_each_page_ref(a, ropt, [&](uint64_t key) { p.ws->ref(key); });
      const sim::SimStats after = mmu->stats();
      const double all = after.cycles(cost) - before.cycles(cost);
      const uint64_t majors = before.faults_major;
      const double io =
          static_cast<double>(after.faults_major - before.faults_major) * cost.major_fault +
          static_cast<double>(after.writebacks - before.writebacks) * cost.writeback;
      before = after;
      ++r.accesses;
      now += all - io;
      r.busy += all - io;
      if (io > 0) device_free = std::max(device_free, now) + io;
      if (after.faults_major != majors) {  // wait for the page (behind the queued write-backs)
        p.wake = device_free;
        break;
      }
    }
    largest_ws = std::max(largest_ws, static_cast<double>(p.ws->current()));
  }
  r.cycles = now;
  r.stats = mmu->stats();
  return r;
}

}  // namespace

int run_multi(const ExperimentOptions &o) {
  const auto fail = report_failure;
  if (o.policies[0] == sim::PageReplacement::kOpt)
    return fail("multi: opt needs the future of the interleaving; choose another --policy");
  std::string err, gnuplot;
  if (!(err = check_outputs({&o.csv}, o.plot, &gnuplot)).empty()) return fail(err);
  const uint64_t span = o.base.workload.end();
  if (span > (uint64_t{1} << 40))
    return fail("multi: the workload reaches past 2^40, the region of one program");
  std::string csv =
      "programs,load_control,accesses,cycles,throughput_per_1000_cycles,cpu_utilisation,faults,"
      "faults_major,suspended_max\n";
  for (unsigned n = 1; n <= o.max_programs; ++n) {
    const MultiResult r = simulate(o, n, &err);
    if (!err.empty()) return fail(err);
    const double tp = r.cycles == 0 ? 0 : 1000.0 * static_cast<double>(r.accesses) / r.cycles;
    csv += std::to_string(n) + "," + (o.load_control ? "1" : "0") + "," +
           std::to_string(r.accesses) + "," + real_text(r.cycles) + "," + real_text(tp) + "," +
           real_text(r.cycles == 0 ? 0 : r.busy / r.cycles) + "," +
           std::to_string(r.stats.faults()) + "," + std::to_string(r.stats.faults_major) + "," +
           std::to_string(r.suspended_max) + "\n";
    if (!o.quiet && isatty(2)) std::fprintf(stderr, "\rhpmm-sim multi: %u/%u", n, o.max_programs);
  }
  if (!o.quiet && isatty(2)) std::fprintf(stderr, "\r\033[K");
  if (!(err = write_text(o.csv.empty() ? "-" : o.csv, csv)).empty()) return fail(err);
  if (o.plot.empty()) return 0;
  char data[] = "/tmp/hpmm_multi_XXXXXX";
  const int fd = mkstemp(data);
  if (fd < 0) return fail("cannot create a temporary file for the plot's data");
  ::close(fd);
  if (!(err = write_text(data, csv)).empty()) return fail(err);
  const std::string script =
      "set datafile separator ','\nset title " +
      gp_quote("multiprogramming: " + o.base.workload_text + ", " + std::to_string(o.frames[0]) +
               " frames" + (o.load_control ? ", load control" : "")) +
      " noenhanced\nset xlabel 'programs'\nset ylabel 'accesses per 1000 cycles'\n"
      "set grid\nset yrange [0:*]\nplot " +
      gp_quote(data) + " skip 1 using 1:5 with linespoints lw 2 title 'throughput'\n";
  err = run_gnuplot(gnuplot, script, o.plot);
  ::unlink(data);
  return err.empty() ? 0 : fail(err);
}

}  // namespace hpmm::cli
