#!/usr/bin/env bash
# scripts/bench-alloc.sh [--runs N] [--quick] [--json FILE] [--lib PATH] [--scale S] [--only W,..]
#                        [--instructions [--instr-scale S]] [--hpmm-hugepages MODE]
#
# Compares libhpmm (BUILD/libhpmm.so, when it exists) with glibc, jemalloc, tcmalloc (minimal)
# and mimalloc on the workloads of bench/alloc/, each allocator chosen by LD_PRELOAD: median wall
# time, CPU time and peak RSS per workload, ratios of libhpmm against each peer and against the
# best peer per workload, geometric means, and the hugepage coverage of a steady 96 MiB heap.
#   --runs N     runs of every (workload, allocator) pair, interleaved (default 5; ~4-6 min
#                on 2 idle cores)
#   --quick      1 run each at half scale (about a minute)
#   --json FILE  also write every run and figure to FILE
#   --lib PATH   the libhpmm to measure (default build/release/libhpmm.so)
#   --only W,..  only these workloads; --scale S multiplies every workload's operation count
#   --instructions  also count each workload's instructions under valgrind --tool=callgrind at
#                scale 0.02 (--instr-scale S): slow (~2-4 min) but independent of machine load
#   --hpmm-hugepages MODE  HPMM_HUGEPAGES for libhpmm's runs (default $HPMM_HUGEPAGES, else thp).
#                Peak RSS counts every byte: in thp/off libhpmm takes no hugetlb pool pages (which
#                rusage leaves out); in auto/hugetlb the pool pages it holds are sampled and added.
# Environment: BUILD (default build/release).  The method is described in bench/alloc/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build/release}
command -v python3 >/dev/null || { echo "bench-alloc: python3 is required" >&2; exit 1; }
# Build the workloads (plain -O2 programs; cheap when up to date).  MODE follows BUILD's name.
mode=${build##*/}
make --no-print-directory -s MODE="$mode" \
  $(ls bench/alloc/*.cc | sed "s|bench/alloc/\(.*\)\.cc|$build/bench/alloc/\1|")
exec python3 bench/alloc/run.py --build "$build" "$@"
