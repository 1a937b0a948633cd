#!/usr/bin/env bash
# scripts/demo.sh BUILD: the short, real experiment behind `make demo`.
#   1. trace a real program with Valgrind lackey and replay it through hpmm-sim;
#   2. faults of each replacement policy as memory shrinks (the same trace);
#   3. the TLB cost of walking a matrix by rows vs by columns, with 4 KiB and 2 MiB pages;
#   4. an allocator run: python3 with libhpmm preloaded and its statistics printed at exit.
# Everything it writes goes to demo-out/.
set -euo pipefail
build=${1:-build/release}
sim=$build/hpmm-sim
lib=$PWD/$build/libhpmm.so
out=demo-out
mkdir -p "$out"

# col CSV NAME: the value of column NAME in the data row of a two-line CSV.
col() {
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
                        NR == 2 { if (!c) { print "?"; exit 1 } print $c }' <<<"$1"
}

echo "== 1. A real program's memory trace: valgrind --tool=lackey --trace-mem=yes ls /usr"
valgrind --tool=lackey --trace-mem=yes --log-file="$out/ls.trace" ls /usr >/dev/null
echo "   $(wc -l <"$out/ls.trace") trace lines in $out/ls.trace"
echo
echo "== Replayed: 4 KiB pages, 256 frames, clock, L1 16x4 + STLB 128x12"
"$sim" run --trace "$out/ls.trace" --format lackey --page-size 4k --frames 256 --policy clock \
  --tlb l1=16x4,l2=128x12 --quiet
"$sim" run --trace "$out/ls.trace" --format lackey --page-size 4k --frames 256 --policy clock \
  --tlb l1=16x4,l2=128x12 --json --quiet --output "$out/ls.json"
echo "   (JSON in $out/ls.json)"
echo

echo "== 2. Page faults of the same trace as memory shrinks"
printf '   %-8s' frames; for p in fifo lru clock opt random; do printf '%10s' "$p"; done; echo
for frames in 512 256 128 64 32 16; do
  printf '   %-8s' "$frames"
  for p in fifo lru clock opt random; do
    csv=$("$sim" run --trace "$out/ls.trace" --format lackey --frames "$frames" --policy "$p" --csv --quiet)
    printf '%10s' "$(col "$csv" faults.total)"
  done
  echo
done
echo

echo "== 3. A 1024x1024 matrix of 8-byte elements (8 MiB) walked by rows and by columns"
printf '   %-22s %14s %14s %14s\n' walk page-size "L1 miss rate" "cycles/access"
for walk in "rows:stride:pages=2048,step=2,order=row" "columns:stride:pages=2048,step=2,order=col"; do
  name=${walk%%:*} spec=${walk#*:}
  for ps in 4k 2m; do
    frames=$([ "$ps" = 4k ] && echo 4096 || echo 8)
    csv=$("$sim" run --workload "$spec" --page-size "$ps" --frames "$frames" --csv --quiet)
    printf '   %-22s %14s %14.4f %14.2f\n' "$name" "$ps" "$(col "$csv" tlb.l1.miss_rate)" \
      "$(col "$csv" cycles_per_access)"
  done
done
echo

if [ -f "$lib" ]; then
  echo "== 4. The allocator: python3 with libhpmm preloaded (HPMM_STATS=1 prints its statistics)"
  HPMM_STATS=1 LD_PRELOAD="$lib" python3 -c '
d = {i: str(i) * 8 for i in range(200000)}
print("   python3 built a dict of", len(d), "strings; checksum", sum(len(v) for v in d.values()))'
else
  echo "== 4. (no $lib yet: the allocator run is skipped)"
fi
