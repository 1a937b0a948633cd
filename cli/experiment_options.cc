// cli/experiment_options.cc: the command line of sweep, mrc, wss and multi (cli/experiment.hpp).
// The experiment's own flags are taken out; the rest is parsed by parse_options() as `run`.
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <thread>

#include "cli/experiment.hpp"
#include "mmu_sim/workload_numbers.hpp"

namespace hpmm::cli {
namespace {

struct Flag {
  const char *name;
  bool value;            // takes a value
  const char *commands;  // the subcommands that accept it: s(weep) m(rc) w(ss) u (multi)
};

constexpr Flag kFlags[] = {
    {"--frames", true, "smu"}, {"--policy", true, "su"},       {"--jobs", true, "s"},
    {"--linear", false, "sm"}, {"--csv", true, "smwu"},        {"--plot", true, "smwu"},
    {"--window", true, "swu"}, {"--interval", true, "w"},      {"--lifetime", true, "w"},
    {"--sample", true, "m"},   {"--opt-frames", true, "m"},    {"--max-programs", true, "u"},
    {"--quantum", true, "u"},  {"--load-control", false, "u"}, {"--quiet", false, "smwu"},
    {"--help", false, "smwu"},
};
// Flags of `run` that mean nothing here.
constexpr const char *kRunOnly[] = {"--json", "--no-header", "--output", "--region", "--memory"};

const char *const kNames[] = {"sweep", "mrc", "wss", "multi"};
const char kLetters[] = {'s', 'm', 'w', 'u'};

std::string count_of(const std::string &flag, const std::string &v, uint64_t min, uint64_t max,
                     uint64_t *out) {
  std::string why;
  if (!sim::parse_count(v, out, &why)) return flag + ": " + why + " ('" + v + "')";
  if (*out < min || *out > max)
    return flag + ": must be from " + std::to_string(min) + " to " + std::to_string(max) + " ('" +
           v + "')";
  return "";
}

// The cores this process may run on (its affinity mask, as taskset sets it), at least 1.
unsigned cores_given() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

bool ends_with(const std::string &s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

bool is_experiment(const char *command) {
  for (const char *n : kNames)
    if (std::string_view(command) == n) return true;
  return false;
}

std::string parse_frame_range(const std::string &v, bool linear, std::vector<uint64_t> *out) {
  out->clear();
  std::string why;
  size_t dots = v.find("..");
  if (dots == std::string::npos) {  // a list
    size_t start = 0;
    for (;;) {
      size_t comma = v.find(',', start);
      std::string item = v.substr(start, comma == std::string::npos ? comma : comma - start);
      uint64_t n = 0;
      if (!sim::parse_count(item, &n, &why)) return why + " ('" + item + "')";
      if (n == 0) return "frame counts must be >= 1 ('" + v + "')";
      if (!out->empty() && n <= out->back())
        return "the list must increase ('" + v + "'); or give a range A..B";
      out->push_back(n);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    std::string lo_s = v.substr(0, dots), hi_s = v.substr(dots + 2), n_s;
    size_t slash = hi_s.find('/');
    if (slash != std::string::npos) {
      n_s = hi_s.substr(slash + 1);
      hi_s = hi_s.substr(0, slash);
    }
    uint64_t lo = 0, hi = 0, points = 0;
    if (!sim::parse_count(lo_s, &lo, &why)) return why + " ('" + lo_s + "' in '" + v + "')";
    if (!sim::parse_count(hi_s, &hi, &why)) return why + " ('" + hi_s + "' in '" + v + "')";
    if (lo == 0) return "frame counts must be >= 1 ('" + v + "')";
    if (hi < lo) return "the range is reversed: " + lo_s + " > " + hi_s + " ('" + v + "')";
    if (hi > (uint64_t{1} << 31)) return "more than 2^31 frames ('" + v + "')";
    if (!n_s.empty()) {
      if (!sim::parse_count(n_s, &points, &why) || points < 2 || points > 10000)
        return "the number of points after / must be from 2 to 10000 ('" + v + "')";
    } else if (linear) {
      points = 16;
    }
    if (points == 0) {
      for (uint64_t f = lo; f < hi; f *= 2) out->push_back(f);
      out->push_back(hi);
    } else {
      const double a = static_cast<double>(lo), b = static_cast<double>(hi);
      for (uint64_t i = 0; i < points; ++i) {
        const double u = static_cast<double>(i) / static_cast<double>(points - 1);
        const double x = linear ? a + u * (b - a) : a * std::pow(b / a, u);
        const auto f = static_cast<uint64_t>(std::llround(x));
        if (out->empty() || f > out->back()) out->push_back(f);
      }
      out->back() = hi;
    }
  }
  if (out->back() > (uint64_t{1} << 31)) return "more than 2^31 frames ('" + v + "')";
  return "";
}

std::string parse_policy_list(const std::string &v, std::vector<sim::PageReplacement> *out) {
  out->clear();
  size_t start = 0;
  for (;;) {
    size_t comma = v.find(',', start);
    std::string item = v.substr(start, comma == std::string::npos ? comma : comma - start);
    bool found = false;
    for (int i = 0; i < static_cast<int>(sim::PageReplacement::kCount); ++i) {
      auto p = static_cast<sim::PageReplacement>(i);
      if (item == sim::name_of(p)) {
        for (auto q : *out)
          if (q == p) return "policy '" + item + "' given twice";
        out->push_back(p);
        found = true;
      }
    }
    if (!found)
      return "unknown policy '" + item +
             "' (fifo, lru, clock, opt, random, 2q, arc, lirs or linux)";
    if (comma == std::string::npos) return "";
    start = comma + 1;
  }
}

bool parse_experiment(int argc, const char *const *argv, ExperimentOptions *o, std::string *error) {
  *o = ExperimentOptions{};
  const std::string cmd = argv[1];
  int which = 0;
  while (cmd != kNames[which]) ++which;
  o->experiment = static_cast<Experiment>(which);
  std::map<std::string, std::string> mine;
  std::vector<const char *> rest = {argv[0], "run"};
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "-h") arg = "--help";
    if (arg == "-q") arg = "--quiet";
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const Flag *flag = nullptr;
    for (const Flag &f : kFlags)
      if (name == f.name) flag = &f;
    for (const char *r : kRunOnly)
      if (name == r || (name == "-o" && r == kRunOnly[2])) {
        *error = name + " applies to run only, not " + cmd;
        return false;
      }
    if (flag == nullptr) {  // the source's or the machine's (or a value of one): `run` parses it
      rest.push_back(argv[i]);
      continue;
    }
    if (std::string_view(flag->commands).find(kLetters[which]) == std::string_view::npos) {
      *error = name + " does not apply to " + cmd;
      return false;
    }
    if (name == "--help") {
      o->help = true;
      return true;
    }
    if (flag->value) {
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < argc && std::string_view(argv[i + 1]).rfind("--", 0) != 0) {
        value = argv[++i];
      } else {
        *error = name + ": missing value";
        return false;
      }
      if (value.empty()) {
        *error = name + ": empty value";
        return false;
      }
    } else if (eq != std::string::npos) {
      *error = name + " takes no value";
      return false;
    }
    if (mine.count(name) != 0) {
      *error = name + " given twice";
      return false;
    }
    mine[name] = value;
  }
  if (!parse_options(static_cast<int>(rest.size()), rest.data(), &o->base, error)) return false;
  if (o->base.command != Command::kRun) {
    o->help = true;
    return true;
  }

  auto has = [&](const char *f) { return mine.count(f) != 0; };
  std::string bad;
  const Experiment e = o->experiment;
  o->quiet = has("--quiet");
  if (has("--csv")) o->csv = mine["--csv"];
  if (has("--plot")) {
    o->plot = mine["--plot"];
    if (!ends_with(o->plot, ".png") && !ends_with(o->plot, ".svg")) {
      *error = "--plot: '" + o->plot + "': the name must end in .png or .svg (the plot's format)";
      return false;
    }
  }
  if (has("--frames")) {
    if (!(bad = parse_frame_range(mine["--frames"], has("--linear"), &o->frames)).empty()) {
      *error = "--frames: " + bad;
      return false;
    }
    if (e == Experiment::kMulti && o->frames.size() != 1) {
      *error = "--frames: multi takes one frame count ('" + mine["--frames"] + "')";
      return false;
    }
  } else if (e == Experiment::kSweep || e == Experiment::kMulti) {
    *error = std::string("give --frames (") +
             (e == Experiment::kSweep ? "a range such as 16..8192" : "the frames shared") + ")";
    return false;
  }
  if (has("--linear") && !has("--frames")) {
    *error = "--linear applies to a --frames range";
    return false;
  }
  if (has("--policy")) {
    if (!(bad = parse_policy_list(mine["--policy"], &o->policies)).empty()) {
      *error = "--policy: " + bad;
      return false;
    }
    if (e == Experiment::kMulti && o->policies.size() != 1) {
      *error = "--policy: multi takes one policy";
      return false;
    }
  } else if (e == Experiment::kSweep) {
    o->policies = {sim::PageReplacement::kFifo, sim::PageReplacement::kLru,
                   sim::PageReplacement::kClock, sim::PageReplacement::kOpt};
  } else {
    o->policies = {sim::PageReplacement::kLru};
  }
  uint64_t n = 0;
  o->jobs = cores_given();
  if (has("--jobs")) {
    if (!(bad = count_of("--jobs", mine["--jobs"], 1, 1024, &n)).empty()) {
      *error = bad;
      return false;
    }
    o->jobs = static_cast<unsigned>(n);
  }
  if (has("--window") &&
      !(bad = count_of("--window", mine["--window"], 1, uint64_t{1} << 28, &o->window)).empty()) {
    *error = bad;
    return false;
  }
  if (has("--interval") &&
      !(bad = count_of("--interval", mine["--interval"], 1, UINT64_MAX, &o->interval)).empty()) {
    *error = bad;
    return false;
  }
  if (o->interval == 0) o->interval = std::max<uint64_t>(1, o->window / 10);
  if (has("--lifetime")) o->lifetime_csv = mine["--lifetime"];
  if (has("--sample")) {
    const std::string s = mine["--sample"];
    std::string why;
    if (s == "auto") {
      o->sample = -1;
    } else if (s == "exact") {
      o->sample = 0;
    } else if (!sim::parse_real(s, &o->sample, &why) || !(o->sample > 0 && o->sample <= 1)) {
      *error = "--sample: want a rate in (0, 1], auto or exact ('" + s + "')";
      return false;
    } else if (o->sample == 1) {
      o->sample = 0;  // every page sampled: the exact pass
    }
  }
  if (has("--opt-frames") &&
      !(bad = count_of("--opt-frames", mine["--opt-frames"], 1, 1 << 20, &o->opt_frames)).empty()) {
    *error = bad;
    return false;
  }
  if (has("--max-programs")) {
    if (!(bad = count_of("--max-programs", mine["--max-programs"], 1, 64, &n)).empty()) {
      *error = bad;
      return false;
    }
    o->max_programs = static_cast<unsigned>(n);
  }
  if (has("--quantum") &&
      !(bad = count_of("--quantum", mine["--quantum"], 1, uint64_t{1} << 32, &o->quantum))
           .empty()) {
    *error = bad;
    return false;
  }
  o->load_control = has("--load-control");
  if (e == Experiment::kMulti && !o->base.has_workload) {
    *error = "multi runs copies of a --workload (a trace cannot be given)";
    return false;
  }
  if (e == Experiment::kMulti && o->base.limit != 0) {
    *error = "--limit does not apply to multi (each program runs its whole workload)";
    return false;
  }
  return true;
}

}  // namespace hpmm::cli
