"""Mutation benchmark: does the suite kill every known mistake, fast, and name it?

For each buggy implementation in examples/mutants/ (one per diagnosis id, written by hand the way
people write them), run the conformance suite at default settings in a fresh process, stopping at
the first failure (``-x``), and print a table: killed or not, seconds to the first failure
(process start, torch import and binding included), the size of the shrunk counterexample, the
diagnosis, and whether its first id is the mutant's.

    python bench/mutants.py [--jobs 2] [--seed 0]

Goal (issue 4): every mutant killed, the right id first for at least 90 %, each within 10 s.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MUTANTS = REPO / "examples" / "mutants"

#: file:attribute -> the catalogue id its bug is.
EXPECTED = {
    "gate_order_lstm.py:lstm_forward": "gate_order",
    "gate_order_gru.py:gru_forward": "gate_order",
    "missing_bias_hh.py:forward": "missing_bias_hh",
    "missing_bias_ih.py:rnn_forward": "missing_bias_ih",
    "bias_twice.py:lstm_forward": "bias_twice",
    "reverse_hn_last_step.py:bidirectional_rnn_forward": "reverse_hn_last_step",
    "reverse_output_not_flipped.py:forward": "reverse_output_not_flipped",
    "state_layout_direction_major.py:forward": "state_layout_direction_major",
    "gru_reset_before_matmul.py:gru_forward": "gru_reset_before_matmul",
    "gru_update_swapped.py:forward": "gru_update_swapped",
    "proj_applied_to_c.py:lstm_forward": "proj_applied_to_c",
    "proj_missing.py:lstm_forward": "proj_missing",
    "wrong_nonlinearity.py:rnn_forward": "wrong_nonlinearity",
    "state_not_carried.py:lstm_forward": "state_not_carried",
    "time_shift.py:forward": "time_shift",
    "weights_transposed.py:gru_forward": "weights_transposed",
    "batch_mixing.py:lstm_forward": "batch_mixing",
    "low_precision.py:forward": "low_precision",
    "hn_batch_first.py:forward": "hn_batch_first",
    "packed_padding.py:forward": "packed_padding_run",
    "default_dtype_buffer.py:gru_forward": "default_dtype_buffer",
    "initial_state_ignored.py:rnn_forward": "initial_state_ignored",
    "cell_state_ignored.py:lstm_forward": "initial_state_ignored",
    "gate_substituted.py:lstm_forward": "gate_substituted",
    "wrong_gate_activation.py:lstm_forward": "wrong_gate_activation",
    "output_seq_first.py:rnn_forward": "output_seq_first",
    "low_precision_half.py:gru_forward": "low_precision",
    "dropout_in_eval.py:forward": "dropout_in_eval",
}


def run_mutant(target: str, seed: int, extra: tuple = ()) -> dict:
    """Run the suite on one mutant until its first failure; return what the report says."""
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                   "--rnn-impl", str(MUTANTS / target), "--rnn-report", str(report_path),
                   "--hypothesis-seed", str(seed), *extra]
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=scratch, capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - start
        report = json.loads(report_path.read_text()) if report_path.exists() else {"features": {}}
    failed = {name: f for name, f in report["features"].items() if f["status"] in ("fail", "error")}
    first = next(iter(failed.values()), None)
    counterexample = (first or {}).get("counterexample") or {}
    return {
        "target": target,
        "killed": completed.returncode == 1 and bool(failed),
        "seconds": seconds,
        "feature": next(iter(failed), "-"),
        "size": describe_size(counterexample),
        "diagnosis": (first or {}).get("diagnosis", []),
        "returncode": completed.returncode,
    }


def describe_size(counterexample: dict) -> str:
    spec, recipe = counterexample.get("spec"), counterexample.get("recipe")
    if not spec or not recipe:
        return "-"
    batch = "unbatched" if recipe["batch"] is None else f"B{recipe['batch']}"
    directions = "bi" if spec["bidirectional"] else "uni"
    return f"T{recipe['time']} {batch} I{spec['input_size']} H{spec['hidden_size']} L{spec['num_layers']} {directions}"


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (timings are per mutant)")
    parser.add_argument("--seed", type=int, default=0, help="--hypothesis-seed for every run")
    args = parser.parse_args(argv)
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda t: run_mutant(t, args.seed), EXPECTED))
    print("| mutant | expected id | killed | first failing feature | seconds | shrunk counterexample | diagnosis | right id first |")
    print("|---|---|---|---|---|---|---|---|")
    right = 0
    for row in rows:
        expected = EXPECTED[row["target"]]
        first_ok = bool(row["diagnosis"]) and row["diagnosis"][0] == expected
        right += first_ok
        print(f"| {row['target']} | {expected} | {'yes' if row['killed'] else 'NO'} | {row['feature']} | "
              f"{row['seconds']:.1f} | {row['size']} | {', '.join(row['diagnosis'][:3]) or '-'} | "
              f"{'yes' if first_ok else 'no'} |")
    killed = sum(row["killed"] for row in rows)
    slowest = max(row["seconds"] for row in rows)
    print()
    print(f"killed {killed}/{len(rows)}; right id first {right}/{len(rows)} ({100 * right / len(rows):.0f} %); "
          f"slowest {slowest:.1f} s (goal: all killed, >= 90 % right, each <= 10 s)")
    return 0 if killed == len(rows) and right >= 0.9 * len(rows) and slowest <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
