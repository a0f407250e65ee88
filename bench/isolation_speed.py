"""The cost of --rnn-isolate: the default suite on the reference, in-process and isolated, side by side.

Each variant runs in a fresh ``pytest`` process (startup and torch import included in both), the two
alternating, ``--repeats`` times each; the ratio of the medians is printed, with each variant's
outcome (pytest's last line). A variant whose suite fails is still timed, and reported as failing:
its time is then not the time of a passing run (a failing row stops early or shrinks).

    python bench/isolation_speed.py [--repeats 2] [--impl reference]

Goal (issue 5): isolated under 1.5x the in-process wall time.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time


def wall(impl: str, isolate: bool, python: str = sys.executable, extra: tuple = ()) -> tuple[float, str]:
    """Seconds of one suite in a fresh process (``extra``: more options), and pytest's last line (its outcome)."""
    with tempfile.TemporaryDirectory() as scratch:
        command = command_for(impl, isolate, scratch, python, extra)
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    outcome = re.sub(r" in [0-9.]+s.*$", "", lines[-1].strip("= ")) if lines else f"exit {completed.returncode}, no output"
    if completed.returncode != 0:
        outcome = f"FAILING (exit {completed.returncode}): {outcome}"
    return seconds, outcome


def command_for(impl: str, isolate: bool, rootdir: str = "<scratch>", python: str = sys.executable,
                extra: tuple = ()) -> list:
    return [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rnn-impl", impl, "--hypothesis-seed", "0",
            "--rootdir", rootdir, *extra] + (["--rnn-isolate"] if isolate else [])


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--impl", default="reference")
    args = parser.parse_args(argv)
    times: dict = {False: [], True: []}
    outcomes: dict = {False: set(), True: set()}
    for _ in range(args.repeats):
        for isolate in (False, True):
            seconds, outcome = wall(args.impl, isolate)
            times[isolate].append(seconds)
            outcomes[isolate].add(outcome)
            print(f"{'isolated' if isolate else 'in-process'}: {seconds:.1f} s ({outcome})", file=sys.stderr, flush=True)
    inproc, isolated = statistics.median(times[False]), statistics.median(times[True])
    print(f"command: {' '.join(command_for(args.impl, True))} (in-process: without --rnn-isolate)\n")
    print("| implementation | in-process s | isolated s | ratio | in-process outcome | isolated outcome |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.impl} | {inproc:.1f} | {isolated:.1f} | {isolated / inproc:.2f} | {'; '.join(sorted(outcomes[False]))} "
          f"| {'; '.join(sorted(outcomes[True]))} |")
    print(f"\ngoal: isolated under 1.5x in-process ({'met' if isolated / inproc < 1.5 else 'NOT met'})")
    if any(outcome.startswith("FAILING") for found in outcomes.values() for outcome in found):
        print("a suite failed: its time is not that of a passing run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
