"""How fast is the bundled reference next to torch.nn on the CPU?

    python bench/reference_speed.py              # full run (a few minutes at most)
    python bench/reference_speed.py --quick      # the smaller sizes, fewer repeats
    python bench/reference_speed.py --repeats 9

The reference is the suite's float64 oracle, computed on every example, so it has to be cheap
enough not to dominate a run. This times ``reference.forward`` against ``torch.nn.LSTM`` / ``GRU``
(one layer, seq-first, eval mode, ``torch.no_grad``) on identical inputs and weights, measured
side by side in one process: the two calls alternate (reference first on even repeats, torch.nn
first on odd ones) so that drift in the machine's speed hits both alike. The ratio reported is the
median of the per-repeat ratios (each from two adjacent measurements), which a slow patch of the
machine moves far less than a ratio of medians would; the times shown are medians.

In float32 torch.nn hands the whole sequence to oneDNN's fused LSTM/GRU kernel, one call per
layer, while the reference runs a handful of operations per time step from Python. For context the
table adds torch.nn's own time with oneDNN switched off (``torch.backends.mkldnn.flags``), which
runs the recurrence step by step in C++: the distance between the two torch.nn columns is what
fusing the whole sequence buys, and no per-step loop, Python or not, gets it.

It runs on one thread by default (``--threads``): on a machine that others share, multi-threaded
timings mostly measure the neighbours, since OpenMP waits for its slowest thread.

Goal: at the three larger sizes the reference takes at most 1.5x torch.nn's time in float64 and
at most 2x in float32. The smallest size (1,1,1,1) measures per-call overhead only; it has no goal.
Issue 17's goal, printed after the table: at (32, 128, 128, 256), float64 within 1.3x torch.nn and
float32 within 1.5x torch.nn without oneDNN (the same step-by-step algorithm).
Prints a Markdown table (for bench/BENCHMARKS.md).
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings

import torch

from pytest_rnnconformance.draw.inputs import make_inputs
from pytest_rnnconformance.reference import forward
from pytest_rnnconformance.spec import RNNSpec

#: (batch, time, input, hidden)
SIZES = [(1, 1, 1, 1), (8, 32, 32, 64), (32, 128, 128, 256), (64, 256, 256, 512)]
QUICK_SIZES = SIZES[:3]
MODES = ("lstm", "gru")
DTYPES = (torch.float32, torch.float64)
GOAL = {torch.float64: 1.5, torch.float32: 2.0}
#: Issue 17: at this size, float64 against torch.nn, float32 against torch.nn without oneDNN.
GOAL_17_SIZE = (32, 128, 128, 256)
GOAL_17 = {torch.float64: ("ratio", "torch.nn", 1.3), torch.float32: ("native_ratio", "torch.nn without oneDNN", 1.5)}
MIN_MEASUREMENT_S = 0.02  # a measurement repeats the call until it lasts at least this long
BUDGET_PER_CONFIGURATION_S = 20.0  # fewer repeats where one pair of measurements is slow


def warm_up_and_count(fns) -> tuple[int, float]:
    """Warm each function up (a few calls, or one if it is slow), then return how many calls make
    one measurement last MIN_MEASUREMENT_S for the slower of them, and that one's time per call."""
    slowest = 0.0
    for fn in fns:
        for _ in range(3):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if elapsed > 0.2:
                break
        slowest = max(slowest, elapsed)  # the last (warmest) call
    return max(1, int(MIN_MEASUREMENT_S / max(slowest, 1e-9))), slowest


def measure(fn, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def bench_one(mode: str, dtype: torch.dtype, size: tuple, repeats: int) -> dict:
    batch, steps, input_size, hidden = size
    spec = RNNSpec(mode, input_size, hidden)
    case = make_inputs(spec, time=steps, batch=batch, seed=0, dtype=dtype)
    module = spec.build_module(case.params, dtype=dtype).eval()

    def run_reference():
        return forward(case.input, case.hx, case.params, spec)

    def run_torch():
        return module(case.input, case.hx)

    def run_torch_without_onednn():
        with torch.backends.mkldnn.flags(enabled=False):
            return module(case.input, case.hx)

    contenders = {"reference": run_reference, "torch": run_torch}
    if dtype == torch.float32:  # oneDNN's RNN kernels take float32 (and lower), never float64
        contenders["native"] = run_torch_without_onednn
    times: dict = {name: [] for name in contenders}
    with torch.no_grad():
        # All must compute the same thing, or the timing means nothing.
        ours = run_reference()
        for fn in list(contenders.values())[1:]:
            torch.testing.assert_close(ours[0], fn()[0], atol=1e-4 if dtype == torch.float32 else 1e-8, rtol=1e-4)
        number, slowest_s = warm_up_and_count(list(contenders.values()))  # warm: allocator, oneDNN primitives
        repeats = min(repeats, max(3, int(BUDGET_PER_CONFIGURATION_S / (len(contenders) * number * slowest_s))))
        order = list(contenders)
        for repeat in range(repeats):
            for name in (order if repeat % 2 == 0 else order[::-1]):
                times[name].append(measure(contenders[name], number))

    def ratio_to(name: str) -> float:
        return statistics.median(ours / theirs for ours, theirs in zip(times["reference"], times[name]))

    return dict(mode=mode, dtype=dtype, size=size, torch_s=statistics.median(times["torch"]),
                reference_s=statistics.median(times["reference"]), ratio=ratio_to("torch"),
                native_s=statistics.median(times["native"]) if "native" in times else None,
                native_ratio=ratio_to("native") if "native" in times else None, repeats=repeats)


def goal_cell(result: dict) -> str:
    if result["size"] == SIZES[0]:
        return "— (overhead only)"
    goal = GOAL[result["dtype"]]
    return f"≤{goal:g}x: {'met' if result['ratio'] <= goal else 'not met'}"


def native_cells(result: dict) -> str:
    if result["native_s"] is None:
        return "— | —"  # float64: torch.nn never uses oneDNN, the ratio column above is the one
    return f"{result['native_s'] * 1e3:.3f} | {result['native_ratio']:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="measurements per implementation and configuration (default 15, 5 with --quick; "
                             f"fewer where they would take over {BUDGET_PER_CONFIGURATION_S:g} s)")
    parser.add_argument("--quick", action="store_true", help="skip the largest size and repeat less")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads (default 1; 0 keeps torch's own choice)")
    args = parser.parse_args(argv)
    # Setting oneDNN's flags warns, on every call, that TF32 is for Intel GPUs only.
    warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
    repeats = args.repeats or (5 if args.quick else 15)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = QUICK_SIZES if args.quick else SIZES

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; up to {repeats} interleaved repeats; "
          "ratio = median of paired ratios\n", flush=True)
    print("| mode | dtype | batch, time, input, hidden | repeats | torch.nn ms | reference ms | ratio | goal "
          "| torch.nn without oneDNN ms | ratio to it |")
    print("|---|---|---|---:|---:|---:|---:|---|---:|---:|", flush=True)
    started = time.perf_counter()
    missed = 0
    goal_17 = []
    for mode in MODES:
        for dtype in DTYPES:
            for size in sizes:
                result = bench_one(mode, dtype, size, repeats)
                missed += goal_cell(result).endswith("not met")
                if size == GOAL_17_SIZE:
                    field, against, limit = GOAL_17[dtype]
                    goal_17.append(f"{mode.upper()} {str(dtype).replace('torch.', '')} {result[field]:.2f}x {against} "
                                   f"(≤{limit:g}x: {'met' if result[field] <= limit else 'NOT met'})")
                print(f"| {mode.upper()} | {str(dtype).replace('torch.', '')} | {', '.join(map(str, size))} | {result['repeats']} "
                      f"| {result['torch_s'] * 1e3:.3f} | {result['reference_s'] * 1e3:.3f} "
                      f"| {result['ratio']:.2f} | {goal_cell(result)} | {native_cells(result)} |", flush=True)
    print(f"\n{missed} goal(s) not met; total {time.perf_counter() - started:.0f} s")
    if goal_17:
        print(f"issue 17 at {', '.join(map(str, GOAL_17_SIZE))}: " + "; ".join(goal_17))
    return 0


if __name__ == "__main__":
    sys.exit(main())
