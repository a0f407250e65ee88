"""How fast does ``rnnconformance grade`` get through a class, and does ``--jobs 2`` pay?

    python bench/grading_speed.py [--count 60] [--jobs 1 2] [--rubric R] [--keep DIR]

Generates a class of `count` LSTM submissions (entry ``lstm_forward``) into a temporary folder:

* correct ones: copies of examples/lstm_forward.py, examples/canonical_forward.py and
  examples/functional_lstm.py (aliased to ``lstm_forward``), and folder submissions made of
  examples/reordered/<variant>.py with its sibling ``_common.py``;
* buggy ones: the LSTM mutants of examples/mutants (one bug each), cycled;
* one that hangs (``while True: pass`` in the call), one that segfaults in the call (ctypes), one that
  raises at import.

Grades it at the default rubric (``--mode lstm``: the rows a standard learner LSTM supports, decided
by one run of that solution first, ``backward`` among them, every run isolated) once per ``--jobs``
value, prints submissions per minute for each and the speed-up, and checks that every run produced
the same grades.csv. It also prints the CPU time of all runs and the load average: on a machine
shared with other work the wall times (and the speed-up) depend on that load, the CPU time much
less. The hanging submission costs its warm-up limit (30 s at the default rubric, which spends its
budget of hangs), wherever it falls in the order: a wall-time floor of any class that holds one.
Goals (issues 7 and 16): >= 1.7x with 2 jobs on a 2-core machine, and the class of 60 in under
5 minutes with 2 jobs, gradients graded.
"""
from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ALIAS = "\n\nlstm_forward = {name}  # the assignment's entry name\n"
CORRECT = [("lstm_forward.py", None), ("canonical_forward.py", "forward"), ("functional_lstm.py", "lstm")]
REORDERED = ["fused_gates", "einsum_order", "separate_gates", "wide_accumulation"]
MUTANTS = [("gate_order_lstm.py", None), ("bias_twice.py", None), ("proj_applied_to_c.py", None),
           ("proj_missing.py", None), ("state_not_carried.py", None), ("batch_mixing.py", None),
           ("missing_bias_hh.py", "forward"), ("reverse_output_not_flipped.py", "forward"),
           ("state_layout_direction_major.py", "forward"), ("time_shift.py", "forward"),
           ("low_precision.py", "forward"), ("hn_batch_first.py", "forward")]
BROKEN = {
    "hang.py": "def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh):\n    while True:\n        pass\n",
    "segfault.py": ("import ctypes\n\n\ndef lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh):\n"
                        "    return ctypes.string_at(0)\n"),
    "import_error.py": "raise RuntimeError('left-over debugging code')\n\n\ndef lstm_forward(*args):\n    pass\n",
}


def _source(path: Path, alias) -> str:
    return path.read_text() + (ALIAS.format(name=alias) if alias else "")


def generate(folder: Path, count: int) -> list:
    """Write the class; returns the submission paths (40% correct, the rest buggy, 3 broken)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in BROKEN.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    correct = max(1, (count - len(BROKEN)) * 2 // 5)
    kinds = itertools.cycle([("file", c) for c in CORRECT] + [("folder", r) for r in REORDERED[:2]] +
                            [("file", CORRECT[0])] * 3)
    for n in range(correct):
        kind, what = next(kinds)
        if kind == "file":
            target = folder / f"ok_{n:02d}.py"
            target.write_text(_source(EXAMPLES / what[0], what[1]))
        else:
            target = folder / f"ok_{n:02d}"
            target.mkdir()
            shutil.copy(EXAMPLES / "reordered" / "_common.py", target / "_common.py")
            (target / f"{what}.py").write_text(_source(EXAMPLES / "reordered" / f"{what}.py", "forward"))
        paths.append(target)
    mutants = itertools.cycle(MUTANTS)
    for n in range(count - len(paths)):
        file, alias = next(mutants)
        target = folder / f"bug_{n:02d}_{file}"
        target.write_text(_source(EXAMPLES / "mutants" / file, alias))
        paths.append(target)
    return paths


def grade(paths: list, out: Path, jobs: int, rubric, extra: tuple = ()) -> tuple:
    """(wall seconds, CPU seconds of the grader and every run it started); `extra`: more options."""
    command = [sys.executable, "-m", "pytest_rnnconformance.cli", "grade", *map(str, paths), "--entry",
               "lstm_forward", "--mode", "lstm", "--out", str(out), "--jobs", str(jobs), *extra]
    if rubric:
        command += ["--rubric", str(rubric)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - started, cpu


def _backward_graded(out: Path) -> tuple:
    """(submissions whose maximum counts backward, submissions, submissions that passed it)."""
    import json

    graded = json.loads((out / "grades.json").read_text())["submissions"]
    rows = [s["features"].get("backward") for s in graded]
    return (sum(1 for r in rows if r and r["max_points"]), len(graded),
            sum(1 for r in rows if r and r["status"] == "pass"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rubric", type=Path, help="default: the built-in default rubric")
    parser.add_argument("--keep", type=Path, help="keep the class and the output folders here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="rnngrade-bench-"))
    paths = generate(work / "class", args.count)
    print(f"class of {len(paths)} in {work / 'class'}; {sys.executable}", flush=True)
    seconds = {}
    for jobs in args.jobs:
        out = work / f"out-jobs{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        load = os.getloadavg()[0]
        seconds[jobs], cpu = grade(paths, out, jobs, args.rubric)
        print(f"--jobs {jobs}: {seconds[jobs]:6.1f} s  {60 * len(paths) / seconds[jobs]:5.1f} submissions/minute; "
              f"{cpu:.0f} CPU-s in all ({cpu / len(paths):.1f} a submission); load average "
              f"{load:.1f} before, {os.getloadavg()[0]:.1f} after", flush=True)
    csvs = {jobs: (work / f"out-jobs{jobs}" / "grades.csv").read_text() for jobs in args.jobs}
    same = len(set(csvs.values())) == 1
    print(f"grades identical across --jobs {', '.join(map(str, args.jobs))}: {'yes' if same else 'NO'}")
    if 1 in seconds and 2 in seconds:
        print(f"speed-up with 2 jobs: {seconds[1] / seconds[2]:.2f}x (goal >= 1.7x); "
              f"class of {len(paths)} with 2 jobs: {seconds[2]:.0f} s (goal < 300 s)")
    last = work / f"out-jobs{args.jobs[-1]}"
    print((last / "summary.md").read_text().split("## Score distribution")[0])
    backward = _backward_graded(last)
    print(f"backward graded (counted toward the maximum) for {backward[0]} of {backward[1]} submissions, "
          f"passed by {backward[2]}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
