// cli/usage.cc: the texts of hpmm-sim --help, run --help and --version.  hpmm-sim(1) is the
// full reference; these are the reminders a user needs at the terminal.
#include "cli/options.hpp"

namespace hpmm::cli {

std::string version_text() {
  return "hpmm-sim (hpmm) 0.1\n";
}

std::string usage_text() {
  return R"(usage: hpmm-sim run (--trace FILE|- | --workload SPEC) [options]
       hpmm-sim run --help
       hpmm-sim sweep|mrc|wss|multi [options]   (hpmm-sim sweep --help)
       hpmm-sim --help | --version

hpmm-sim replays a memory trace or a synthetic workload through a software MMU (radix page
tables, a TLB hierarchy with page-walk caches, demand paging over a bounded pool of frames, page
replacement, swap) and reports TLB hits and misses, page walks, faults and evictions.

commands:
  run       simulate one machine over one source and print a report
  sweep     run a source over a range of frame counts and policies, in parallel; CSV and plot
  mrc       the LRU (and OPT) fault curve for every memory size in one pass
  wss       the working set over time and the lifetime curves
  multi     several programs sharing the frames: throughput, thrashing, load control
  --help    this text;  run --help lists every option of run
  --version print the version

exit status: 0 success, 1 the run failed (unreadable or malformed trace, output not
writable), 2 bad usage (unknown flag, bad value, bad combination).
See hpmm-sim(1) for every option, the workload keys, the output fields and the counting rules.
)";
}

std::string run_usage_text() {
  return R"(usage: hpmm-sim run (--trace FILE|- | --workload SPEC) [options]

source (exactly one):
  --trace FILE|-           a memory trace; - reads standard input
  --format lackey|text|auto  trace format (default auto: detected from the first lines)
  --ifetch                 count instruction fetches of a lackey trace (dropped otherwise)
  --workload SPEC          a synthetic workload, KIND:key=value,...  KIND is one of
                             seq:pages=N[,passes=P]
                             stride:pages=N,step=ROWPAGES[,order=col|row][,passes=P]
                             uniform:pages=N,accesses=A
                             zipf:pages=N,s=S,accesses=A[,scatter=0|1]
                             hotcold:pages=N,hot=F,hotfrac=F,accesses=A[,scatter=0|1]
                             phases:pages=N,ws=W,phases=K,accesses=A[,shift=S]
                           every kind also takes pagesize=4k, size=8, base=0x40000000,
                           write=0, seed=N
  --limit N                stop after N accesses
  --seed N                 seed of random workloads and policies (default 1)

machine:
  --page-size 4k|2m|1g     page size of the address space (default 4k)
  --region START:LEN:SIZE  map [START, START+LEN) with SIZE pages (repeatable)
  --frames N | --frames 4k=N,2m=M,1g=K
                           frames in each page size's pool (default 256 of --page-size)
  --memory SIZE | --memory 4k=SIZE,2m=SIZE
                           the same given as memory (64M, 1G), rounded down to whole frames
  --levels 4|5             page-table levels (48- or 57-bit addresses; default 4)
  --policy NAME            page replacement (default clock): fifo, lru, clock, opt, random,
                           or the scan-resistant 2q, arc, lirs, linux (active/inactive lists)
  --ref-bits every-access|tlb-fill     when reference bits are set (default every-access)
  --tlb l1=SxW,l2=SxW[,l1-4k=SxW,l1-2m=SxW,l1-1g=SxW]
                           TLB shapes, sets x ways (default l1-4k=16x4, l1-2m=8x4,
                           l1-1g=1x4, l2=128x12); l1= shapes every size's L1 unless that size
                           has its own key; l2=none (or 0) removes the second level
  --tlb-policy lru|plru|fifo|random    TLB replacement (default lru)
  --pwc A,B,C | none       page-walk cache entries for PML4E, PDPTE, PDE (default 2,4,32)
  --cost KEY=CYCLES,...    cost model: l1-hit, l2-hit, walk-ref, pwc-hit, minor-fault,
                           major-fault, writeback (defaults 1, 8, 25, 2, 2000, 200000, 20000)

swap (a real file; implies data: frames hold bytes):
  --swap FILE              evicted dirty pages go to FILE (created; must not exist), through
                           io_uring; pools of other page sizes use FILE.2m, FILE.1g
  --keep-swap              leave FILE at exit (else it is unlinked as soon as it is created)
  --swap-direct            O_DIRECT (buffered, with a note, where the file system refuses it)
  --readahead N            on a major fault also read the N following slots (0..64; default 0)
  --swap-io auto|uring|sync  auto: io_uring, else pread/pwrite (HPMM_SIM_URING=off forces it);
                           uring: fail if the kernel refuses io_uring; sync: pread/pwrite
  --verify                 stamp every written 4 KiB chunk, check every read and every page a
                           major fault brings back; a mismatch fails the run (works without --swap)

output:
  --json                   the report as one JSON object (nested: tlb.l1.hits is
                           {"tlb":{"l1":{"hits":...}}})
  --csv                    a header row and one data row, the JSON fields flattened
  --no-header              with --csv: the data row only
  --output FILE, -o FILE   write the report to FILE instead of standard output
  --quiet, -q              no progress line (shown only when stderr is a terminal)
  --help, -h               this text
)";
}

}  // namespace hpmm::cli
