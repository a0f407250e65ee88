"""Is ``--rnn-benchmark`` stable enough to gate CI on? Five consecutive runs of the bundled example.

Runs, one after another, each in a fresh process,

    pytest --rnn-impl examples/lstm_forward.py:lstm_forward --rnn-benchmark --rnn-rows forward --rnn-report R.json

and prints, per benchmark entry (mode, device, dtype, sizes), the ratio each run reported (with the
spread the run itself gave, and whether it settled), the largest over the smallest, and whether
the runs agree within 15 % (max / min <= 1.15). Issue 17's goal: they all do, so that
``--rnn-benchmark-compare`` (factor 1.25) does not flake.

    python bench/benchmark_stability.py [--runs 5] [--tolerance 0.15] [--impl examples/lstm_forward.py:lstm_forward]
                                        [-- extra pytest arguments]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def key_of(mode: str, entry: dict) -> tuple:
    return (mode, entry["device"], entry["dtype"], entry["batch"], entry["time"], entry["input"], entry["hidden"])


def one_run(impl: str, report: Path, extra: list, python: str = sys.executable) -> tuple[dict, float, list, str]:
    command = [python, "-m", "pytest", "-p", "no:cacheprovider", "--rnn-impl", impl, "--rnn-benchmark",
               "--rnn-rows", "forward", "--rnn-report", str(report), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=report.parent, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if not report.exists():
        raise SystemExit(f"no report from {' '.join(command)} (exit {done.returncode}):\n{done.stdout[-3000:]}"
                         f"\n{done.stderr[-2000:]}")
    benchmark = json.loads(report.read_text()).get("benchmark") or {}
    entries = {key_of(mode, entry): entry for mode, listed in benchmark.items() for entry in listed}
    return entries, seconds, command, done.stdout


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tolerance", type=float, default=0.15, help="agree when max/min <= 1 + this")
    parser.add_argument("--impl", default=str(REPO / "examples" / "lstm_forward.py") + ":lstm_forward")
    parser.add_argument("extra", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)
    runs, walls = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(args.runs):
            report = Path(scratch) / f"run{index}.json"
            entries, seconds, command, _ = one_run(args.impl, report, args.extra)
            if index == 0:
                print("command: " + " ".join(command).replace(str(report), "<report.json>"), flush=True)
            load = os.getloadavg()[0]
            print(f"run {index + 1}: {seconds:.1f} s, {len(entries)} entries, load {load:.1f} before the next",
                  flush=True)
            runs.append(entries)
            walls.append(seconds)
    keys = [key for key in runs[0] if all(key in run for run in runs)]
    missing = sorted({key for run in runs for key in run} - set(keys))
    print()
    print("| mode | device | dtype | batch, time, input, hidden | " + " | ".join(f"run {i + 1}" for i in range(len(runs)))
          + " | max/min | within " + f"{100 * args.tolerance:g} % |")
    print("|---|---|---|---|" + "---:|" * len(runs) + "---:|---|")
    agree = 0
    for key in keys:
        ratios = [run[key]["ratio"] for run in runs]
        cells = []
        for run in runs:
            entry = run[key]
            cells.append(f"{entry['ratio']:.2f} ±{100 * entry.get('spread', 0):.0f}%"
                         + ("" if entry.get("settled", True) else " (unsettled)"))
        spread = max(ratios) / min(ratios)
        ok = spread <= 1 + args.tolerance
        agree += ok
        mode, device, dtype, *sizes = key
        print(f"| {mode} | {device} | {dtype} | {', '.join(map(str, sizes))} | " + " | ".join(cells)
              + f" | {spread:.2f} | {'yes' if ok else '**no**'} |")
    if missing:
        print(f"\nentries not in every run (left out): {missing}")
    print(f"\n{agree}/{len(keys)} entries agree within {100 * args.tolerance:g} % over {len(runs)} consecutive runs; "
          f"wall per run {min(walls):.1f}-{max(walls):.1f} s")
    return 0 if agree == len(keys) and keys else 1


if __name__ == "__main__":
    sys.exit(main())
