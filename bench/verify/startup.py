#!/usr/bin/env python3
"""Process-start measurements for bench/verify/run.sh.

  startup.py interleave RUNS WARMUP NAME=CMD...   runs the commands in turn,
      RUNS times each (the order rotates every round, so load drifts hit all
      alike), and prints wall and CPU (user+system of the child, from wait4)
      medians and the ratios of the first command to each other one.
  startup.py inittrace RUNS TOP CMD...   runs CMD with GODEBUG=inittrace=1
      RUNS times and prints the total package init time (min and median over
      runs) and the TOP packages by their median init time.
  startup.py callgrind RUNS NAME=CMD...   counts the instructions each
      command executes (valgrind --tool=callgrind), the minimum of RUNS runs:
      a figure the machine's load does not move.

Every figure is printed beside the load average at the time it was taken.
"""
import os
import re
import shlex
import statistics
import subprocess
import sys
import time


def load():
    with open("/proc/loadavg") as f:
        return "load " + " ".join(f.read().split()[:3])


def run_once(argv, env=None):
    """Runs argv with output discarded; returns (wall s, cpu s, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, p.returncode


def parse_cmds(args):
    cmds = []
    for a in args:
        name, _, cmd = a.partition("=")
        cmds.append((name, shlex.split(cmd)))
    return cmds


def interleave(runs, warmup, cmds):
    for name, argv in cmds:
        _, _, rc = run_once(argv)
        if rc != 0:
            sys.exit(f"{name}: exit {rc}: {shlex.join(argv)}")
        for _ in range(warmup - 1):
            run_once(argv)
    res = {name: ([], []) for name, _ in cmds}
    before = load()
    for i in range(runs):
        k = i % len(cmds)
        for name, argv in cmds[k:] + cmds[:k]:
            wall, cpu, _ = run_once(argv)
            res[name][0].append(wall)
            res[name][1].append(cpu)
    print(f"  {runs} interleaved runs each; {before} before, {load()} after")
    for name, (walls, cpus) in res.items():
        print(f"  {name:28s} wall median {statistics.median(walls)*1000:7.1f} ms (min {min(walls)*1000:6.1f})"
              f"   CPU median {statistics.median(cpus)*1000:7.1f} ms (min {min(cpus)*1000:6.1f})")
    first, (fw, fc) = cmds[0][0], res[cmds[0][0]]
    for name, _ in cmds[1:]:
        w, c = res[name]
        if name.startswith("cosign"):
            print(f"  ratio {first}/{name}: wall {statistics.median(fw)/statistics.median(w):.2f}, "
                  f"CPU {statistics.median(fc)/statistics.median(c):.2f}  (target <= 0.35)")


INIT = re.compile(r"^init (\S+) @[\d.]+ ms, ([\d.]+) ms clock, (\d+) bytes, (\d+) allocs")


def inittrace(runs, top, argv):
    env = dict(os.environ, GODEBUG="inittrace=1")
    per_pkg, totals, allocs = {}, [], {}
    before = load()
    for _ in range(runs):
        p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        total = 0.0
        for line in p.stderr.splitlines():
            m = INIT.match(line)
            if not m:
                continue
            pkg, ms = m.group(1), float(m.group(2))
            per_pkg.setdefault(pkg, []).append(ms)
            allocs[pkg] = (int(m.group(3)), int(m.group(4)))
            total += ms
        totals.append(total)
    print(f"  {runs} runs; {before} before, {load()} after")
    print(f"  {len(per_pkg)} packages initialised; total init: min {min(totals):.2f} ms, "
          f"median {statistics.median(totals):.2f} ms  (target < 10 ms on a quiet machine)")
    print(f"  top {top} by median init time (ms median / min, bytes, allocs):")
    ranked = sorted(per_pkg.items(), key=lambda kv: -statistics.median(kv[1]))[:top]
    for pkg, v in ranked:
        b, a = allocs[pkg]
        print(f"    {statistics.median(v):6.2f} {min(v):6.2f} {b:9d} B {a:6d}  {pkg}")


def callgrind(runs, cmds):
    env = dict(os.environ, GODEBUG="asyncpreemptoff=1")  # callgrind cannot follow Go's preemption signals
    counts = {}
    for name, argv in cmds:
        got = []
        for _ in range(runs):
            p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + argv,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            m = re.search(r"Collected : (\d+)", p.stderr)
            if p.returncode != 0 or not m:
                print(f"  {name}: run under callgrind failed (exit {p.returncode}): not counted")
                continue
            got.append(int(m.group(1)))
        if not got:
            print(f"  {name}: callgrind gave no count (exit {p.returncode})")
            continue
        # A collection cycle, or the runtime's background work, may land in
        # one run and not another: the minimum is the work itself.
        counts[name] = min(got)
        print(f"  {name:28s} {counts[name]/1e6:9.1f} M instructions (min of {len(got)}; max {max(got)/1e6:.1f} M)")
    names = list(counts)
    for name in names[1:]:
        if name.startswith("cosign") and names[0] in counts:
            print(f"  ratio {names[0]}/{name}: instructions {counts[names[0]]/counts[name]:.2f}")


def main():
    mode = sys.argv[1]
    if mode == "interleave":
        interleave(int(sys.argv[2]), int(sys.argv[3]), parse_cmds(sys.argv[4:]))
    elif mode == "inittrace":
        inittrace(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
    elif mode == "callgrind":
        callgrind(int(sys.argv[2]), parse_cmds(sys.argv[3:]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
