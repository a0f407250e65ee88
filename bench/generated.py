"""The generator's property on many implementations: how often the plugin gets a written RNN right.

Draws `--count` designs (`tests/generated/design.py`, hypothesis derandomized from `--seed`), writes
each, proves its label against torch.nn (`truth.py`), and runs the plugin on it in-process as a user
would (`outcome.py`: as written, then the refusal's ready line, then the true declaration), in
`--jobs` processes. Prints the share of each outcome, then, for every outcome other than the
expected ones, how it splits by each dimension of the design, and the path of the smallest file
showing it (kept under `--out`).

    python bench/generated.py [--count 1000] [--jobs 2] [--seed 0] [--examples 2] [--out DIR] [--at COMMIT]

`--at COMMIT` measures the plugin as committed there (a `git archive` of it, imported instead of the
editable install), so that a long run on a shared working tree measures one version of it.
"""
from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = "GENERATED_BENCH_SNAPSHOT"  # a folder holding the plugin as committed (`--at`)
sys.path.insert(0, str(REPO / "tests"))
if os.environ.get(SNAPSHOT):  # before the plugin is imported: the snapshot, not the editable install
    sys.path.insert(0, os.environ[SNAPSHOT])
    sys.meta_path[:] = [finder for finder in sys.meta_path if "__editable__" not in type(finder).__module__]

import torch  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from generated.design import designs  # noqa: E402
from generated.outcome import outcome_of  # noqa: E402
from generated.truth import Unproven, prove  # noqa: E402
from generated.writer import write  # noqa: E402

ORDER = ("expected", "ready_line", "declared", "unhelpful_refusal", "false_pass", "wrong_row", "false_failure",
         "crash", "unproven")
DIMENSIONS = ("mode", "entry", "backend", "layout", "layer_dim", "storage", "bias", "lstm_state", "state_default",
              "returns", "refusal", "side_effect", "mistake")


def drawn(count: int, start: int) -> list:
    """`count` designs, the same ones for the same seed."""
    found = []

    @seed(start)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(designs())
    def collect(design):
        found.append(design)

    collect()
    return found


def _worker() -> None:
    """One thread a process: the tensors are tiny, and torch's idle threads spinning on a shared
    machine cost more CPU than the work (0.9 s of CPU for a whole matrix with one, 7 s with eight)."""
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")


def judge(job: tuple) -> tuple:
    """(index, design, category, detail, file) for one design, in a worker process."""
    index, design, folder, examples = job
    written = write(design)
    target = written.save(folder, f"generated_{index:04d}")
    try:
        prove(written, target)
    except Unproven as unproven:
        return index, design, "unproven", str(unproven), target
    outcome = outcome_of(written, target, max_examples=examples, reduced=True)
    return index, design, outcome.category, outcome.detail.splitlines()[:6], target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=2, help="hypothesis examples per row")
    parser.add_argument("--out", default="", help="folder for the generated files (default: a new temporary one)")
    parser.add_argument("--at", default="", help="measure the plugin as committed at this commit")
    args = parser.parse_args()
    if args.at:
        rerun_at(args.at)
    folder = Path(args.out or tempfile.mkdtemp(prefix="generated-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    designs_ = drawn(args.count, args.seed)
    start = time.monotonic()
    jobs = [(k, design, str(folder), args.examples) for k, design in enumerate(designs_)]
    with multiprocessing.get_context("fork").Pool(args.jobs, _worker, maxtasksperchild=50) as pool:
        results = sorted(pool.imap_unordered(judge, jobs, chunksize=4))
    elapsed = time.monotonic() - start
    report(results, folder, elapsed, args)


def rerun_at(commit: str) -> None:
    """Run this script again on the plugin as committed at `commit` (never returns)."""
    folder = Path(tempfile.mkdtemp(prefix="plugin-at-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "pytest_rnnconformance", "reference"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / "reference").rename(folder / "pytest_rnnconformance" / "reference")  # its installed place
    arguments = [arg for k, arg in enumerate(sys.argv) if arg != "--at" and sys.argv[k - 1] != "--at"]
    print(f"the plugin as committed at {commit}, from {folder}", flush=True)
    os.execve(sys.executable, [sys.executable, *arguments], {**os.environ, SNAPSHOT: str(folder)})


def report(results: list, folder: Path, elapsed: float, args) -> None:
    with open(folder / "outcomes.jsonl", "w") as log:  # every case, for reading the findings one by one
        for index, design, category, detail, target in results:
            log.write(json.dumps({"index": index, "category": category, "design": design.describe(),
                                  "target": target, "detail": detail}) + "\n")
    total = len(results)
    counts = collections.Counter(category for _, _, category, _, _ in results)
    print(f"{total} generated implementations ({sum(1 for r in results if r[1].mistake)} with a mistake), "
          f"{args.jobs} processes, {args.examples} examples a row, {elapsed:.0f} s; files in {folder}")
    for category in ORDER:
        if counts[category]:
            print(f"  {category:18} {counts[category]:5}  {100 * counts[category] / total:5.1f} %")
    for category in ORDER[3:]:
        chosen = [r for r in results if r[2] == category]
        if not chosen:
            continue
        smallest = min(chosen, key=lambda r: len(Path(r[4].rsplit(":", 1)[0]).read_text()))
        kept = folder / f"smallest_{category}.py"
        shutil.copyfile(smallest[4].rsplit(":", 1)[0], kept)
        print(f"\n{category}: {len(chosen)}; smallest: {kept} (target {smallest[4]})")
        print("   " + "\n   ".join(str(line) for line in (smallest[3] if isinstance(smallest[3], list) else [smallest[3]])))
        for dimension in DIMENSIONS:
            split = collections.Counter(str(getattr(r[1], dimension)) for r in chosen)
            print(f"   {dimension:14} " + ", ".join(f"{value or '-'} {n}" for value, n in split.most_common()))


if __name__ == "__main__":
    main()
