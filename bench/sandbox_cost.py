"""What the sandbox costs: the same class graded sandboxed and with ``--no-sandbox``, side by side.

    python bench/sandbox_cost.py [--count 60] [--jobs 2] [--tool bwrap|unshare]

Generates `grading_speed`'s class (correct, buggy, a hang, a segfault, an import error), grades it
once in the sandbox (``RNNCONFORMANCE_SANDBOX`` = `--tool`, default: the first tool that works) and
once with ``--no-sandbox``, in alternating order over `--rounds` rounds, and prints both wall times,
their ratio and the cost per submission. Checks that both gradebooks hold the same grades. Goal
(issue 21): 60 sandboxed submissions in under 60 s with 2 jobs.

First, what a worker's start costs, each way side by side (`--starts` times each, the median):
forked from this process (unsandboxed ``--rnn-isolate``), forked and joining a sandbox the tool
built (the grader's way as root), and a new interpreter inside the sandbox on the plugin's bundle
(the way elsewhere): the whole-class times depend on the machine's load, these much less.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_rnnconformance.run.forking import NO_FORK_ENV
from pytest_rnnconformance.run.isolated import WorkerClient
from pytest_rnnconformance.run.sandbox.tools import TOOL_ENV, working_tool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading_speed import generate, grade  # noqa: E402  (a sibling script, not a package)


REPO = Path(__file__).resolve().parent.parent
WAYS = {"forked, no sandbox": {TOOL_ENV: "none"}, "forked, joins the sandbox": {},
        "new interpreter in the sandbox": {NO_FORK_ENV: "1"}}


def worker_starts(tool: str, count: int) -> dict:
    """{way: median seconds from nothing to a worker that has bound examples/lstm_forward.py}."""
    medians = {}
    for way, env in WAYS.items():
        seconds = []
        for _ in range(count):
            os.environ.update({TOOL_ENV: tool, NO_FORK_ENV: "0", **env})
            client = WorkerClient({"target": "examples/lstm_forward.py:lstm_forward", "mode": "lstm", "bind": None,
                                   "returns": None}, str(REPO))
            started = time.perf_counter()
            client.start()
            seconds.append(time.perf_counter() - started)
            client.stop()
        medians[way] = statistics.median(seconds)
    os.environ.pop(NO_FORK_ENV)
    os.environ.pop(TOOL_ENV)
    return medians


def scores(out: Path) -> list:
    with open(out / "grades.csv", newline="") as handle:
        return [row[:3] for row in csv.reader(handle)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tool", choices=("bwrap", "unshare"))
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    tool = args.tool or working_tool()
    for way, seconds in worker_starts(tool, args.starts).items():
        print(f"worker start, {way:31s}: {seconds * 1000:7.0f} ms ({tool}, median of {args.starts})", flush=True)
    if args.tool:
        os.environ[TOOL_ENV] = args.tool
    work = Path(tempfile.mkdtemp(prefix="rnnsandbox-bench-"))
    paths = generate(work / "class", args.count)
    times: dict = {"sandboxed": [], "unsandboxed": []}
    for _ in range(args.rounds):
        for name, extra in (("sandboxed", ()), ("unsandboxed", ("--no-sandbox",))):
            out = work / name
            shutil.rmtree(out, ignore_errors=True)
            seconds, cpu = grade(paths, out, args.jobs, None, extra)
            times[name].append(seconds)
            print(f"{name:11s}: {seconds:6.1f} s wall, {cpu:6.1f} CPU-s ({len(paths)} submissions, "
                  f"--jobs {args.jobs})", flush=True)
    sandboxed, unsandboxed = min(times["sandboxed"]), min(times["unsandboxed"])
    same = scores(work / "sandboxed") == scores(work / "unsandboxed")
    print(f"sandboxed / unsandboxed: {sandboxed / unsandboxed:.2f}x; the sandbox costs "
          f"{(sandboxed - unsandboxed) * args.jobs / len(paths):.2f} s of a job slot a submission; "
          f"{len(paths)} sandboxed submissions with {args.jobs} jobs: {sandboxed:.0f} s (goal < 60 s); "
          f"same grades: {'yes' if same else 'NO'}")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
