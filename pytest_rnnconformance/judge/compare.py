"""Comparing a candidate with the oracles, and finding where it first departs from them.

`measure` applies the tolerance policy per tensor. `locate` turns a failing tensor into what a
learner can act on: output or state, which layer and direction, the first time step (in that
direction's own order) and which batch rows, and whether the error grows along time (a bug in the
recurrence) or is about the same at every step (a bug within one step).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional

import torch
from torch import Tensor

from .tolerance import Tolerance


@dataclass(frozen=True)
class TensorError:
    name: str
    error: float  # max |candidate - reference64|
    relative: float  # error / max |reference64|
    torch_error: float  # max |torch.nn - reference64|
    sensitivity: Optional[float]  # max |reference64(inputs nudged by one rounding) - reference64|; None:
    # not measured, as no verdict depended on it (see `measure`)
    vs_torch: float  # max |candidate - torch.nn|
    allowed: float
    magnitude: float

    @property
    def ok(self) -> bool:
        return self.error <= self.allowed

    def as_dict(self) -> dict:
        return {"error": self.error, "relative": self.relative, "torch_error": self.torch_error,
                "sensitivity": self.sensitivity, "vs_torch": self.vs_torch, "allowed": self.allowed,
                "magnitude": self.magnitude, "ok": self.ok}

    @classmethod
    def from_dict(cls, name: str, data: dict) -> TensorError:
        """The error `as_dict` wrote for tensor `name` (a report read back; a report written before
        the magnitude was recorded has NaN there)."""
        fields = ("error", "relative", "torch_error", "sensitivity", "vs_torch", "allowed")
        return cls(name=name, magnitude=data.get("magnitude", math.nan), **{field: data[field] for field in fields})


def _abs_diff(a: Tensor, b: Tensor) -> Tensor:
    """|a - b| in float64 on the CPU, NaN or Inf where they are not both equal counted as infinite
    (NaN in both is agreement: a NaN in the input propagates as it does in torch.nn)."""
    a64, b64 = a.detach().to("cpu", torch.float64), b.detach().to("cpu", torch.float64)
    diff = (a64 - b64).abs()
    same_special = (a64 == b64) | (a64.isnan() & b64.isnan())  # equal infinities, NaN against NaN
    return torch.where(same_special, torch.zeros_like(diff), torch.nan_to_num(diff, nan=math.inf, posinf=math.inf))


def _max(t: Tensor) -> float:
    return float(t.max()) if t.numel() else 0.0


def _magnitude(t: Tensor) -> float:
    """max |t| over its finite values: an infinity or a NaN the input put there is matched, not scaled by."""
    finite = t[t.isfinite()]
    return float(finite.abs().max()) if finite.numel() else 0.0


def max_abs_diff(a: Tensor, b: Tensor) -> float:
    """max |a - b| as `_abs_diff` counts it, in a few operations when every value is finite."""
    if not a.numel():
        return 0.0
    largest = float((a.detach().to("cpu", torch.float64) - b.detach().to("cpu", torch.float64)).abs().max())
    return largest if math.isfinite(largest) else _max(_abs_diff(a, b))


def measure(candidate: dict, oracles, tolerance: Tolerance, suspect_above: float = math.inf,
            always_sensitivity: bool = False) -> list[TensorError]:
    """Per tensor: the candidate's error, torch.nn's own error, and what the policy allows.

    The input's sensitivity to rounding (`oracles.perturbed`, a third run of the reference) can only
    widen the allowance, so it is measured only where a verdict depends on it: where the candidate's
    error is beyond what torch.nn's error alone allows, or where torch.nn's own error is beyond
    `suspect_above` times the magnitude (the judge's check that the oracles agree). Most passing
    tensors need two oracle runs, not three."""
    errors = []
    torch_nn = oracles.torch_nn
    for name, expected in oracles.reference.items():
        if name not in candidate:  # a result the implementation declares it does not return
            continue
        magnitude = _magnitude(expected)
        torch_error = max_abs_diff(torch_nn[name], expected)
        error = max_abs_diff(candidate[name], expected)
        sensitivity = None
        if always_sensitivity or error > tolerance.allowed(torch_error, magnitude) \
                or torch_error > suspect_above * max(1.0, magnitude):
            sensitivity = max_abs_diff(oracles.perturbed[name], expected)
        errors.append(TensorError(
            name=name,
            error=error,
            relative=error / magnitude if magnitude else error,
            torch_error=torch_error,
            sensitivity=sensitivity,
            vs_torch=max_abs_diff(candidate[name], torch_nn[name]),
            allowed=tolerance.allowed(max(torch_error, sensitivity or 0.0), magnitude),
            magnitude=magnitude,
        ))
    return errors


@dataclass(frozen=True)
class Divergence:
    """Where a tensor first departs from the reference."""

    tensor: str
    layer: Optional[int]
    direction: Optional[str]  # "forward" / "reverse"
    step: Optional[int]  # in the direction's own order (reverse: 0 is the last input step)
    time_index: Optional[int]  # the index into the time dimension
    batch_rows: list
    all_rows: bool
    growth: str  # "grows along time", "about constant along time", "" (states)
    expected: list
    actual: list

    def describe(self) -> str:
        where = [self.tensor]
        if self.layer is not None:
            where.append(f"layer {self.layer}")
        if self.direction is not None:
            where.append(f"{self.direction} direction")
        if self.step is not None:
            own = "" if self.direction != "reverse" else f" of the reverse pass (input step {self.time_index})"
            where.append(f"time step {self.step}{own}")
        rows = "all batch rows" if self.all_rows else f"batch row{'s' if len(self.batch_rows) > 1 else ''} {', '.join(map(str, self.batch_rows))}"
        where.append(rows)
        text = ", ".join(where)
        if self.growth:
            text += f"; the error {self.growth}"
        return text

    def as_dict(self) -> dict:
        return asdict(self)


def as_time_major(t: Tensor, spec, batched: bool, batch_first: bool) -> Tensor:
    """An output as (time, batch, features), whatever layout it came in."""
    if not batched:
        return t.unsqueeze(1)
    return t.transpose(0, 1) if batch_first else t


def locate(name: str, candidate: Tensor, reference: Tensor, spec, allowed: float, *, batched: bool = True,
           batch_first: bool = False) -> Optional[Divergence]:
    """The first (layer, direction, step, rows) where `candidate` is off by more than `allowed`."""
    diff = _abs_diff(candidate, reference)
    if name == "output":
        return _locate_output(diff, candidate, reference, spec, allowed, batched, batch_first)
    if spec.single_step:  # a cell's state has no layer dimension: it is layer 0's
        diff, candidate, reference = diff.unsqueeze(0), candidate.unsqueeze(0), reference.unsqueeze(0)
    return _locate_state(name, diff, candidate, reference, spec, allowed, batched)


def _sample(t: Tensor, limit: int = 6) -> list:
    return [round(float(v), 6) for v in t.detach().to("cpu", torch.float64).flatten()[:limit]]


def _locate_output(diff, candidate, reference, spec, allowed, batched, batch_first) -> Optional[Divergence]:
    diff = as_time_major(diff, spec, batched, batch_first)
    cand = as_time_major(candidate, spec, batched, batch_first)
    ref = as_time_major(reference, spec, batched, batch_first)
    width = spec.output_hidden_size
    found = []
    for direction in range(spec.num_directions):
        part = diff[..., direction * width:(direction + 1) * width]
        per_step_row = part.amax(dim=-1) if part.numel() else part.sum(-1)  # (time, batch)
        if direction == 1:
            per_step_row = per_step_row.flip(0)  # the reverse direction's own order
        bad_steps = (per_step_row > allowed).any(dim=1).nonzero().flatten()
        if len(bad_steps):
            found.append((int(bad_steps[0]), direction, per_step_row))
    if not found:
        return None
    step, direction, per_step_row = min(found, key=lambda f: (f[0], f[1]))
    time_index = step if direction == 0 else per_step_row.shape[0] - 1 - step
    rows = (per_step_row[step] > allowed).nonzero().flatten().tolist()
    row = rows[0]
    sl = slice(direction * width, (direction + 1) * width)
    return Divergence(
        tensor="output",
        layer=spec.num_layers - 1,
        direction=("forward", "reverse")[direction] if spec.num_directions == 2 else None,
        step=step,
        time_index=time_index,
        batch_rows=rows,
        all_rows=len(rows) == per_step_row.shape[1],
        growth=_growth(per_step_row.amax(dim=1)[step:], step),
        expected=_sample(ref[time_index, row, sl]),
        actual=_sample(cand[time_index, row, sl]),
    )


def _locate_state(name, diff, candidate, reference, spec, allowed, batched) -> Optional[Divergence]:
    if not batched:
        diff, candidate, reference = diff.unsqueeze(1), candidate.unsqueeze(1), reference.unsqueeze(1)
    per_index_row = diff.amax(dim=-1) if diff.numel() else diff.sum(-1)  # (layers * directions, batch)
    bad = (per_index_row > allowed).any(dim=1).nonzero().flatten()
    if not len(bad):
        return None
    index = int(bad[0])
    rows = (per_index_row[index] > allowed).nonzero().flatten().tolist()
    return Divergence(
        tensor=name,
        layer=index // spec.num_directions,
        direction=("forward", "reverse")[index % spec.num_directions] if spec.num_directions == 2 else None,
        step=None,
        time_index=None,
        batch_rows=rows,
        all_rows=len(rows) == per_index_row.shape[1],
        growth="",
        expected=_sample(reference[index, rows[0]]),
        actual=_sample(candidate[index, rows[0]]),
    )


def _growth(errors_from_first: Tensor, first: int) -> str:
    """What the error does along time from the `first` failing step: where steps before it agree,
    each step's own computation held on them, so the difference came in with what was carried
    ("about constant" would wrongly say "within each step" of a state never passed on); from step
    0, 'grows along time' when later steps are clearly worse than the first."""
    if first > 0:
        return ("starts after a step that agrees (a bug in what is carried from step to step, or in how the "
                "carried state enters the next step)")
    values = [float(v) for v in errors_from_first]
    if len(values) < 2:
        return ""
    start, last, peak = values[0], values[-1], max(values)
    if start > 0 and peak / start < 3:
        return "is about constant along time (a bug within each step)"
    if last > 3 * start or peak > 3 * start:
        return "grows along time (a bug in what is carried from step to step)"
    return ""
