#!/usr/bin/env bash
# scripts/demo.sh BUILD: the short, real experiment behind `make demo`.
#   1. trace a real program with Valgrind lackey and replay it through hpmm-sim;
#   2. faults of each replacement policy as memory shrinks (the same trace: sweep and mrc), and
#      a run that swaps to a real file through io_uring with every read verified;
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

echo "== 2. Page faults of the same trace as memory shrinks (hpmm-sim sweep, one run per point)"
"$sim" sweep --trace "$out/ls.trace" --format lackey --policy fifo,lru,clock,opt,random,2q,arc \
  --frames 16..512 --csv "$out/sweep.csv" --plot "$out/sweep.svg" --quiet
policies=$(awk -F, 'NR > 1 && !seen[$2]++ { printf "%s ", $2 }' "$out/sweep.csv")
printf '   %-8s' frames; for p in $policies; do printf '%9s' "$p"; done; echo
awk -F, -v pol="$policies" '
  NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { f[$c["frames"]] = 1; v[$c["frames"], $c["policy"]] = $c["faults"] }
  END { n = split(pol, ps, " "); m = 0; for (x in f) fr[++m] = x + 0
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (fr[j] > fr[i]) { t = fr[i]; fr[i] = fr[j]; fr[j] = t }
        for (i = 1; i <= m; i++) { printf "   %-8s", fr[i]; for (k = 1; k <= n; k++) printf "%9s", v[fr[i], ps[k]]; printf "\n" } }' \
  "$out/sweep.csv"
echo "   (faults vs frames: $out/sweep.csv, plot $out/sweep.svg)"
"$sim" mrc --trace "$out/ls.trace" --format lackey --csv "$out/mrc.csv" --quiet
echo "   LRU faults for every memory size from one pass: $out/mrc.csv"
echo

echo "== 2b. The same trace with 64 frames, evicted pages written to a real swap file (io_uring)"
echo "      and every read checked against the last write (--verify)"
"$sim" run --trace "$out/ls.trace" --format lackey --frames 64 --policy lru \
  --swap "$out/demo.swap" --verify --quiet | grep -E 'swap|verif|faults' | sed 's/^/   /'
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
