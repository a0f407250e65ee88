"""The ``backward`` row's oracles: torch.nn's gradients and the reference's, for the same loss.

The candidate's gradients are taken where it ran (``run.gradients``), of ``sum(weight * result)``
with the random upstream weights drawn here (`upstream_weights`); these are the same gradients from
torch.nn's autograd (on the candidate's device and dtype) and from the reference in float64, plus
the reference's on inputs nudged by one rounding (the gradients' own sensitivity), so that
`compare.measure` judges them exactly as it judges values.
"""
from __future__ import annotations

import warnings

import torch
from torch.func import functional_call

from ..run.gradients import weighted_loss
from ..run.in_process import named_input_tensors
from ..run.results import named
from .oracles import Expected, nudged_by_rounding, run_reference


def upstream_weights(shapes: dict, seed: int) -> dict:
    """Random weights, one per result, float64 on the CPU (each side converts them)."""
    generator = torch.Generator().manual_seed(seed)
    return {name: torch.randn(shape, generator=generator, dtype=torch.float64) for name, shape in shapes.items()}


def _grads(loss: torch.Tensor, wrt: dict) -> dict:
    names = list(wrt)
    grads = torch.autograd.grad(loss, [wrt[n] for n in names], allow_unused=True)
    return {f"grad {n}": (g if g is not None else torch.zeros_like(wrt[n])).detach() for n, g in zip(names, grads)}


def oracle_gradients(inputs, upstream: dict, names: list) -> Expected:
    """torch.nn's gradients (inputs' device and dtype) and the reference's in float64, for `names`
    (the results the candidate returns)."""
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
        torch_grads = _grads(weighted_loss(chosen(named(result, spec)), upstream), named_input_tensors(leaves))

        def reference(nudge_eps: float) -> dict:
            with torch.enable_grad():  # called again later, lazily, for the nudged inputs
                exact = inputs.to(dtype=torch.float64, device="cpu").as_leaves()
                used = nudged_by_rounding(exact, nudge_eps, seed=inputs.recipe.seed + 2) if nudge_eps else exact
                loss = weighted_loss(chosen(named(run_reference(used), spec)), upstream)
                return _grads(loss, named_input_tensors(exact))

        return Expected(torch_grads, reference(0.0), lambda: reference(torch.finfo(inputs.dtype).eps))
