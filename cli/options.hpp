// cli/options.hpp: the command line of hpmm-sim, parsed into plain data.  Every flag and value
// is described in hpmm-sim(1); this header only says what the parser guarantees.
//
// parse_options() either fills Options and returns true, or returns false with a one-line
// message that names the flag and the value ("--frames: not a number ('12x')").  It never exits
// or prints.  After a successful parse of `run`:
//   exactly one of trace / workload is set;  config.validate() == "";  not (json and csv);
//   a workload's addresses fit the address space of config.levels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mmu_sim/config.hpp"
#include "mmu_sim/trace_reader.hpp"
#include "mmu_sim/workload_spec.hpp"

namespace hpmm::cli {

enum class Command : uint8_t { kRun, kHelp, kRunHelp, kVersion };
enum class OutputFormat : uint8_t { kText, kJson, kCsv };

struct Options {
  Command command = Command::kHelp;
  // The source: a trace (path or "-") or a workload.
  std::string trace;
  bool has_trace = false;
  bool format_given = false;  // --format lackey|text; else detected
  sim::TraceFormat format = sim::TraceFormat::kLackey;
  std::string workload_text;
  sim::WorkloadSpec workload;
  bool has_workload = false;
  uint64_t limit = 0;  // --limit: stop after this many accesses (0: no limit)

  sim::SimConfig config;  // the machine

  OutputFormat output_format = OutputFormat::kText;
  bool csv_header = true;  // --no-header drops the CSV header row
  std::string output;      // --output FILE ("" or "-": standard output)
  bool quiet = false;      // no progress line
};

bool parse_options(int argc, const char *const *argv, Options *out, std::string *error);

// The texts of --help, run --help and --version.
std::string usage_text();
std::string run_usage_text();
std::string version_text();

// Pieces of the parser, exposed for tests.  Each returns "" or what is wrong with the value.
std::string parse_page_size(const std::string &v, PageSize *out);
std::string parse_tlb(const std::string &v, sim::SimConfig *config);
std::string parse_frames(const std::string &v, bool memory, sim::SimConfig *config);
std::string parse_region(const std::string &v, sim::Region *out);

}  // namespace hpmm::cli
