#!/usr/bin/env bash
# scripts/bench.sh [BUILD] [--full]: every benchmark of the tree in one short run (`make bench`).
#
#   sim_throughput   the simulated MMU's translations per second (10 M accesses per workload)
#   trace_parse      lackey trace parsing, lines per second (a 2 M-line synthetic trace)
#   mrc_speed        the fault-curve passes (2 M references per string)
#   bench-alloc      libhpmm against glibc, jemalloc, tcmalloc and mimalloc (--quick: one run
#                    at half scale; see bench/alloc/README.md)
# --full runs each at its own default size instead (sim_throughput 100 M, trace_parse 40 M lines,
# mrc_speed 100 M and ~2 GB, bench-alloc 5 interleaved runs): about 15 minutes on 2 idle cores.
# BUILD (default build/release) must hold the release build (`make MODE=release all`); missing
# bench programs are built here.  Dependencies: scripts/deps.sh bench.  Every program prints its
# own figures; times are CPU times where the program measures both, since the machine may be
# shared.  Exits non-zero when a program fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/release full=0
for a in "$@"; do
  case "$a" in
    --full) full=1 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench.sh: unknown option '$a' (--full)" >&2; exit 2 ;;
    *) build=$a ;;
  esac
done
scripts/deps.sh bench
mode=${build##*/}
progs=(sim_throughput trace_parse mrc_speed)
make --no-print-directory -s MODE="$mode" -j2 "${progs[@]/#/$build/bench/}" "$build/libhpmm.so"

section() { printf '\n== %s\n' "$*"; }
start=$(date +%s)
echo "bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

if [ "$full" = 1 ]; then
  section "sim_throughput (100 M accesses per workload)"
  "$build/bench/sim_throughput"
  section "trace_parse (40 M-line synthetic lackey trace)"
  "$build/bench/trace_parse"
  section "mrc_speed (100 M references per string)"
  "$build/bench/mrc_speed"
  section "allocator workloads (5 interleaved runs)"
  BUILD=$build scripts/bench-alloc.sh
else
  section "sim_throughput (10 M accesses per workload)"
  "$build/bench/sim_throughput" 10
  section "trace_parse (2 M-line synthetic lackey trace)"
  trace=$(mktemp /tmp/hpmm_bench_short.XXXXXX)
  trap 'rm -f "$trace"' EXIT
  # The same mix as trace_parse's own generator: ~60% I, 25% L, 10% S, 5% M.
  python3 - "$trace" <<'EOF'
import random, sys
rng = random.Random(42)
pc, sp = 0x04016a20, 0x1ffefffd78
out = ["==4242== Lackey, an example Valgrind tool\n"]
for _ in range(2_000_000):
    r = rng.randrange(100)
    if r < 60:
        pc += rng.randrange(1, 8)
        out.append("I  %08x,%d\n" % (pc, rng.randrange(1, 8)))
    else:
        a = 0x04200000 + rng.randrange(65536) * 8 if rng.randrange(4) == 0 else sp - rng.randrange(512)
        k = "L" if r < 85 else "S" if r < 95 else "M"
        out.append(" %s %08x,%d\n" % (k, a, 1 << rng.randrange(4)))
open(sys.argv[1], "w").writelines(out)
EOF
  "$build/bench/trace_parse" "$trace" lackey
  section "mrc_speed (2 M references per string)"
  "$build/bench/mrc_speed" 2
  section "allocator workloads (--quick: 1 run at half scale)"
  BUILD=$build scripts/bench-alloc.sh --quick
fi
echo
echo "bench: finished in $(($(date +%s) - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
