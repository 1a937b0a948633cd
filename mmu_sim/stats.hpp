// mmu_sim/stats.hpp: what a simulation counted.  Meanings are exactly those of hpmm-sim(1) and
// DESIGN.md's counting rules; invariants a run must keep (checked by SimStats::valid()):
//   accesses == reads + writes + ifetches
//   l1.hits + l1.misses == translations
//   l2.hits + l2.misses == l1.misses              (when an L2 is configured)
//   walks == l2.misses (or l1.misses without L2)
//   faults_minor + faults_major <= walks,  evictions <= faults, writebacks <= evictions
#pragma once

#include <cstdint>

#include "mmu_sim/config.hpp"

namespace hpmm::sim {

struct TlbLevelStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
};

// Real I/O of a swap file (mmu_sim/swap_file.hpp); all zero without one.  Times are measured with
// CLOCK_MONOTONIC, in microseconds, as medians (p50) and 99th percentiles of log-linear
// histograms (within 1/16).  Invariants: reads == reads_from_file + reads_from_writeback +
// readahead_hits + reads_of_zero;  readahead_hits <= readahead_issued.
struct SwapIoStats {
  uint64_t reads = 0;                 // pages read back for major faults
  uint64_t reads_from_file = 0;       // ... by a read of the file that the fault waited for
  uint64_t reads_from_writeback = 0;  // ... from a write-back buffer still queued or in flight
  uint64_t readahead_hits = 0;        // ... from a slot read ahead
  uint64_t reads_of_zero = 0;         // ... of a slot never written (zeros, no I/O)
  uint64_t readahead_issued = 0;      // neighbouring slots read ahead
  uint64_t writes = 0;                // pages written back
  uint64_t bytes_read = 0;            // from the file (demand and readahead)
  uint64_t bytes_written = 0;         // to the file
  uint64_t submits = 0;               // submissions (system calls with io_uring)
  uint64_t write_stalls = 0;          // write-backs that waited for a buffer or an older write
  uint64_t slots_high_water = 0;      // slots ever used: the file holds this many pages
  double fault_us_p50 = 0, fault_us_p99 = 0;          // a major fault's read, as it waited
  double writeback_us_p50 = 0, writeback_us_p99 = 0;  // an eviction's hand-over of its page
  double write_io_us_p50 = 0, write_io_us_p99 = 0;    // a write's submission to its completion
                                                      // being reaped (an upper bound)

  // Adds another pool's counters (the latencies are not additive: left as they are).
  void add_counts(const SwapIoStats &o) {
    reads += o.reads;
    reads_from_file += o.reads_from_file;
    reads_from_writeback += o.reads_from_writeback;
    readahead_hits += o.readahead_hits;
    reads_of_zero += o.reads_of_zero;
    readahead_issued += o.readahead_issued;
    writes += o.writes;
    bytes_read += o.bytes_read;
    bytes_written += o.bytes_written;
    submits += o.submits;
    write_stalls += o.write_stalls;
    slots_high_water += o.slots_high_water;
  }
};

struct SimStats {
  uint64_t accesses = 0;  // reads + writes + ifetches (a Modify is one read and one write)
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t ifetches = 0;
  uint64_t translations = 0;  // one per page each access touches
  TlbLevelStats l1;           // all page sizes' L1 arrays together
  TlbLevelStats l1_by_size[kPageSizeCount];
  TlbLevelStats l2;
  bool has_l2 = false;
  uint64_t walks = 0;
  uint64_t walk_refs = 0;     // memory references made by walks (after page-walk caches)
  uint64_t pwc_hits[3] = {};  // per cached upper level, same order as SimConfig::pwc_entries
  uint64_t faults_minor = 0;  // zero-fill: the page had no valid swap copy
  uint64_t faults_major = 0;  // the page was read back from its swap copy
  uint64_t evictions = 0;
  uint64_t writebacks = 0;      // dirty victims written to swap
  uint64_t shootdowns = 0;      // TLB entries removed because their page was evicted
  uint64_t resident_pages = 0;  // at the time of the snapshot
  uint64_t verified_reads = 0;  // --verify: read translations whose stamp was checked
  uint64_t verified_pages = 0;  // --verify: pages checked byte for byte after a major fault
  SwapIoStats swap;

  uint64_t faults() const { return faults_minor + faults_major; }
  double cycles(const CostModel &c) const;
  double cycles_per_access(const CostModel &c) const;
  bool valid() const;
};

}  // namespace hpmm::sim
