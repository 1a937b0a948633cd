// cli/report.hpp: hpmm-sim's report -- the counters of one run and the configuration that
// produced them -- as a tree of named values, and its three renderings: JSON (the tree as
// nested objects, so tlb.l1.hits is {"tlb":{"l1":{"hits":N}}}), CSV (the same leaves, their
// dotted paths as the header) and a human summary.  Field meanings: hpmm-sim(1), "OUTPUT".
//
// Invariants of a built report (tests check them on the rendered JSON):
//   faults.total == faults.minor + faults.major
//   tlb.l1.hits + tlb.l1.misses == translations
//   tlb.l2.hits + tlb.l2.misses == tlb.l1.misses      (tlb.l2 present only with an L2)
//   every rate is in [0, 1] and is 0 when its denominator is 0
//   with a swap file: swap.reads == faults.major,  swap.writes == writebacks
//                     (swap.* present only with --swap; verify.* only with --verify)
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "mmu_sim/config.hpp"
#include "mmu_sim/stats.hpp"

namespace hpmm::cli {

// What the report says besides the counters.
struct RunInfo {
  std::string source;            // AccessSource::describe()
  std::string format;            // trace format ("lackey", "text"), "" for a workload
  bool format_detected = false;  // the format was detected, not given
  uint64_t limit = 0;            // --limit (0: none)
  std::string backing;           // Mmu::backing()
  double cycles = 0;             // SimStats::cycles(config.cost)
  double cycles_per_access = 0;  // SimStats::cycles_per_access(config.cost)
  double seconds = 0;            // wall-clock time of the replay
  std::string swap;              // Mmu::swap_text()
};

// One named value; an object has children, a list has strings.
struct ReportNode {
  enum class Kind : uint8_t { kObject, kCount, kReal, kString, kBool, kList };
  std::string key;
  Kind kind = Kind::kObject;
  uint64_t count = 0;
  double real = 0;
  std::string text;
  bool flag = false;
  std::vector<std::string> list;
  std::list<ReportNode> children;  // a list: references from object() stay valid

  // Builders (return the new child).
  ReportNode &object(const std::string &k);
  void add(const std::string &k, uint64_t v);
  void add_real(const std::string &k, double v);
  void add(const std::string &k, const std::string &v);
  void add(const std::string &k, bool v);
  void add(const std::string &k, std::vector<std::string> v);
  // The node at a dotted path ("tlb.l1.hits"), or nullptr.
  const ReportNode *find(const std::string &path) const;
};

ReportNode build_report(const sim::SimConfig &config, const sim::SimStats &stats,
                        const RunInfo &info);

std::string format_json(const ReportNode &root);              // ends with a newline
std::string format_csv(const ReportNode &root, bool header);  // header row + data row
std::string format_text(const sim::SimConfig &config, const sim::SimStats &stats,
                        const RunInfo &info);

// Helpers shared with tests.
std::string json_escape(const std::string &s);
std::string csv_field(const std::string &s);  // RFC 4180 quoting when needed
std::string real_text(double v);  // shortest text that reads back the same; integers as such

}  // namespace hpmm::cli
