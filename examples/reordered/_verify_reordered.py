"""Check every file in examples/reordered against torch.nn, independently of the plugin.

Not an example: ``python examples/reordered/_verify_reordered.py`` from the repository root. Exit
status: the number of claims that do not hold.

Each file is correct and only rounds differently, so each must equal torch.nn.RNN/LSTM/GRU with the
same weights in every configuration its canonical ``forward(input, hx, params, spec)`` takes (one to
two layers, one or two directions, with and without bias, both layouts, projections, relu, hx omitted,
unbatched input): within 1e-9 in float64, and in float32 within ten times torch.nn's own float32 error
against float64 (at least 1e-5), the allowance the plugin's tolerance is calibrated on. Packed input is
refused with NotImplementedError (the packed row is unsupported, not failed).
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path
from types import SimpleNamespace

import warnings

import torch
from torch.nn.utils.rnn import pack_padded_sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _ground_truth import BATCH, HIDDEN, INPUT, TIME, TOL, Verdicts, distance, draw, load  # noqa: E402

HERE = Path(__file__).parent
FILES = ("fused_gates", "separate_gates", "wide_accumulation", "einsum_order")
PROJ = 2
warnings.filterwarnings("ignore", message="LSTM with projections is not supported with oneDNN")
FLOAT32_FLOOR, FLOAT32_MULTIPLE = 1e-5, 10


def configurations():
    """Every combination of layers, directions, bias, layout, projection and nonlinearity, then hx
    omitted and unbatched input around the base of each mode."""
    for mode in ("rnn", "lstm", "gru"):
        for layers, bidirectional, bias, batch_first in itertools.product((1, 2), (False, True), (True, False),
                                                                           (False, True)):
            for proj, nonlinearity in itertools.product((0, PROJ) if mode == "lstm" else (0,),
                                                         ("tanh", "relu") if mode == "rnn" else ("tanh",)):
                yield SimpleNamespace(mode=mode, input_size=INPUT, hidden_size=HIDDEN, num_layers=layers, bias=bias,
                                      batch_first=batch_first, bidirectional=bidirectional, proj_size=proj,
                                      nonlinearity=nonlinearity, dropout=0.0), {}
        base = SimpleNamespace(mode=mode, input_size=INPUT, hidden_size=HIDDEN, num_layers=1, bias=True,
                               batch_first=False, bidirectional=False, proj_size=0, nonlinearity="tanh", dropout=0.0)
        yield base, {"hx_none": True}
        yield base, {"unbatched": True}


def torch_module(spec, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    kw = dict(num_layers=spec.num_layers, bias=spec.bias, batch_first=spec.batch_first,
              bidirectional=spec.bidirectional)
    if spec.mode == "rnn":
        return torch.nn.RNN(INPUT, HIDDEN, nonlinearity=spec.nonlinearity, **kw).double()
    if spec.mode == "lstm":
        return torch.nn.LSTM(INPUT, HIDDEN, proj_size=spec.proj_size, **kw).double()
    return torch.nn.GRU(INPUT, HIDDEN, **kw).double()


def inputs(spec, seed: int, hx_none: bool = False, unbatched: bool = False):
    rows = spec.num_layers * (2 if spec.bidirectional else 1)
    batch = () if unbatched else (BATCH,)
    x = draw(*(((BATCH, TIME) if spec.batch_first else (TIME, BATCH)) if not unbatched else (TIME,)), INPUT, seed=seed)
    h0 = draw(rows, *batch, spec.proj_size or HIDDEN, seed=seed + 1)
    hx = (h0, draw(rows, *batch, HIDDEN, seed=seed + 2)) if spec.mode == "lstm" else h0
    return x, None if hx_none else hx


def cast(value, dtype):
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: v.to(dtype) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return tuple(cast(v, dtype) for v in value)
    return value.to(dtype)


def run(call, mode: str, *args) -> dict:
    with torch.no_grad():
        output, states = call(*args)
    states = states if mode == "lstm" else (states,)
    return dict(zip(("output", "h_n", "c_n"), (output, *states)))


def cases() -> list:
    """(spec, extra, x, hx, params, torch.nn's float64 result, the float32 allowance) per
    configuration: torch.nn's side computed once, for every file."""
    out = []
    for seed, (spec, extra) in enumerate(configurations()):
        m = torch_module(spec, seed)
        x, hx = inputs(spec, seed, **extra)
        want = run(m, spec.mode, x, hx)
        own = distance(run(m.float(), spec.mode, x.float(), cast(hx, torch.float32)), want)
        params = {k: v.detach().double() for k, v in m.named_parameters()}
        out.append((spec, extra, x, hx, params, want, max(FLOAT32_FLOOR, FLOAT32_MULTIPLE * own)))
    return out


def check(name: str, module, verdicts: Verdicts, grid: list) -> None:
    worst = {torch.float64: 0.0, torch.float32: 0.0}
    failures = []
    for spec, extra, x, hx, params, want, allowed32 in grid:
        for dtype, allowed in ((torch.float64, TOL), (torch.float32, allowed32)):
            got = run(module.forward, spec.mode, x.to(dtype), cast(hx, dtype), cast(params, dtype), spec)
            error = distance(got, want)
            worst[dtype] = max(worst[dtype], error / allowed)
            if not error <= allowed:
                failures.append(f"{spec.mode} {vars(spec)} {extra} {dtype}: {error:.2g} > {allowed:.2g}")
    verdicts.claim(name, not failures, f"= torch.nn in {len(grid)} configurations x float64, float32 (worst error "
                                       f"{worst[torch.float64]:.2g} and {worst[torch.float32]:.2g} of the allowance)"
                   + "".join(f"\n      {line}" for line in failures[:5]))
    spec, extra, x, hx, params, _, _ = grid[0]
    packed = pack_padded_sequence(x, torch.tensor([TIME, 3, 2]))
    verdicts.refuses(name, lambda: module.forward(packed, hx, params, spec),
                     "packed input: a refusal (packed unsupported)", words="packed")


def main() -> int:
    verdicts, grid = Verdicts(), cases()
    for name in FILES:
        check(name, load(HERE / f"{name}.py"), verdicts, grid)
    print(f"\n{len(FILES)} reordered examples, {verdicts.problems} problems")
    return verdicts.problems


if __name__ == "__main__":
    torch.set_num_threads(1)  # tensors of a few dozen numbers: more threads only contend for the cores
    sys.exit(main())
