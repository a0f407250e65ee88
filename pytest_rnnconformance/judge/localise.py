"""Where a failure comes from, when no known mistake explains it.

Besides the first divergence (output or state, layer, direction, time step, rows, growth along
time, from `compare.locate`), a gated cell's failure is traced to a gate: one gate block at a time,
the reference is perturbed (its input part dropped, its recurrent part dropped, its biases dropped,
its sign flipped, as ``1 - σ``) and a perturbation that reproduces every differing tensor says the
difference enters through that gate's pre-activation. When none does, that is said too: the gates
are computed right and the combination (the cell update, the output) is where to look.
"""
from __future__ import annotations

import torch

from .catalogue import GATE_NAMES, GATE_TITLES, with_params
from .diagnose import _reproduces
from .catalogue import Mistake

PERTURBATIONS = {  # description -> which weight kinds of the block change, and the factor
    "without its input part x W_i": (("weight_ih",), 0.0),
    "without its recurrent part h W_h": (("weight_hh",), 0.0),
    "without its biases": (("bias_ih", "bias_hh"), 0.0),
    "with its sign flipped (1 - σ for a sigmoid gate)": (("weight_ih", "weight_hh", "bias_ih", "bias_hh"), -1.0),
}


def _perturb_block(gate: int, kinds: tuple, factor: float):
    def transform(kind: str, value: torch.Tensor, spec) -> torch.Tensor:
        if kind not in kinds:
            return value
        parts = list(value.chunk(spec.gate_count, dim=0))
        parts[gate] = parts[gate] * factor
        return torch.cat(parts, dim=0)

    return transform


def gate_of(inputs, candidate: dict, allowed: dict, failing: list) -> list:
    """``(gate letter, perturbation)`` pairs that reproduce the candidate, for a gated cell."""
    spec = inputs.spec
    family = spec.recurrence.family
    if family not in GATE_NAMES:
        return []
    exact = inputs.to(dtype=torch.float64, device="cpu")
    found = []
    for index, gate in enumerate(GATE_NAMES[family]):
        for description, (kinds, factor) in PERTURBATIONS.items():
            if not spec.bias and kinds == ("bias_ih", "bias_hh"):
                continue
            mistake = Mistake("", lambda s: "", with_params(_perturb_block(index, kinds, factor)))
            with torch.no_grad():
                variant = mistake.run(exact)
            explained = _reproduces(candidate, variant, allowed, mistake)
            if all(name in explained for name in candidate):
                found.append((gate, description))
    return found


def localise(inputs, candidate: dict, allowed: dict, failing: list, agreeing: list) -> tuple:
    """Lines that say where to look, for a failure no catalogue mistake reproduces."""
    lines = [f"{', '.join(agreeing)} agree{'s' if len(agreeing) == 1 else ''} with torch.nn"] if agreeing else []
    family = inputs.spec.recurrence.family
    if family in GATE_NAMES:
        gates = gate_of(inputs, candidate, allowed, failing)
        if gates:
            for gate, description in gates[:2]:
                lines.append(f"the difference enters through the {GATE_TITLES[gate]}: your result matches torch.nn's "
                             f"with that gate computed {description}")
        else:
            lines.append(f"none of the {len(PERTURBATIONS)} changes tried on each gate's pre-activation ("
                         f"{'; '.join(PERTURBATIONS)}) reproduces it: look at how the gates are combined" + (" (c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'))" if family == "lstm" else
                                           " (n = tanh(gi_n + r ⊙ gh_n), h' = (1 - z) ⊙ n + z ⊙ h)"))
    return tuple(lines)
