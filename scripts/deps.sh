#!/usr/bin/env bash
# scripts/deps.sh KIND: make sure what KIND (build, test, demo, bench) needs is installed.
# As root it installs the missing Debian packages; otherwise it names them and exits 1.
set -euo pipefail
kind=${1:-build}

# package : a file whose presence shows it is installed
build_pkgs=(
  "g++:/usr/bin/g++"
  "make:/usr/bin/make"
  "liburing-dev:/usr/include/liburing.h"
  "libhugetlbfs-dev:/usr/include/hugetlbfs.h"
  "libhugetlbfs-bin:/usr/bin/hugeadm"
  "libcriterion-dev:/usr/include/criterion/criterion.h"
)
# gnuplot draws hpmm-sim's --plot (sweep, mrc, wss, multi); the tests make a PNG and an SVG.
test_pkgs=("valgrind:/usr/bin/valgrind" "python3:/usr/bin/python3" "sqlite3:/usr/bin/sqlite3"
           "time:/usr/bin/time" "man-db:/usr/bin/man" "gnuplot-nox:/usr/bin/gnuplot")
demo_pkgs=("valgrind:/usr/bin/valgrind" "python3:/usr/bin/python3" "time:/usr/bin/time"
           "gnuplot-nox:/usr/bin/gnuplot")
bench_pkgs=("libjemalloc-dev:/usr/include/jemalloc/jemalloc.h"
            "libgoogle-perftools-dev:/usr/include/gperftools/tcmalloc.h"
            "libmimalloc-dev:/usr/include/mimalloc.h"
            "hyperfine:/usr/bin/hyperfine" "time:/usr/bin/time" "gnuplot-nox:/usr/bin/gnuplot"
            "valgrind:/usr/bin/valgrind" "python3:/usr/bin/python3")

want=("${build_pkgs[@]}")
case "$kind" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  demo) want+=("${demo_pkgs[@]}") ;;
  bench) want+=("${bench_pkgs[@]}") ;;
  *) echo "deps.sh: unknown kind '$kind' (build, test, demo, bench)" >&2; exit 2 ;;
esac

missing=()
for entry in "${want[@]}"; do
  pkg=${entry%%:*} file=${entry#*:}
  [ -e "$file" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "hpmm: missing packages for '$kind': ${missing[*]}" >&2
  echo "hpmm: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "hpmm: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
