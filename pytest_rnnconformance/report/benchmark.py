"""`--rnn-benchmark`: time the implementation against torch.nn, side by side, on fixed sizes.

What is measured: one forward call of the candidate and of the matching torch.nn module (cuDNN on
CUDA, torch's CPU kernels with their defaults otherwise) on the same inputs and weights, in eval
mode under ``torch.no_grad()``, for each size of `SIZES` in each device and dtype of the run. The
ratio ``impl_s / torch_s`` is what matters: absolute times depend on the machine, the ratio much
less, so it is what `compare` guards in CI.

How, and why:

* **Warm-up first.** The first calls pay for things a steady state does not: cuDNN choosing its
  algorithm, Triton or ``torch.compile`` compiling, the caching allocator growing, oneDNN building
  its primitives, lazy CUDA initialisation. `warmup` calls of each side are made and thrown away.
* **Interleaved repeats.** The candidate and torch.nn alternate (candidate first on even repeats,
  torch.nn first on odd ones), so a drift in the machine's speed (another process, clock scaling,
  thermal throttling) hits both alike instead of biasing the ratio.
* **Medians.** A timing's noise is one-sided: a preemption or a page fault only ever adds time,
  and a single outlier moves a mean as far as it likes. The median of a handful of repeats ignores
  a few such outliers without a model of the noise.
* **CUDA events.** Kernel launches return before the GPU has done the work, so a wall clock around
  a call measures the launch, not the computation. Each call is timed with a pair of
  ``torch.cuda.Event(enable_timing=True)`` recorded around it on the current stream, after a
  ``torch.cuda.synchronize()`` (so earlier work is not counted) and read after another (which
  also waits for any other streams and makes an asynchronous CUDA error surface in this size's
  entry). An implementation that computes on its own streams must join them to the current one,
  as anything returning tensors to torch has to.

The inputs of a size are made once and passed to every call (not cloned per call: a clone would be
timed too). A module implementation is constructed and loaded with the weights once, outside the
timing, as torch.nn's module is. Sizes the implementation answers with ``NotImplementedError`` are
left out; any other exception becomes an entry with an ``"error"`` instead of times. A registered
cell (`celltypes`) has no torch.nn module: its reference, run the same way, is the baseline.
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

import torch
from _pytest.outcomes import OutcomeException

from .binding import Binding
from .calling import describe_exception
from .inputs import DTYPES, RNNInputs, make_inputs
from .reference import forward as reference_forward
from .spec import MODES, RNNSpec
from .support import Support

Size = tuple[int, int, int, int]  # (batch, time, input, hidden)

#: (batch, time, input, hidden) per mode: a small size where per-call overhead dominates, a medium
#: one, and a large one where the arithmetic does. Modest on purpose: with the default repeats a
#: mode and dtype take 10-25 s on a 2-core CPU (the large size dominates), well under that on a GPU.
#: One layer, one direction where the implementation allows (see `spec_for`). The same sizes for
#: every mode, so ratios compare across modes; a mode can be given its own list here.
STANDARD_SIZES = [(8, 32, 32, 64), (32, 128, 128, 256), (64, 64, 256, 512)]
SIZES: dict[str, list[Size]] = {mode: list(STANDARD_SIZES) for mode in MODES}
#: Tiny sizes for tests and smoke runs (`quick=True`): they measure overhead, not kernels.
QUICK_SIZES: dict[str, list[Size]] = {mode: [(2, 4, 4, 8), (4, 8, 8, 16)] for mode in MODES}

KEY_FIELDS = ("batch", "time", "input", "hidden", "device", "dtype")


class BenchmarkError(Exception):
    """A saved benchmark that cannot be read; the message is the one line to show."""


# --------------------------------------------------------------------------- measuring
def spec_for(support: Support, mode: str, size: Size) -> RNNSpec:
    """The configuration timed at `size`: one layer, and otherwise the plainest the implementation
    supports (seq-first, one direction, biases, tanh, no projection), each choice falling back to
    the other value only where the implementation does not support the plain one."""
    batch, steps, input_size, hidden = size
    return RNNSpec(
        mode, input_size, hidden,
        batch_first=False not in support.layouts,
        bidirectional=1 not in support.directions,
        bias=True in support.bias,
        proj_size=hidden // 2 if mode == "lstm" and False not in support.proj else 0,
        nonlinearity="relu" if mode == "rnn" and "tanh" not in support.nonlinearities else "tanh",
    )


def run_benchmark(binding: Binding, devices: Iterable[str], dtypes: Iterable[str], *, repeats: int = 5,
                  warmup: int = 2, quick: bool = False) -> dict[str, list[dict]]:
    """Time `binding` against torch.nn on `SIZES` (`QUICK_SIZES` if `quick`) in every device and
    dtype (names: ``"cuda"``, ``"float16"``) the implementation supports.

    Returns DESIGN.md's ``benchmark`` section: ``{mode: [{"batch", "time", "input", "hidden",
    "device", "dtype", "impl_s", "torch_s", "ratio"}, ...]}``, times in seconds (medians), ``ratio =
    impl_s / torch_s``; an entry whose calls raised has ``"error"`` instead of the three numbers.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be at least 1 and warmup at least 0, got {repeats} and {warmup}")
    devices, dtypes = list(devices), list(dtypes)
    if "cuda" in devices and not torch.cuda.is_available():
        raise ValueError("cannot benchmark on cuda: CUDA is not available on this machine")
    support = binding.support
    sizes = QUICK_SIZES if quick else SIZES
    results: dict[str, list[dict]] = {}
    with torch.no_grad():
        for mode in (m for m in binding.modes if m in support.modes):
            entries = []
            for device in devices:
                if support.devices is not None and device not in support.devices:
                    continue
                for dtype in dtypes:
                    if support.dtypes is not None and dtype not in support.dtypes:
                        continue
                    for size in sizes.get(mode, sizes["lstm"]):  # a registered cell: LSTM's sizes
                        entry = _measure(binding, spec_for(support, mode, size), size, device, dtype,
                                         repeats, warmup)
                        if entry is not None:
                            entries.append(entry)
            if entries:
                results[mode] = entries
    return results


def _measure(binding: Binding, spec: RNNSpec, size: Size, device: str, dtype: str, repeats: int,
             warmup: int) -> Optional[dict]:
    """One entry: medians of interleaved timings; None where the implementation says unsupported."""
    batch, steps, input_size, hidden = size
    entry: dict[str, Any] = dict(batch=batch, time=steps, input=input_size, hidden=hidden, device=device,
                                 dtype=dtype)
    inputs = make_inputs(spec, time=steps, batch=batch, seed=0, dtype=DTYPES[dtype], device=device)
    impl_times: list[float] = []
    torch_times: list[float] = []
    try:
        candidate = _candidate(binding, inputs)
        if spec.has_torch_module:
            module = spec.build_module(inputs.params, dtype=DTYPES[dtype], device=device).eval()

            def run_torch() -> Any:
                return module(inputs.input, inputs.hx)
        else:  # a registered cell: torch.nn has none, its reference is the baseline

            def run_torch() -> Any:
                return reference_forward(inputs.input, inputs.hx, inputs.params, spec)

        for _ in range(warmup):
            _timed(candidate, device)
            _timed(run_torch, device)
        for repeat in range(repeats):
            pair = [(candidate, impl_times), (run_torch, torch_times)]
            for fn, times in pair if repeat % 2 == 0 else pair[::-1]:
                times.append(_timed(fn, device))
    except (Exception, OutcomeException) as error:  # noqa: BLE001 - whatever a call raises is this size's verdict
        kind, message = describe_exception(error)
        return None if kind == "unsupported" else {**entry, "error": message}
    impl_s, torch_s = statistics.median(impl_times), statistics.median(torch_times)
    return {**entry, "impl_s": impl_s, "torch_s": torch_s, "ratio": impl_s / torch_s}


def _candidate(binding: Binding, inputs: RNNInputs) -> Callable[[], Any]:
    """A no-argument call of the implementation on `inputs`. A module is built (and given the
    weights) here, once, so that only its forward is timed, as torch.nn's is. The call is bare:
    the suite's guarded call (a private copy of the inputs, checks for mutation and tampering)
    would be timed with it."""
    if binding.convention == "module":
        module = binding.instantiate(inputs.spec, inputs.params, inputs.dtype, inputs.device)
        args = (inputs.input,) if inputs.hx is None else (inputs.input, inputs.hx)
        return lambda: module(*args)
    return lambda: binding.call(inputs)


def _timed(fn: Callable[[], Any], device: str) -> float:
    """Seconds one call of `fn` takes on `device` (CUDA events on the GPU, see the module's docstring)."""
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
                lines.append(row + f"{e['impl_s'] * 1e3:>10.3f} {e['torch_s'] * 1e3:>10.3f} {e['ratio']:>6.2f}x")
    baseline = "torch.nn time" if all(m in MODES for m in results) else "torch.nn time (for a registered cell: its reference's)"
    lines.append(f"ratio = implementation time / {baseline} (medians; lower is faster)")
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
