#!/usr/bin/env python3
"""Pipe capture with redaction on against `cat FILE | tee copy`, runs ALTERNATING, in one process.

On a shared 2-core VM the baseline itself drifts by 10-25 % within a minute (other guests; disk write-back), so
hyperfine's one-command-after-another runs can put a slow minute on one side only. This runs `cat | tee` and each
binary in turn, N rounds, and reports per command: the minimum and median wall time, their ratios to the baseline's
minimum and median, the ratio of best of 3 against best of 3 for each consecutive triple of rounds (the issue's
measure), and the minimum and median CPU (user+sys of the whole command, children included).

Usage: benchmarks/run-capture-alternating.py CORPUS BINARY [BINARY...]
  N=30 rounds by default. A BINARY may carry environment assignments: "CFSESSION_X=1 /path/cfsession".
  MODE=pty: the pty mode instead, as run-capture-speed.sh runs it: `script -qc "script -qc 'cat FILE'"` (two ptys)
  against `script -qc 'BINARY run --pty -- cat FILE'` (use a corpus of about 50 MB: a pty moves some 60 MB/s).
  Each run has a fresh CFSESSION_HOME and CFSESSION_RECOMPACT=off (the background recompaction would overlap the next
  run); `cat | tee`'s copy is deleted before each run, as its `--prepare` does in run-capture-speed.sh.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> int:
    if len(sys.argv) < 3:
        print("run-capture-alternating: expects CORPUS BINARY [BINARY...] (see the top of this file)", file=sys.stderr)
        return 64
    corpus, binaries = sys.argv[1], sys.argv[2:]
    if not os.path.isfile(corpus):
        print(f"run-capture-alternating: no corpus at {corpus}", file=sys.stderr)
        return 66
    rounds = int(os.environ.get("N", "30"))
    pty = os.environ.get("MODE", "pipes") == "pty"
    work = tempfile.mkdtemp(prefix="cf-alternating-")
    try:
        env = dict(os.environ, CFSESSION_RECOMPACT="off", CFSESSION_HOME=os.path.join(work, "home"))
        copy = os.path.join(work, "copy")
        if pty:
            commands = [f"script -q -c \"script -q -c 'cat {corpus}' /dev/null\" /dev/null > /dev/null"]
            commands += [f"script -q -c '{b} run --pty -- cat {corpus}' /dev/null > /dev/null" for b in binaries]
        else:
            commands = [f"cat '{corpus}' | tee '{copy}' > /dev/null"]
            commands += [f"{b} run -- cat '{corpus}' > /dev/null" for b in binaries]
        results = {k: [] for k in range(len(commands))}
        for i in range(rounds + 1):  # round 0 warms the page cache and is not counted
            for k, command in enumerate(commands):
                shutil.rmtree(env["CFSESSION_HOME"], ignore_errors=True)
                if os.path.exists(copy):
                    os.remove(copy)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(["sh", "-c", command], env=env, check=True, stderr=subprocess.DEVNULL)
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                if i > 0:
                    results[k].append((wall, cpu))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = [w for w, _ in results[0]]
    print(f"{rounds} alternating rounds, corpus {os.path.getsize(corpus):,} bytes, load {os.getloadavg()[0]:.2f}")
    print("| command | wall min | wall median | ratio of minima | ratio of medians | best of 3 / best of 3 | CPU min | CPU median |")
    print("|---|---|---|---|---|---|---|---|")
    names = ["script -qc \"script -qc 'cat FILE'\""] + [f"script -qc '{b} run --pty -- cat FILE'" for b in binaries] if pty \
        else ["cat FILE | tee copy"] + [f"{b} run -- cat FILE" for b in binaries]
    for k, command in enumerate(names):
        walls = [w for w, _ in results[k]]
        cpus = [c for _, c in results[k]]
        triples = [min(walls[j:j + 3]) / min(base[j:j + 3]) for j in range(0, rounds - 2, 3)]
        print(f"| `{command}` | {min(walls):.3f} | {statistics.median(walls):.3f} | {min(walls) / min(base):.2f} | "
              f"{statistics.median(walls) / statistics.median(base):.2f} | "
              f"{min(triples):.2f}-{max(triples):.2f}, median {statistics.median(triples):.2f} | "
              f"{min(cpus):.3f} | {statistics.median(cpus):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
