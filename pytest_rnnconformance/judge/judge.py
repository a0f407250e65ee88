"""`judge`: one result against the oracles, ending in nothing or in one `Failure`.

The oracles are computed here, after the implementation has returned (no expected result exists
while it runs). Each tensor is judged at the precision the implementation returned it in: a float32
result for float64 inputs is held to float32's tolerance, and its dtype is the ``dtype`` row's
finding, not every row's. A tensor whose shape is not torch.nn's even up to size-1 dimensions fails
as a shape (with a name where the shape alone tells the mistake); one that is right in size but off
in a size-1 dimension was reshaped when read and is judged on its values (the ``shape`` row reports
it). torch.nn and the float64 reference disagreeing far beyond rounding is an ``error`` of the
check: nothing can be blamed on the implementation.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch

from ..run.call import Problem
from ..run.results import Result, expected_shapes
from .compare import locate, measure
from .diagnose import explain_shape
from .failure import Failure, OutOfRange
from .oracles import Expected, expected
from .tolerance import Tolerance, tolerance_for

#: torch.nn's own error beyond this many floors (and this many times the input's rounding sensitivity)
#: means the two oracles disagree: not rounding, whatever the input.
ORACLE_DISAGREEMENT = 1000
ToleranceOf = Callable[[torch.dtype], Tolerance]


def coarser(a: torch.dtype, b: torch.dtype) -> torch.dtype:
    """The dtype with the larger machine epsilon (the precision a mixed computation can claim)."""
    return a if torch.finfo(a).eps >= torch.finfo(b).eps else b


def failure_of(problem: Problem) -> Failure:
    """The `Failure` of a call that gave no usable result."""
    return Failure("error", "crash", problem.message, cause=problem.cause)


def shape_failure(result: Result, inputs) -> Optional[Failure]:
    """A failure for results whose shape is not torch.nn's even up to size-1 dimensions."""
    if not result.misshapen:
        return None
    lines, explained = shapes_explained(result.misshapen, inputs.spec)
    names = ", ".join(result.misshapen)
    return Failure("fail", "shape", f"returned {names} in the wrong shape", details=lines, explanations=explained)


def shapes_explained(mismatches: dict, spec) -> tuple:
    """(a line per result, the known mistakes that explain them, each named once: h_n and c_n off
    the same way are one mistake) for `mismatches`, name -> (shape got, torch.nn's shape)."""
    lines, explained = [], []
    for name, (got, want) in mismatches.items():
        lines.append(f"{name} has shape {got}; torch.nn's is {want} ({_meaning(name, spec)})")
        explanation = explain_shape(name, tuple(got), tuple(want), spec)
        if explanation is not None and explanation.id not in [e.id for e in explained]:
            explained.append(explanation)
    return tuple(lines), tuple(explained)


def judge(inputs, result: Result, tolerance_of: ToleranceOf = tolerance_for,
          oracles: Optional[Expected] = None) -> Optional[Failure]:
    """The failure of `result` on `inputs`, or None when it conforms (see the module docstring).

    Raises `OutOfRange` when the exact result does not fit the dtype (nothing to judge there).
    """
    misshapen = shape_failure(result, inputs)
    if misshapen is not None:
        return misshapen
    oracles = oracles or expected(inputs)
    largest = max((float(t.abs().max()) if t.numel() else 0.0 for t in oracles.reference.values()), default=0.0)
    if largest > torch.finfo(inputs.dtype).max / 2:
        raise OutOfRange(f"the exact result reaches {largest:.3g}, beyond what {inputs.dtype} can hold")
    precision = inputs.dtype
    for dtype in result.dtypes.values():
        if dtype.is_floating_point:
            precision = coarser(precision, dtype)
    floor = tolerance_for(precision).floor  # the default policy's, whatever a hook chose
    errors = measure(result.tensors, oracles, tolerance_of(precision), suspect_above=ORACLE_DISAGREEMENT * floor)
    # Far beyond rounding *and* beyond what this input's own sensitivity explains: a chaotic input
    # (long, saturated) amplifies any rounding, torch.nn's included, and is judged, not set aside.
    disagreeing = [e for e in errors if e.sensitivity is not None
                   and e.torch_error > ORACLE_DISAGREEMENT * max(floor * max(1.0, e.magnitude), e.sensitivity)]
    if disagreeing:
        worst = max(disagreeing, key=lambda e: e.torch_error)
        return Failure("error", "oracles", f"torch.nn and the float64 reference disagree on {worst.name} by "
                       f"{worst.torch_error:.3g}, far beyond rounding: the implementation is not judged on this "
                       f"input (its error against the reference is {worst.error:.3g}, against torch.nn "
                       f"{worst.vs_torch:.3g})", tensors=tuple(errors))
    failing = [e for e in errors if not e.ok]
    if not failing:
        return None
    spec, recipe = inputs.spec, inputs.recipe
    batched = recipe.batch is not None or recipe.lengths is not None
    divergences = []
    for e in failing:
        found = locate(e.name, result.tensors[e.name], oracles.reference[e.name], spec, e.allowed,
                       batched=batched, batch_first=spec.batch_first and recipe.lengths is None)
        if found is not None:
            divergences.append(found)
    compared_with = "torch.nn" if spec.has_torch_module else f"the reference in {str(inputs.dtype)[6:]}"
    names = ", ".join(e.name for e in failing)
    return Failure("fail", "values", f"{names} differ{'s' if len(failing) == 1 else ''} from {compared_with}",
                   tensors=tuple(errors), divergences=tuple(divergences), compared_with=compared_with)


def allowed_and_failing(failure: Failure) -> tuple[dict, list, list]:
    """(allowance per tensor, names that failed, names that agreed) of a values failure."""
    allowed = {e.name: e.allowed for e in failure.tensors}
    failing = [e.name for e in failure.tensors if not e.ok]
    return allowed, failing, [e.name for e in failure.tensors if e.ok]


def _meaning(name: str, spec) -> str:
    if spec.single_step:
        return "batch, hidden"
    if name == "output":
        layout = "batch, time" if spec.batch_first else "time, batch"
        return f"{layout}, directions * hidden"
    return "layers * directions, batch, hidden" + ("" if name == "c_n" or not spec.proj_size else " (proj_size for h_n)")


def shapes_of(inputs) -> dict:
    return expected_shapes(inputs)
