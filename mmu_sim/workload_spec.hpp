// mmu_sim/workload_spec.hpp: the --workload specification "KIND:key=value,key=value..." and
// its parser.  Every key of every kind is documented in hpmm-sim(1), "WORKLOADS".
//
// A workload touches `pages` pages of `pagesize` bytes starting at `base`; each access is one
// `size`-byte element at an element-aligned offset (so it never crosses a page of the workload),
// a store with probability `write`, else a load.  Invariants after a successful parse:
//   pagesize is a power of two in [64, 1 GiB];  size is a power of two in [1, pagesize]
//   base % pagesize == 0;  base + pages * pagesize <= 2^57 (the 5-level address space)
//   total() == the exact number of accesses the generator yields, 1 <= total() < 2^63
#pragma once

#include <cstdint>
#include <string>

namespace hpmm::sim {

enum class WorkloadKind : uint8_t { kSeq, kStride, kUniform, kZipf, kHotCold, kPhases };
const char *name_of(WorkloadKind);

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::kSeq;
  // Common keys.
  uint64_t pages = 0;                 // required by every kind
  uint64_t pagesize = 4096;           // the workload's page (independent of --page-size)
  uint64_t size = 8;                  // bytes per access
  uint64_t base = uint64_t{1} << 30;  // first address (1 GiB: aligned for every page size)
  double write = 0;                   // probability that an access is a store
  bool has_seed = false;              // seed= given: it overrides the run's --seed
  uint64_t seed = 0;
  // seq, stride
  uint64_t passes = 1;
  // stride: the region is a row-major matrix whose rows are `step` pages long
  uint64_t step = 0;
  bool column_order = true;  // order=col (each column top to bottom) or order=row
  // uniform, zipf, hotcold: total accesses; phases: accesses per phase
  uint64_t accesses = 0;
  double s = 0;         // zipf exponent
  double hot = 0;       // hotcold: fraction of pages that are hot
  double hotfrac = 0;   // hotcold: fraction of accesses that go to hot pages
  bool scatter = true;  // zipf, hotcold: hot ranks spread over the region (else packed low)
  uint64_t ws = 0;      // phases: working-set pages
  uint64_t phases = 0;  // phases: how many phases
  uint64_t shift = 0;   // phases: pages between consecutive working sets (default ws)

  uint64_t total() const;                                   // accesses the generator yields
  uint64_t end() const { return base + pages * pagesize; }  // one past the last address
  std::string canonical() const;  // every key with its effective value, parseable again
  bool valid() const;             // the invariants above and every key in its range
};

// Parses text into *out.  On failure returns false and sets *error to what is wrong, naming the
// kind and the key ("zipf: s: must be > 0 and <= 100, not '0'").
bool parse_workload_spec(const std::string &text, WorkloadSpec *out, std::string *error);

}  // namespace hpmm::sim
