"""`--rnn-benchmark`: time the implementation against torch.nn, side by side, on fixed sizes.

What is measured: one forward call of the candidate and of the matching torch.nn module (cuDNN on
CUDA, torch's CPU kernels with their defaults otherwise) on the same inputs and weights, in eval
mode under ``torch.no_grad()``, for each size of `SIZES` in each device and dtype of the run. The
ratio ``impl / torch.nn`` is what matters: absolute times depend on the machine, the ratio much
less, so it is what `compare` guards in CI. For it to be something CI can gate on:

* **One thread, warm-up first.** The plugin runs torch on one thread, so two runs of the same
  job measure the same thing; the first calls (cuDNN choosing its algorithm, Triton compiling,
  the allocator growing, oneDNN building its primitives) are made and thrown away.
* **Paired, interleaved rounds.** A round times the candidate and torch.nn back to back, in
  alternating order, and keeps their ratio: a drift in the machine's speed (another process, clock
  scaling) hits both halves of a pair alike, so each pair's ratio is fair even when the times are not.
* **Median and spread, until settled.** The entry's ratio is the median of the paired ratios,
  and its spread the interquartile range over that median. Rounds are added until the spread is
  under `SETTLED_SPREAD` (10 %), or the size's time budget is spent; then the entry says it did
  not settle (``"settled": false``), rather than pass off noise as a measurement.
* **CUDA events.** Kernel launches return before the GPU has done the work, so each call is timed
  with ``torch.cuda.Event`` pairs after a ``torch.cuda.synchronize()``; an implementation that
  computes on its own streams must join them to the current one.

The inputs of a size are made once and passed to every call. A module implementation is built and
given its weights once, outside the timing, as torch.nn's module is (`Binding.prepare`). Sizes the
implementation answers with ``NotImplementedError`` are left out; any other exception becomes an
entry with an ``"error"`` instead of times. A registered cell has no torch.nn module: its
reference, run the same way, is the baseline.
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

import torch
from _pytest.outcomes import OutcomeException

from ..draw.inputs import DTYPES, make_inputs
from ..modes import SEQUENCE_MODES, reference
from ..run.call import problem_of
from ..spec import RNNSpec

Size = tuple[int, int, int, int]  # (batch, time, input, hidden)

#: (batch, time, input, hidden): a small size where per-call overhead dominates, a medium one, and a
#: large one where the arithmetic does. One layer, one direction where the implementation allows.
STANDARD_SIZES = [(8, 32, 32, 64), (32, 128, 128, 256), (64, 64, 256, 512)]
#: Tiny sizes for tests and smoke runs (`quick=True`): they measure overhead, not kernels.
QUICK_SIZES = [(2, 4, 4, 8), (4, 8, 8, 16)]
KEY_FIELDS = ("batch", "time", "input", "hidden", "device", "dtype")
WARMUP = 3
MIN_ROUNDS = 7
MAX_ROUNDS = 61
SETTLED_SPREAD = 0.10
BUDGET_S = 20.0  # per size: beyond it, the entry is reported unsettled


class BenchmarkError(Exception):
    """A saved benchmark that cannot be read; the message is the one line to show."""


# --------------------------------------------------------------------------- measuring
def spec_for(support, mode: str, size: Size) -> RNNSpec:
    """The configuration timed at `size`: one layer, and otherwise the plainest the implementation
    supports (seq-first, one direction, biases, tanh, no projection)."""
    batch, steps, input_size, hidden = size
    if mode.endswith("_cell"):
        return RNNSpec(mode, input_size, hidden, bias=True in support.bias)
    return RNNSpec(
        mode, input_size, hidden,
        batch_first=False not in support.layouts,
        bidirectional=1 not in support.directions,
        bias=True in support.bias,
        proj_size=hidden // 2 if mode == "lstm" and False not in support.proj else 0,
        nonlinearity="relu" if mode == "rnn" and "tanh" not in support.nonlinearities else "tanh",
    )


def run_benchmark(prepare: Callable, summary, devices: Iterable[str], dtypes: Iterable[str], *,
                  quick: bool = False, budget_s: float = BUDGET_S) -> dict[str, list[dict]]:
    """Time the implementation against torch.nn on every size in every device and dtype it supports.

    `prepare(inputs)` returns a no-argument call of the implementation on `inputs` (its module
    already built). Returns DESIGN.md's ``benchmark`` section: ``{mode: [{"batch", "time", "input",
    "hidden", "device", "dtype", "impl_s", "torch_s", "ratio", "spread", "rounds", "settled"}, ...]}``;
    an entry whose calls raised has ``"error"`` instead of the numbers.
    """
    support = summary.support
    results: dict[str, list[dict]] = {}
    with torch.no_grad():
        for mode in summary.modes:
            entries = []
            for device in devices:
                for dtype in dtypes:
                    if (support.devices is not None and device not in support.devices) or (
                            support.dtypes is not None and dtype not in support.dtypes):
                        continue
                    for size in QUICK_SIZES if quick else STANDARD_SIZES:
                        entry = measure(prepare, spec_for(support, mode, size), size, device, dtype, budget_s)
                        if entry is not None:
                            entries.append(entry)
            if entries:
                results[mode] = entries
    return results


def measure(prepare: Callable, spec: RNNSpec, size: Size, device: str, dtype: str,
            budget_s: float = BUDGET_S) -> Optional[dict]:
    """One entry: paired, interleaved rounds until the ratio settles (see the module docstring)."""
    batch, steps, input_size, hidden = size
    entry: dict[str, Any] = dict(batch=batch, time=steps, input=input_size, hidden=hidden, device=device, dtype=dtype)
    inputs = make_inputs(spec, time=1 if spec.single_step else steps, batch=batch, seed=0, dtype=DTYPES[dtype],
                         device=device)
    try:
        candidate = prepare(inputs)
        baseline = _baseline(spec, inputs)
        for _ in range(WARMUP):
            _timed(candidate, device)
            _timed(baseline, device)
        impl_times, torch_times, ratios = [], [], []
        started = time.perf_counter()
        while True:
            pair = ((candidate, impl_times), (baseline, torch_times))
            for fn, times in pair if len(ratios) % 2 == 0 else pair[::-1]:
                times.append(_timed(fn, device))
            ratios.append(impl_times[-1] / torch_times[-1])
            done = len(ratios) >= MIN_ROUNDS and spread(ratios) < SETTLED_SPREAD
            if done or len(ratios) >= MAX_ROUNDS or time.perf_counter() - started > budget_s:
                break
    except (Exception, OutcomeException) as error:  # noqa: BLE001 - whatever a call raises is this size's verdict
        problem = problem_of(error)
        return None if problem.kind == "unsupported" else {**entry, "error": problem.message}
    return {**entry, "impl_s": statistics.median(impl_times), "torch_s": statistics.median(torch_times),
            "ratio": statistics.median(ratios), "spread": spread(ratios), "rounds": len(ratios),
            "settled": spread(ratios) < SETTLED_SPREAD}


def spread(ratios: list) -> float:
    """The interquartile range of `ratios` over their median."""
    if len(ratios) < 4:
        return float("inf")
    quartiles = statistics.quantiles(ratios, n=4)
    return (quartiles[2] - quartiles[0]) / statistics.median(ratios)


def _baseline(spec: RNNSpec, inputs) -> Callable[[], Any]:
    if spec.has_torch_module:
        module = spec.build_module(inputs.params, dtype=inputs.dtype, device=inputs.device).eval()
        args = (inputs.input,) if inputs.hx is None else (inputs.input, inputs.hx)
        return lambda: module(*args)
    return lambda: reference(inputs.input, inputs.hx, inputs.params, spec)


def _timed(fn: Callable[[], Any], device: str) -> float:
    """Seconds one call of `fn` takes on `device` (CUDA events on the GPU, see the module docstring)."""
    if device == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1e3  # elapsed_time is in milliseconds
    start_s = time.perf_counter()
    fn()
    return time.perf_counter() - start_s


# --------------------------------------------------------------------------- showing
def format_table(results: dict[str, list[dict]]) -> list[str]:
    """Lines of the ratio table for the terminal, one per entry."""
    header = (f"{'mode':<5} {'device':<6} {'dtype':<9} {'batch':>5} {'time':>5} {'input':>5} {'hidden':>6} "
              f"{'impl ms':>10} {'torch ms':>10} {'ratio':>7}")
    lines = [header]
    for mode, entries in results.items():
        for e in entries:
            row = (f"{mode:<5} {e['device']:<6} {e['dtype']:<9} {e['batch']:>5} {e['time']:>5} {e['input']:>5} "
                   f"{e['hidden']:>6} ")
            if "error" in e:
                lines.append(row + f"error: {e['error']}")
            else:
                settled = "" if e.get("settled", True) else " (not settled)"
                lines.append(row + f"{e['impl_s'] * 1e3:>10.3f} {e['torch_s'] * 1e3:>10.3f} {e['ratio']:>6.2f}x "
                             f"±{e.get('spread', 0) * 100:.0f}%{settled}")
    baseline = "torch.nn time" if all(m.split("_")[0] in SEQUENCE_MODES for m in results) else \
        "torch.nn time (for a registered cell: its reference's)"
    lines.append(f"ratio = implementation time / {baseline} (median of paired rounds, ± interquartile spread; "
                 "lower is faster)")
    return lines


# --------------------------------------------------------------------------- guarding in CI
def _keyed(results: dict[str, list[dict]]) -> dict[tuple, dict]:
    return {(mode,) + tuple(e[k] for k in KEY_FIELDS): e for mode, entries in results.items() for e in entries}


def _label(key: tuple) -> str:
    mode, batch, steps, input_size, hidden, device, dtype = key
    return f"{mode} {device} {dtype} (batch {batch}, time {steps}, input {input_size}, hidden {hidden})"


def compare(current: dict[str, list[dict]], saved: dict[str, list[dict]], factor: float) -> list[str]:
    """Regressions of `current` against `saved`, one line each; empty when none.

    An entry regresses when its ratio exceeds the saved ratio for the same (mode, batch, time,
    input, hidden, device, dtype) by more than `factor` (multiplicative: 1.25 allows 25% slower
    relative to torch.nn), or when it now errors where a ratio was saved. Entries with no
    counterpart are not regressions: see `missing_entries` for the saved ones not measured now.
    """
    if factor < 1:
        raise ValueError(f"the regression factor must be at least 1, got {factor}")
    before = _keyed(saved)
    lines = []
    for key, entry in _keyed(current).items():
        old = before.get(key)
        if old is None or "ratio" not in old:
            continue
        if "error" in entry:
            lines.append(f"{_label(key)}: now fails ({entry['error']}); saved ratio {old['ratio']:.2f}")
        elif entry["ratio"] > old["ratio"] * factor:
            lines.append(f"{_label(key)}: ratio {entry['ratio']:.2f}, saved {old['ratio']:.2f} "
                         f"({entry['ratio'] / old['ratio']:.2f}x slower relative to torch.nn; allowed {factor:g}x)")
    return lines


def missing_entries(current: dict[str, list[dict]], saved: dict[str, list[dict]]) -> list[str]:
    """Saved entries not measured now, one line each: information, not regressions.

    A saved file usually covers more than one run does (it was recorded on a GPU machine, the CI
    job runs on CPU only; a quick run next to a full one), so failing on these would make one
    saved file unusable across jobs. A size that became unsupported is the conformance suite's
    verdict to give, not the benchmark's.
    """
    now = _keyed(current)
    return [f"{_label(key)}: in the saved benchmark, not measured now" for key in _keyed(saved) if key not in now]


def load_saved(path: Union[str, Path]) -> dict[str, list[dict]]:
    """The benchmark section of a saved JSON report (``--rnn-report``), or a bare benchmark dict."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise BenchmarkError(f"{path}: cannot read ({error.strerror or error})") from None
    except ValueError as error:
        raise BenchmarkError(f"{path}: not JSON ({error})") from None
    if isinstance(data, dict) and "benchmark" in data:
        data = data["benchmark"]
    elif isinstance(data, dict) and "features" in data:
        raise BenchmarkError(f"{path}: a report without a benchmark section (was it written with --rnn-benchmark?)")
    if not isinstance(data, dict):
        raise BenchmarkError(f"{path}: expected a JSON object of mode -> list of entries")
    for mode, entries in data.items():
        if not isinstance(entries, list):
            raise BenchmarkError(f"{path}: {mode!r} should hold a list of entries")
        for number, entry in enumerate(entries):
            lacking = [k for k in KEY_FIELDS if k not in entry] if isinstance(entry, dict) else list(KEY_FIELDS)
            if not lacking and "ratio" not in entry and "error" not in entry:
                lacking = ["ratio"]
            if lacking:
                raise BenchmarkError(f"{path}: entry {number} of {mode!r} lacks {', '.join(lacking)}")
    return data
