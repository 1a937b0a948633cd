// bench/trace_parse.cc: how fast TraceReader parses a lackey trace from a file (target: >= 20
// million lines per second).  The file is read once before timing so the page cache holds it;
// the figure is parsing speed plus read(2) copies, not disk speed.  Lines per second are given
// per wall-clock second and per CPU second of the process (user + system): on a shared machine
// the second is the one that measures the parser.
//
//   make MODE=release build/release/bench/trace_parse
//   build/release/bench/trace_parse                 # writes a 40M-line synthetic lackey trace
//   build/release/bench/trace_parse --text          # the same records in the text format
//   build/release/bench/trace_parse FILE [lackey|text] [--ifetch]
//
// The synthetic trace mixes records as a real one does (about 60% I, 25% L, 10% S, 5% M) with
// addresses in the code (0x04xxxxxx) and stack (0x1ffexxxxxx) ranges Valgrind prints.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "mmu_sim/trace_reader.hpp"
#include "pal/clock.hpp"

using namespace hpmm::sim;

namespace {

std::string write_synthetic(uint64_t lines, bool text) {
  std::string path = std::string("/tmp/hpmm_bench_") + (text ? "text_" : "lackey_") +
                     std::to_string(lines) + ".trace";
  if (FILE *f = std::fopen(path.c_str(), "r")) {
    std::fclose(f);
    return path;  // reuse a previous run's file
  }
  FILE *f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  uint64_t x = 88172645463325252ull, pc = 0x04016a20, sp = 0x1ffefffd78;
  std::fprintf(f, text ? "# hpmm text trace\n" : "==4242== Lackey, an example Valgrind tool\n");
  for (uint64_t i = 0; i < lines; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    unsigned r = static_cast<unsigned>(x % 100);
    if (r < 60) {
      pc += 1 + x % 7;
      std::fprintf(f, text ? "I 0x%08lx %u\n" : "I  %08lx,%u\n", static_cast<unsigned long>(pc),
                   1 + unsigned(x >> 8) % 7);
    } else {
      uint64_t a = (x >> 20) % 4 == 0 ? 0x04200000 + ((x >> 24) % 65536) * 8 : sp - (x >> 30) % 512;
      char k = r < 85 ? (text ? 'R' : 'L') : r < 95 ? (text ? 'W' : 'S') : 'M';
      std::fprintf(f, text ? "%c 0x%08lx %u\n" : " %c %08lx,%u\n", k, static_cast<unsigned long>(a),
                   1u << ((x >> 12) % 4));
    }
  }
  std::fclose(f);
  return path;
}

}  // namespace

int main(int argc, char **argv) {
  std::string path;
  bool text = false;
  TraceOptions opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--ifetch") {
      opt.ifetch = true;
    } else if (a == "--text") {
      text = true;
    } else if (a == "lackey" || a == "text") {
      parse_trace_format(a, &opt.format);
      opt.detect = false;
    } else {
      path = a;
    }
  }
  if (path.empty()) path = write_synthetic(40'000'000, text);
  TraceFormat shown = opt.format;

  double best = 0, best_cpu = 0;
  uint64_t lines = 0, accesses = 0, bytes = 0;
  for (int rep = 0; rep < 3; ++rep) {  // the first run also warms the page cache
    std::string err;
    auto r = TraceReader::open(path, opt, &err);
    if (!r) {
      std::fprintf(stderr, "trace_parse: %s\n", err.c_str());
      return 1;
    }
    std::vector<Access> batch(4096);
    uint64_t acc = 0, sum = 0;
    auto t0 = std::chrono::steady_clock::now();
    double c0 = hpmm::pal::thread_cpu_seconds();
    for (size_t n; (n = r->next(batch)) != 0;) {
      acc += n;
      sum += batch[n - 1].addr;
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = hpmm::pal::thread_cpu_seconds() - c0;
    if (!r->error().empty()) {
      std::fprintf(stderr, "trace_parse: %s\n", r->error().c_str());
      return 1;
    }
    lines = r->lines();
    shown = r->format();
    accesses = acc;
    bytes = r->progress_done();
    double lps = static_cast<double>(lines) / s;
    if (lps > best) best = lps;
    if (static_cast<double>(lines) / cpu > best_cpu) best_cpu = static_cast<double>(lines) / cpu;
    std::printf("run %d: %.3f s (%.3f s cpu), %lu lines, %lu accesses (checksum %lx)\n", rep, s,
                cpu, static_cast<unsigned long>(lines), static_cast<unsigned long>(acc),
                static_cast<unsigned long>(sum));
  }
  std::printf("%s: format %s, %lu lines, %lu accesses yielded, %.1f MB\n", path.c_str(),
              name_of(shown), static_cast<unsigned long>(lines),
              static_cast<unsigned long>(accesses), static_cast<double>(bytes) / 1e6);
  std::printf("best: %.1f million lines/s, %.0f MB/s (wall clock)\n", best / 1e6,
              best * static_cast<double>(bytes) / static_cast<double>(lines) / 1e6);
  std::printf("best: %.1f million lines per cpu second, %.0f MB per cpu second\n", best_cpu / 1e6,
              best_cpu * static_cast<double>(bytes) / static_cast<double>(lines) / 1e6);
  return 0;
}
