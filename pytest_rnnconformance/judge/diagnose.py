"""Naming the mistake, and only when it is the mistake.

On a failed check each applicable entry of the catalogue (`catalogue.Mistake`) is run on the
failing input and kept when it reproduces every tensor that differs, within the tolerance the
check used, without breaking one that agreed. A tiny counterexample (hidden size 1, one step, one
batch row) makes many mistakes coincide, so a name is given only when the same entry also
reproduces the implementation on a *confirmation* case at sizes where the catalogue's mistakes no
longer coincide (`confirmation_inputs`); otherwise the failure localises instead (``localise``).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import torch

from .catalogue import CATALOGUE, Mistake, sentence
from .compare import max_abs_diff
from .failure import Explanation

#: Sizes at which the catalogue's mistakes no longer coincide: time, batch, input, hidden.
CONFIRMATION_SIZES = (4, 3, 5, 6)


def _reproduces(candidate: dict, variant: dict, allowed: dict, mistake: Mistake) -> list:
    """The tensors one mistaken computation reproduces."""
    explained = []
    for name, tensor in candidate.items():
        if name not in variant or variant[name].shape != tensor.shape:
            continue
        limit = allowed[name]
        if mistake.low is not None:  # rounding differs between low-precision codes
            limit = max(limit, 8 * torch.finfo(mistake.low).eps * max(1.0, float(variant[name].abs().max())))
            if not _representable(tensor, mistake.low):
                continue  # a result computed in `low` and cast back holds only values `low` can hold
        if max_abs_diff(tensor, variant[name]) <= limit:
            explained.append(name)
    return explained


def _representable(tensor: torch.Tensor, dtype: torch.dtype) -> bool:
    """Whether every value survives a round trip through `dtype` unchanged.

    Why: near small values, bfloat16's rounding is as large as many a real bug's error, so closeness
    alone would blame "low precision" for a wrong equation. What computing in bfloat16 always
    leaves behind is results that *are* bfloat16 numbers.
    """
    return bool(torch.equal(tensor.to(dtype).to(tensor.dtype), tensor))


def candidates(inputs, candidate: dict, allowed: dict, failing: list) -> list:
    """The mistakes that reproduce every failing tensor of this check, best first (one per id)."""
    spec, recipe = inputs.spec, inputs.recipe
    exact = inputs.to(dtype=torch.float64, device="cpu")
    found: dict = {}
    for mistake in CATALOGUE:
        if not mistake.applies(spec, recipe):
            continue
        if mistake.low is not None and torch.finfo(mistake.low).eps <= torch.finfo(inputs.dtype).eps:
            continue
        try:
            with torch.no_grad():
                variant = mistake.run(exact) if not mistake.native else {
                    name: t.to(torch.float64) for name, t in mistake.run(inputs.to(device="cpu")).items()}
        except RecursionError:
            raise  # a fault of the catalogue itself, not of the configuration
        except (RuntimeError, ValueError, IndexError):
            continue  # this mistake cannot even run on this configuration
        explained = _reproduces(candidate, variant, allowed, mistake)
        if all(name in explained for name in failing) and all(name in explained for name in candidate):
            found.setdefault(mistake.id, []).append(mistake)
    if any(mistake_id != "low_precision" for mistake_id in found):
        found.pop("low_precision", None)  # coarse rounding "matches" many a tiny wrong result: exact ones first
    return [mistakes[0] for mistakes in found.values()]


def confirmation_inputs(inputs):
    """The same configuration at sizes where the catalogue's mistakes no longer coincide (packed
    lengths keep their pattern: one sequence full, the others shorter, sorted or not)."""
    from ..draw.inputs import make_inputs

    spec, recipe = inputs.spec, inputs.recipe
    time, batch, input_size, hidden = CONFIRMATION_SIZES
    proj = min(spec.proj_size, hidden - 1) if spec.proj_size else 0
    bigger = spec.replace(input_size=input_size, hidden_size=hidden, proj_size=proj)
    changes = dict(time=1 if spec.single_step else time, batch=None if recipe.batch is None else batch)
    if recipe.lengths is not None:
        changes.update(lengths=(time, 2, 1) if recipe.enforce_sorted else (2, time, 1), batch=3)
    return make_inputs(bigger, replace(recipe, **changes), dtype=inputs.dtype, device=inputs.device)


def explanations(mistakes: list, confirmed: list, spec, failing: list) -> tuple:
    """`Explanation`s of the mistakes that reproduced both the counterexample and the confirmation."""
    ids = {m.id for m in confirmed}
    return tuple(Explanation(m.id, m.sentence(spec), tuple(failing), True) for m in mistakes if m.id in ids)


def explain_shape(name: str, got: tuple, want: tuple, spec) -> Optional[Explanation]:
    """A catalogue mistake told by a result's shape alone, or None (worded by the catalogue)."""
    found = None
    if name in ("h_n", "c_n") and len(want) == 3 and got == (want[1], want[0], want[2]):
        found = "hn_batch_first"
    elif name == "output" and len(want) == 3 and spec.batch_first and got == (want[1], want[0], want[2]):
        found = "output_seq_first"
    elif spec.proj_size and name in ("output", "h_n") and got[-1:] == (spec.hidden_size,) and \
            got[:-1] == want[:-1] and want[-1] == spec.proj_size * (spec.num_directions if name == "output" else 1):
        found = "proj_missing"
    elif spec.proj_size and name == "c_n" and got[-1:] == (spec.proj_size,) and got[:-1] == want[:-1]:
        found = "proj_applied_to_c"
    return Explanation(found, sentence(found, spec), (name,), True) if found else None
