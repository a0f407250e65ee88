"""The cost of --rnn-isolate: the default suite on the reference, in-process and isolated, side by side.

Each variant runs in a fresh ``pytest`` process (startup and torch import included in both), the two
alternating, ``--repeats`` times each; the ratio of the medians is printed.

    python bench/isolation_speed.py [--repeats 2] [--impl reference]

Goal (issue 5): isolated under 1.5x the in-process wall time.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time


def wall(impl: str, isolate: bool) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rnn-impl", impl,
                   "--hypothesis-seed", "0", "--rootdir", scratch] + (["--rnn-isolate"] if isolate else [])
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"the suite failed ({'isolated' if isolate else 'in-process'}):\n{completed.stdout[-2000:]}")
    return seconds


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--impl", default="reference")
    args = parser.parse_args(argv)
    times: dict = {False: [], True: []}
    for _ in range(args.repeats):
        for isolate in (False, True):
            times[isolate].append(wall(args.impl, isolate))
    inproc, isolated = statistics.median(times[False]), statistics.median(times[True])
    print("| implementation | in-process s | isolated s | ratio |")
    print("|---|---|---|---|")
    print(f"| {args.impl} | {inproc:.1f} | {isolated:.1f} | {isolated / inproc:.2f} |")
    print(f"\ngoal: isolated under 1.5x in-process ({'met' if isolated / inproc < 1.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
