#!/usr/bin/env python3
"""bench/alloc/run.py: run the allocator workloads under each malloc and compare them.

Called by scripts/bench-alloc.sh (which builds the workloads first); see that script for usage.

Method.  Every workload in BUILD/bench/alloc/ runs under each allocator, chosen by LD_PRELOAD
(glibc: nothing preloaded).  Runs are interleaved -- round r runs every workload once under every
allocator, allocators in a per-round shuffled order -- so drift in machine load spreads over all
allocators instead of biasing one.  Each run is spawned (posix_spawn, under /usr/bin/time for
its peak RSS: see run_once) and reaped with wait4; wall time is measured around spawn..reap
(perf_counter), CPU time is ru_utime + ru_stime.  A run that exits non-zero or reports a
failed check ("FAILED"; the workloads check their own blocks and print nothing on success)
fails: its allocator gets FAIL for that workload and is left out of its ratios.  Output from a run that
passed can only be the allocator's own; it is reported once per allocator.

Figures.  Per workload and allocator, the median of the runs.  Ratios are subject / peer, where
the subject is libhpmm when its library exists (else glibc, labelled as such); below 1 means the
subject is faster or leaner.  Summary rows are geometric means over the workloads both ran.
User time (ru_utime) is given apart too: the kernel's share (page faults, zeroing, madvise) can
swing with the machine's state -- on a VM that hands free memory back to its host, a fault on a
reclaimed 2 MiB block costs milliseconds -- while the user time is the allocator's own code.
Hugepage coverage is measured in one extra run of steady_heap per allocator, with
ALLOC_BENCH_REPORT set (so timing runs never read smaps): the fraction of the process's
anonymous memory on huge pages, (AnonHugePages + hugetlb) / (Anonymous + hugetlb), read from
/proc/self/smaps_rollup while the ~96 MiB heap is steady.  With --instructions, each workload
(but steady_heap) also runs once per allocator under callgrind at a small scale: instruction
counts are the one figure a loaded, shared machine does not disturb.

Every byte of libhpmm's footprint is counted.  Pages of the hugetlbfs pool are not in a process's
RSS (rusage), and libhpmm takes pool pages in its default mode (HPMM_HUGEPAGES=auto) while the
peers take none.  So libhpmm runs with HPMM_HUGEPAGES=thp by default (--hpmm-hugepages), where
its RSS is its whole footprint: each hugepage it uses is a transparent huge page, in RSS.  In a
mode that may use the pool (auto, hugetlb), the pool pages the workload holds are sampled every
few milliseconds from /proc/PID/status (HugetlbPages) and their peak is added to its peak RSS
(an upper bound: the two peaks may not coincide); the output says which was done.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time

PEER_DIR = "/usr/lib/x86_64-linux-gnu"
PEERS = [  # name, preloaded library (None: the C library's own malloc)
    ("glibc", None),
    ("jemalloc", PEER_DIR + "/libjemalloc.so.2"),
    # The minimal tcmalloc: same allocator without the heap profiler's hooks.
    ("tcmalloc", PEER_DIR + "/libtcmalloc_minimal.so.4"),
    ("mimalloc", PEER_DIR + "/libmimalloc.so.2"),
]
WORKLOADS = ["small_lifo", "small_random", "mixed_sizes", "realloc_growth", "prodcons", "larson",
             "large_blocks", "steady_heap"]
HUGEPAGE_WORKLOAD = "steady_heap"
TIMEOUT_S = 120
TIME = "/usr/bin/time"
VALGRIND = "/usr/bin/valgrind"
# Not counted under callgrind: steady_heap's instructions are mostly its (unscaled) 96 MiB fill.
# (large_blocks is counted, but its cost is mostly page faults, which callgrind does not see.)
INSTR_SKIP = ("steady_heap",)
INSTR_TIMEOUT_S = 900
ENV = "/usr/bin/env"
HUGETLB_SAMPLE_S = 0.003
# libhpmm modes that never take hugetlb pool pages: rusage sees their whole footprint.
NO_POOL_MODES = ("thp", "off")


def wait_with_timeout(pid, timeout_s):
    """wait4(pid) for a process group leader; the whole group is killed after timeout_s."""
    def kill():
        try:
            os.killpg(pid, 9)
        except ProcessLookupError:  # it ended just now
            pass

    timer = threading.Timer(timeout_s, kill)
    timer.start()
    try:
        return os.wait4(pid, 0)
    finally:
        timer.cancel()


def child_of(pid):
    """The pid of pid's child (from /proc; CONFIG_PROC_CHILDREN may be off), or None."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:  # gone meanwhile
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            return int(d)
    return None


class HugetlbSampler:
    """Peak HugetlbPages (kB) of /usr/bin/time's child (the workload), sampled until stop()."""

    def __init__(self, time_pid):
        self.time_pid, self.peak_kib, self.samples = time_pid, 0, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        child = None
        while not self.done.is_set() and child is None:
            child = child_of(self.time_pid)
            if child is None:
                time.sleep(0.0005)
        while not self.done.is_set():
            try:
                with open(f"/proc/{child}/status") as f:
                    for line in f:
                        if line.startswith("HugetlbPages:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                            self.samples += 1
                            break
            except OSError:  # it exited
                return
            self.done.wait(HUGETLB_SAMPLE_S)

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.peak_kib


def run_once(prog, scale, lib, report=None, lib_env=None, sample_hugetlb=False):
    """Runs prog once; returns dict(wall, cpu, rss_kib, hugetlb_kib, ok, error).

    The workload runs as /usr/bin/time's child, not ours: Linux carries a process's peak RSS
    across exec, so a child forked from this (large) Python process would report Python's RSS
    as its own.  time forks it from a small process and reports its ru_maxrss (%M, KiB).  CPU
    time is our wait4 rusage of time, which includes the reaped workload's.  LD_PRELOAD is set
    by env(1) just before the workload's exec, so time itself runs on glibc, as are lib_env's
    variables ("NAME=value" strings, for the allocator).  With sample_hugetlb, the peak of the
    workload's hugetlb pool pages (sampled) is added to rss_kib and returned as hugetlb_kib.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ALLOC_BENCH_REPORT")}
    if report:
        env["ALLOC_BENCH_REPORT"] = report
    preload = (["LD_PRELOAD=" + lib] + list(lib_env or [])) if lib else ["-u", "LD_PRELOAD"]
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile(prefix="hpmm-rss-") as rss:
        argv = [TIME, "-f", "%M", "-o", rss.name, ENV] + preload + [prog, repr(scale)]
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, out.fileno(), 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(TIME, argv, env, file_actions=actions, setpgroup=0)
        sampler = HugetlbSampler(pid) if sample_hugetlb else None
        _, status, ru = wait_with_timeout(pid, TIMEOUT_S)
        wall = time.perf_counter() - t0
        hugetlb_kib = sampler.stop() if sampler else 0
        out.seek(0)
        text = out.read().decode(errors="replace").strip()
        rss_lines = open(rss.name).read().split()
    error = None
    if os.WIFSIGNALED(status):
        error = f"killed by signal {os.WTERMSIG(status)}" + (" (timeout)" if wall >= TIMEOUT_S else "")
    elif os.WEXITSTATUS(status) != 0:
        error = f"exit status {os.WEXITSTATUS(status)}"
        if rss_lines and rss_lines[0] == "Command":
            error = " ".join(rss_lines[:-1])  # "Command terminated by signal N"
    elif "FAILED" in text:
        error = "the workload's check failed"
    if error and text:
        error += ": " + text.splitlines()[0][:200]
    rss_kib = int(rss_lines[-1]) if rss_lines and rss_lines[-1].isdigit() else 0
    rss_kib += hugetlb_kib
    # Output from a run that passed comes from the allocator (the workloads print nothing on
    # success); it is kept and reported, not held against the run.
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "rss_kib": rss_kib,
            "hugetlb_kib": hugetlb_kib,
            "ok": error is None, "error": error, "noise": text[:200] if text and not error else None}


def count_instructions(prog, scale, lib, lib_env):
    """Instructions the workload executes (callgrind's "Collected"), or None with the error.

    Callgrind does not replace malloc, so LD_PRELOAD still selects the allocator; it runs the
    threads one at a time, so the count does not depend on the machine's load.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ALLOC_BENCH_REPORT")}
    if lib:
        env["LD_PRELOAD"] = lib
        env.update(kv.split("=", 1) for kv in lib_env)
    with tempfile.TemporaryFile() as out:
        argv = [VALGRIND, "--tool=callgrind", "--callgrind-out-file=/dev/null", prog, repr(scale)]
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, out.fileno(), 2)]
        pid = os.posix_spawn(VALGRIND, argv, env, file_actions=actions, setpgroup=0)
        _, status, _ = wait_with_timeout(pid, INSTR_TIMEOUT_S)
        out.seek(0)
        text = out.read().decode(errors="replace")
    for line in text.splitlines():
        if "Collected :" in line and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return int(line.split(":")[-1]), None
    return None, (text.strip().splitlines() or ["no output"])[-1][:200]


def read_report(path):
    fields = {}
    with open(path) as f:
        for line in f:
            name, value = line.split()
            fields[name] = int(value)
    return fields


def hugetlb_pool():
    """ "N x SIZE kB" for a non-empty hugetlb pool, else None (from /proc/meminfo)."""
    info = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            info[k] = v.split()[0]
    n = int(info.get("HugePages_Total", "0"))
    return f"{n} x {info.get('Hugepagesize', '?')} kB" if n else None


def geomean(xs):
    xs = [x for x in xs if x is not None and x > 0]
    if not xs:
        return None
    return statistics.geometric_mean(xs)


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(title, rows, cols, cell, width=10, first=15):
    print(title)
    print("  " + "".ljust(first) + "".join(c.rjust(width) for c in cols))
    for r in rows:
        print("  " + r.ljust(first) + "".join(cell(r, c).rjust(width) for c in cols))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--lib", default=None, help="libhpmm.so (default BUILD/libhpmm.so)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="1 run of each, workloads at half scale")
    ap.add_argument("--scale", type=float, default=None, help="operation-count multiplier")
    ap.add_argument("--only", default=None, help="comma-separated workloads")
    ap.add_argument("--json", default=None, help="also write every figure to this file")
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions under callgrind (load-independent)")
    ap.add_argument("--hpmm-hugepages", default=None, metavar="MODE",
                    help="HPMM_HUGEPAGES for libhpmm's runs (default: $HPMM_HUGEPAGES, else thp, "
                    "so that its RSS counts every byte; in auto/hugetlb the pool pages it holds are "
                    "sampled and added)")
    ap.add_argument("--instr-scale", type=float, default=0.02,
                    help="workload scale for --instructions (default 0.02)")
    a = ap.parse_args()
    if a.runs < 1:
        sys.exit("bench-alloc: --runs must be at least 1, got %d" % a.runs)
    runs = 1 if a.quick else a.runs
    scale = a.scale if a.scale is not None else (0.5 if a.quick else 1.0)
    if not 0 < scale <= 1000:
        sys.exit("bench-alloc: --scale must be in (0, 1000], got %g" % scale)
    workloads = WORKLOADS if a.only is None else a.only.split(",")
    for w in workloads:
        prog = os.path.join(a.build, "bench", "alloc", w)
        if w not in WORKLOADS:
            sys.exit(f"bench-alloc: unknown workload '{w}' (known: {', '.join(WORKLOADS)})")
        if not os.access(prog, os.X_OK):
            sys.exit(f"bench-alloc: workload program {prog} is missing; run make MODE=release")

    lib = a.lib or os.path.join(a.build, "libhpmm.so")
    allocs = []
    if os.path.exists(lib):
        allocs.append(("libhpmm", os.path.abspath(lib)))
        subject = "libhpmm"
    else:
        print(f"bench-alloc: {lib} does not exist: libhpmm is NOT measured; peers only, and the")
        print("bench-alloc: ratio tables below compare glibc against the other peers instead.")
        subject = "glibc"
    for name, path in PEERS:
        if path is None or os.path.exists(path):
            allocs.append((name, path))
        else:
            print(f"bench-alloc: peer {name} skipped: {path} not installed (scripts/deps.sh bench)")
    names = [n for n, _ in allocs]
    peers = [n for n in names if n != subject]
    hpmm_mode = a.hpmm_hugepages or os.environ.get("HPMM_HUGEPAGES") or "thp"
    if hpmm_mode not in ("auto", "hugetlb", "thp", "off"):
        sys.exit(f"bench-alloc: --hpmm-hugepages must be auto, hugetlb, thp or off, got '{hpmm_mode}'")
    sample_pool = hpmm_mode not in NO_POOL_MODES
    lib_env = {n: [] for n in names}
    if "libhpmm" in lib_env:
        lib_env["libhpmm"] = ["HPMM_HUGEPAGES=" + hpmm_mode]
        if sample_pool:
            rss_how = (f"libhpmm with HPMM_HUGEPAGES={hpmm_mode}: its RSS + the peak of the hugetlb "
                       "pool pages it held, sampled from /proc/PID/status (pool pages are not in RSS)")
        else:
            rss_how = (f"libhpmm with HPMM_HUGEPAGES={hpmm_mode}: it takes no hugetlb pool pages, so "
                       "its RSS is its whole footprint")
        print(f"bench-alloc: peak RSS counts every byte: {rss_how}")

    load0 = os.getloadavg()
    print(f"bench-alloc: {len(workloads)} workloads x {len(allocs)} allocators x {runs} runs, "
          f"scale {scale:g}, {os.cpu_count()} CPUs, load average {load0[0]:.2f} at start")
    results = {w: {n: [] for n in names} for w in workloads}
    t_start = time.time()
    for r in range(runs):
        order = list(allocs)
        random.Random(r).shuffle(order)
        for w in workloads:
            prog = os.path.join(a.build, "bench", "alloc", w)
            for name, path in order:
                results[w][name].append(run_once(prog, scale, path, lib_env=lib_env[name],
                                                 sample_hugetlb=sample_pool and name == "libhpmm"))
        print(f"  round {r + 1}/{runs} done after {time.time() - t_start:.0f} s", flush=True)

    huge = {}
    if HUGEPAGE_WORKLOAD in workloads:
        prog = os.path.join(a.build, "bench", "alloc", HUGEPAGE_WORKLOAD)
        for name, path in allocs:
            with tempfile.NamedTemporaryFile(prefix="hpmm-smaps-") as rep:
                res = run_once(prog, scale, path, report=rep.name, lib_env=lib_env[name])
                huge[name] = read_report(rep.name) if res["ok"] else {"error": res["error"]}
    instr = {}
    if a.instructions:
        if not os.access(VALGRIND, os.X_OK):
            sys.exit(f"bench-alloc: --instructions needs {VALGRIND} (Debian package valgrind)")
        for w in workloads:
            if w in INSTR_SKIP:
                continue
            prog = os.path.join(a.build, "bench", "alloc", w)
            instr[w] = {}
            for name, path in allocs:
                count, err = count_instructions(prog, a.instr_scale, path, lib_env[name])
                instr[w][name] = count
                if err:
                    print(f"bench-alloc: FAIL {w} under {name} (callgrind): {err}")
        print(f"  instruction counts done after {time.time() - t_start:.0f} s", flush=True)
    load1 = os.getloadavg()

    # Medians; failures; allocator output.
    for n in names:
        noise = [x["noise"] for w in workloads for x in results[w][n] if x["noise"]]
        if noise:
            print(f"bench-alloc: note: {n} printed output in {len(noise)} passing runs, e.g.: "
                  + noise[0].splitlines()[0])
    med = {w: {} for w in workloads}
    for w in workloads:
        for n in names:
            rs = results[w][n]
            bad = [x for x in rs if not x["ok"]]
            if bad:
                med[w][n] = None
                print(f"bench-alloc: FAIL {w} under {n}: {bad[0]['error']}")
                continue
            walls = [x["wall"] for x in rs]
            med[w][n] = {"wall": statistics.median(walls), "cpu": statistics.median(x["cpu"] for x in rs),
                         "user": statistics.median(x["user"] for x in rs),
                         "rss_kib": statistics.median(x["rss_kib"] for x in rs),
                         "hugetlb_kib": statistics.median(x["hugetlb_kib"] for x in rs),
                         "spread": (max(walls) - min(walls)) / (2 * statistics.median(walls))}
    print()

    def cell_time(w, n):
        m = med[w][n]
        if m is None:
            return "FAIL"
        return f"{m['wall']:.3f}" + (f"±{100 * m['spread']:.0f}%" if runs > 1 else "")

    print_table("median wall time, s (± half the range over runs)", workloads, names, cell_time, 13)
    print_table("median CPU time (user+sys), s", workloads, names,
                lambda w, n: "FAIL" if med[w][n] is None else f"{med[w][n]['cpu']:.3f}", 13)
    print_table("median user time, s (CPU time less the kernel's: page faults, madvise, mmap)",
                workloads, names,
                lambda w, n: "FAIL" if med[w][n] is None else f"{med[w][n]['user']:.3f}", 13)
    pool = hugetlb_pool()
    rss_title = "median peak RSS, MiB, every byte counted"
    if "libhpmm" in names:
        rss_title += (" (libhpmm: RSS + sampled peak of its hugetlb pool pages)" if sample_pool else
                      f" (libhpmm in HPMM_HUGEPAGES={hpmm_mode}: no pool pages)")
    if pool:
        rss_title += f"; the hugetlb pool here is {pool}"
    print_table(rss_title, workloads, names,
                lambda w, n: "FAIL" if med[w][n] is None else f"{med[w][n]['rss_kib'] / 1024:.1f}",
                13)

    def ratio(w, other, key):
        s, o = med[w][subject], med[w][other]
        return None if s is None or o is None else s[key] / o[key]

    def best_peer(w, key):
        ok = [med[w][p][key] for p in peers if med[w][p] is not None]
        s = med[w][subject]
        return None if s is None or not ok else s[key] / min(ok)

    ratios = {}
    for key, label, bestname in (("wall", "wall time", "fastest"), ("cpu", "CPU time", "fastest"),
                                 ("user", "user time", "fastest"),
                                 ("rss_kib", "peak RSS", "leanest")):
        cols = peers + [bestname]
        table = {w: {p: ratio(w, p, key) for p in peers} for w in workloads}
        for w in workloads:
            table[w][bestname] = best_peer(w, key)
        gm = {c: geomean([table[w][c] for w in workloads]) for c in cols}
        ratios[key] = {"per_workload": table, "geomean": gm}
        rows = workloads + ["geomean"]
        print_table(f"{subject} / peer, {label} (below 1: {subject} better; '{bestname}' = best peer "
                    f"per workload)", rows, cols,
                    lambda r, c: fmt(gm[c] if r == "geomean" else table[r][c], ".3f"), 11)

    if instr:
        rows = list(instr)
        print_table(f"instructions executed, millions (callgrind, scale {a.instr_scale:g}; "
                    "includes the workload's own code)", rows, names,
                    lambda w, n: fmt(None if instr[w][n] is None else instr[w][n] / 1e6, ".1f"), 13)

        def iratio(w, p):
            s_, o = instr[w][subject], instr[w][p]
            return None if s_ is None or o is None else s_ / o

        def ibest(w):
            ok = [instr[w][p] for p in peers if instr[w][p] is not None]
            return None if instr[w][subject] is None or not ok else instr[w][subject] / min(ok)

        itable = {w: {p: iratio(w, p) for p in peers} for w in rows}
        for w in rows:
            itable[w]["fewest"] = ibest(w)
        cols = peers + ["fewest"]
        igm = {c: geomean([itable[w][c] for w in rows]) for c in cols}
        ratios["instructions"] = {"per_workload": itable, "geomean": igm}
        print_table(f"{subject} / peer, instructions", rows + ["geomean"], cols,
                    lambda r, c: fmt(igm[c] if r == "geomean" else itable[r][c], ".3f"), 11)

    if huge:
        print(f"hugepage coverage of {HUGEPAGE_WORKLOAD} (one extra run each, heap steady; "
              "MiB from /proc/self/smaps_rollup)")
        print("  " + "".ljust(11) + "".join(h.rjust(11) for h in
                                          ("live", "Anonymous", "AnonHuge", "hugetlb", "on huge")))
        for n in names:
            h = huge[n]
            if "error" in h:
                print("  " + n.ljust(11) + "  FAIL: " + h["error"])
                continue
            tlb = h.get("Private_Hugetlb_kB", 0) + h.get("Shared_Hugetlb_kB", 0)
            frac = (h["AnonHugePages_kB"] + tlb) / max(1, h["Anonymous_kB"] + tlb)
            h["hugepage_fraction"] = frac
            print("  " + n.ljust(11) + "".join(x.rjust(11) for x in (
                f"{h['live_bytes'] / 2**20:.1f}", f"{h['Anonymous_kB'] / 1024:.1f}",
                f"{h['AnonHugePages_kB'] / 1024:.1f}", f"{tlb / 1024:.1f}", f"{100 * frac:.1f}%")))
        print()
    print(f"bench-alloc: finished in {time.time() - t_start:.0f} s; load average {load1[0]:.2f} "
          f"at end (other work on the machine inflates wall times; CPU times are steadier)")

    if a.json:
        doc = {"runs": runs, "scale": scale, "cpus": os.cpu_count(), "loadavg_start": load0,
               "loadavg_end": load1, "subject": subject, "allocators": dict(allocs),
               "hpmm_hugepages": hpmm_mode, "hugetlb_sampled": sample_pool,
               "results": results, "medians": med, "ratios": ratios, "hugepages": huge,
               "instructions": {"scale": a.instr_scale, "counts": instr} if instr else None}
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
        print(f"bench-alloc: figures written to {a.json}")
    failed = any(med[w][n] is None for w in workloads for n in names) or any(
        c is None for w in instr for c in instr[w].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
