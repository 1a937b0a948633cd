#!/usr/bin/env bash
# scripts/run-tests.sh DEBUG_BUILD RELEASE_BUILD: run every Criterion suite and print one total.
# Suites find the programs they drive through HPMM_SIM (the hpmm-sim binary) and HPMM_LIB (the
# release libhpmm.so, which is never sanitized).
set -uo pipefail
debug=${1:-build/debug} release=${2:-build/release}
export HPMM_SIM=$PWD/$debug/hpmm-sim
export HPMM_LIB=$PWD/$release/libhpmm.so
export HPMM_SIM_RELEASE=$PWD/$release/hpmm-sim
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0 status=0
for t in "$debug"/tests/test_*; do
  [ -x "$t" ] || continue
  echo "== ${t##*/}"
  out=$(mktemp)
  "$t" --jobs 2 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  line=$(grep -a 'Synthesis:' "$out" | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
  p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
  f=$(sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p' <<<"$line")
  rm -f "$out"
  passed=$((passed + ${p:-0}))
  if [ -n "$f" ]; then failed=$((failed + ${f% *} + ${f#* })); fi
  if [ "$rc" -ne 0 ]; then status=1; [ -z "$f" ] && failed=$((failed + 1)); fi
done
echo
echo "tests: $passed passed, $failed failed"
exit $status
