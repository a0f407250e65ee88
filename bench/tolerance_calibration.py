"""Calibrate the tolerance policy on correct-but-reordered and on wrong implementations.

For every draw (a random configuration from the whole space, random inputs) it measures, per
implementation, the candidate's error against the float64 reference as a fraction of what the
policy allows (``error / allowed``). Correct implementations that round differently must stay
well below 1; wrong ones must land well above it. It also prints the ratio
``candidate error / max(torch.nn's own error, rounding sensitivity)`` for the correct ones, the
quantity the multiple bounds.

    python bench/tolerance_calibration.py [--draws 300] [--dtype float32]
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "examples" / "reordered"))

from pytest_rnnconformance.api import runner_for  # noqa: E402
from pytest_rnnconformance.draw.cases import Dimensions, cases  # noqa: E402
from pytest_rnnconformance.draw.inputs import DTYPES, make_inputs  # noqa: E402
from pytest_rnnconformance.judge.compare import measure  # noqa: E402
from pytest_rnnconformance.judge.oracles import expected  # noqa: E402
from pytest_rnnconformance.judge.tolerance import tolerance_for  # noqa: E402

CORRECT = ["fused_gates", "separate_gates", "wide_accumulation", "einsum_order"]
WRONG = ["low_precision", "missing_bias_hh", "time_shift"]
#: Any supported configuration (what the float64 row drew before the rows were split by dimension):
#: layers, directions, biases, projection, nonlinearity, layout, unbatched, hx omitted; not packed.
WHOLE_SPACE = Dimensions(batch_first="draw", layers="draw", bidirectional="draw", bias="draw", proj="draw",
                         nonlinearity="draw", unbatched="draw", hx_none="draw")
#: ... and the edge cases (time 1, batch 1, hidden 1, input 1, long sequences, saturating inputs) on top.
EDGES = Dimensions(**{**WHOLE_SPACE.__dict__, "edge": "edge"})


def targets() -> dict:
    found = {f"correct:{name}": str(REPO / "examples" / "reordered" / f"{name}.py") + ":forward" for name in CORRECT}
    found.update({f"wrong:{name}": str(REPO / "examples" / "mutants" / f"{name}.py") + ":forward" for name in WRONG})
    return found


def calibrate(draws: int, dtype: torch.dtype) -> dict:
    runners = {label: {mode: runner_for(target, mode) for mode in ("lstm", "gru", "rnn")}
               for label, target in targets().items()}
    stats = {label: {"worst": 0.0, "best": math.inf, "ratio": 0.0, "n": 0} for label in runners}
    support = runners["correct:fused_gates"]["lstm"].summary.support

    @settings(max_examples=draws, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases(support, "lstm", WHOLE_SPACE) | cases(support, "gru", WHOLE_SPACE)
           | cases(support, "rnn", WHOLE_SPACE) | cases(support, "lstm", EDGES))
    def sample(case):
        spec, recipe = case
        inputs = make_inputs(spec, recipe, dtype=dtype)
        oracle = expected(inputs)
        tolerance = tolerance_for(dtype)
        for label, by_mode in runners.items():
            call = by_mode[spec.mode].call(inputs)
            if call.problem is not None:  # NotImplementedError (packed) and friends: not measured
                continue
            errors = measure(call.result.tensors, oracle, tolerance, always_sensitivity=True)
            margin = max(e.error / e.allowed for e in errors)
            s = stats[label]
            s["worst"], s["best"], s["n"] = max(s["worst"], margin), min(s["best"], margin), s["n"] + 1
            torch_error = max(max(e.torch_error, e.sensitivity) for e in errors)
            if torch_error > 0:
                s["ratio"] = max(s["ratio"], max(e.error for e in errors) / torch_error)

    sample()
    return stats


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    stats = calibrate(args.draws, DTYPES[args.dtype])
    print(f"| implementation | draws | max error/allowed | min error/allowed | max error / torch.nn's error |  ({args.dtype})")
    print("|---|---|---|---|---|")
    for label, s in stats.items():
        print(f"| {label} | {s['n']} | {s['worst']:.3g} | {s['best']:.3g} | {s['ratio']:.3g} |")
    correct_ok = all(s["worst"] < 1 for label, s in stats.items() if label.startswith("correct"))
    wrong_ok = all(s["worst"] > 1 for label, s in stats.items() if label.startswith("wrong"))
    print(f"\ncorrect ones always within tolerance: {correct_ok}; wrong ones caught on some draw: {wrong_ok}")
    return 0 if correct_ok and wrong_ok else 1


if __name__ == "__main__":
    sys.exit(main())
