// cli/experiment_io.cc: what the experiment subcommands share (cli/experiment.hpp): sources held
// in memory, output files, gnuplot, the knee of a curve.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/experiment.hpp"
#include "cli/limit_source.hpp"
#include "cli/report.hpp"
#include "mmu_sim/trace_reader.hpp"
#include "mmu_sim/workload.hpp"

extern char **environ;

namespace hpmm::cli {

std::string read_all(sim::AccessSource &src, std::vector<sim::Access> *out) {
  out->clear();
  std::vector<sim::Access> buf(4096);
  for (size_t n; (n = src.next(buf)) != 0;)
    out->insert(out->end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
  return src.error();
}

std::unique_ptr<sim::AccessSource> open_source(const Options &o, std::string *error,
                                               RunInfo *info) {
  std::unique_ptr<sim::AccessSource> source;
  if (o.has_trace) {
    sim::TraceOptions topt;
    topt.detect = !o.format_given;
    topt.format = o.format;
    topt.ifetch = o.config.ifetch;
    topt.address_bits = 12 + 9 * static_cast<unsigned>(o.config.levels);
    auto reader = sim::TraceReader::open(o.trace, topt, error);
    if (!reader) return nullptr;
    if (info) {
      info->format = sim::name_of(reader->format());
      info->format_detected = reader->detected();
    }
    source = std::move(reader);
  } else {
    source = sim::make_workload(o.workload, o.config.seed);
  }
  if (info) {
    info->source = source->describe();
    info->limit = o.limit;
  }
  if (o.limit != 0) source = std::make_unique<LimitSource>(std::move(source), o.limit);
  return source;
}

std::string check_outputs(std::initializer_list<const std::string *> tables,
                          const std::string &plot, std::string *gnuplot) {
  std::string err;
  for (const std::string *p : tables)
    if (!p->empty() && !(err = check_writable(*p)).empty()) return err;
  if (!plot.empty()) {
    if (!(err = find_gnuplot(gnuplot)).empty()) return err;
    if (!(err = check_writable(plot)).empty()) return err;
  }
  return "";
}

std::unique_ptr<sim::AccessSource> open_experiment(
    const ExperimentOptions &o, std::initializer_list<const std::string *> tables,
    std::string *gnuplot, std::string *error) {
  if (!(*error = check_outputs(tables, o.plot, gnuplot)).empty()) return nullptr;
  return open_source(o.base, error);
}

int report_failure(const std::string &what) {
  std::fprintf(stderr, "hpmm-sim: %s\n", what.c_str());
  return 1;
}

size_t SpanSource::next(std::span<sim::Access> out) {
  const size_t n = std::min(out.size(), all_.size() - pos_);
  std::copy_n(all_.begin() + static_cast<ptrdiff_t>(pos_), n, out.begin());
  pos_ += n;
  return n;
}

std::string check_writable(const std::string &path) {
  if (path == "-") return "";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot write '" + path + "': " + std::strerror(errno);
  ::close(fd);
  return "";
}

std::string write_text(const std::string &path, const std::string &text) {
  const bool to_stdout = path == "-";
  FILE *f = to_stdout ? stdout : std::fopen(path.c_str(), "w");
  if (f == nullptr) return "cannot write '" + path + "': " + std::strerror(errno);
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (to_stdout ? std::fflush(f) : std::fclose(f)) == 0 && ok;
  return ok ? "" : "cannot write '" + (to_stdout ? std::string("standard output") : path) + "'";
}

std::string find_gnuplot(std::string *path) {
  const char *env = std::getenv("PATH");
  std::string dirs = env != nullptr ? env : "/usr/bin:/bin";
  size_t start = 0;
  for (;;) {
    const size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? colon : colon - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) {
      *path = candidate;
      return "";
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "--plot: gnuplot not found in PATH (install it: apt-get install gnuplot-nox; or drop "
         "--plot)";
}

std::string short_title(const std::string &s) {
  return s.size() <= 70 ? s : s.substr(0, 67) + "...";
}

std::string gp_quote(const std::string &s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string run_gnuplot(const std::string &gnuplot, const std::string &script,
                        const std::string &out) {
  const bool svg = out.size() >= 4 && out.compare(out.size() - 4, 4, ".svg") == 0;
  std::string full = std::string("set terminal ") +
                     (svg ? "svg size 900,600 dynamic" : "pngcairo size 900,600") +
                     "\nset output " + gp_quote(out) + "\n" + script + "\nunset output\n";
  char path[] = "/tmp/hpmm_plot_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return std::string("cannot create a gnuplot script: ") + std::strerror(errno);
  const bool wrote = ::write(fd, full.data(), full.size()) == static_cast<ssize_t>(full.size());
  ::close(fd);
  std::string result;
  if (!wrote) result = "cannot write the gnuplot script";
  if (result.empty()) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *const argv[] = {const_cast<char *>(gnuplot.c_str()), path, nullptr};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, gnuplot.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (rc != 0)
      result = "cannot run " + gnuplot + ": " + std::strerror(rc);
    else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      result = gnuplot + " failed drawing '" + out + "' (its messages are above)";
  }
  ::unlink(path);
  return result;
}

size_t knee_index(std::span<const double> y) {
  if (y.empty()) return 0;
  const double lo = *std::min_element(y.begin(), y.end());
  for (size_t i = 0; i < y.size(); ++i)
    if (y[i] - lo <= 0.1 * (y[0] - lo)) return i;
  return 0;
}

}  // namespace hpmm::cli
