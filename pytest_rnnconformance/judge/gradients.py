"""The ``backward`` and ``double_backward`` rows' oracles: torch.nn's derivatives and the reference's.

The candidate's gradients (and second derivatives) are taken where it ran (``run.gradients``), of
``sum(weight * result)`` with the random upstream weights drawn here (`upstream_weights`); these are
the same derivatives from torch.nn's autograd (on the candidate's device and dtype) and from the
reference in float64, plus the reference's on inputs nudged by one rounding (their own
sensitivity), so that `compare.measure` judges them exactly as it judges values.
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch
from torch.func import functional_call

from ..run.gradients import derivatives, weighted_loss
from ..run.given import named_input_tensors
from ..run.results import named
from .oracles import Expected, nudged_by_rounding, run_reference


def upstream_weights(shapes: dict, seed: int) -> dict:
    """Random weights, one per result, float64 on the CPU (each side converts them)."""
    generator = torch.Generator().manual_seed(seed)
    return {name: torch.randn(shape, generator=generator, dtype=torch.float64) for name, shape in shapes.items()}


def oracle_gradients(inputs, upstream: dict, names: list, directions: Optional[dict] = None) -> Expected:
    """torch.nn's gradients (inputs' device and dtype) and the reference's in float64, for `names`
    (the results the candidate returns); with `directions`, their second derivatives too (see
    ``run.gradients.derivatives``)."""
    spec = inputs.spec
    leaves = inputs.as_leaves()
    with torch.enable_grad():
        if spec.has_torch_module:
            module = spec.build_module(dtype=inputs.dtype, device=inputs.device)
            module.train(bool(inputs.recipe.train))
            args = (leaves.input,) if leaves.hx is None else (leaves.input, leaves.hx)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = functional_call(module, leaves.params, args)
        else:  # a registered cell: its reference in the same dtype stands in for torch.nn
            result = run_reference(leaves)
        chosen = (lambda tensors: {n: t for n, t in tensors.items() if n in names})
        torch_grads = derivatives(weighted_loss(chosen(named(result, spec)), upstream), named_input_tensors(leaves),
                                  directions)

        def reference(nudge_eps: float) -> dict:
            with torch.enable_grad():  # called again later, lazily, for the nudged inputs
                exact = inputs.to(dtype=torch.float64, device="cpu").as_leaves()
                used = nudged_by_rounding(exact, nudge_eps, seed=inputs.recipe.seed + 2) if nudge_eps else exact
                loss = weighted_loss(chosen(named(run_reference(used), spec)), upstream)
                return derivatives(loss, named_input_tensors(exact), directions)

        return Expected(torch_grads, reference(0.0), lambda: reference(torch.finfo(inputs.dtype).eps))
