"""The two oracles: torch.nn on the candidate's device and dtype, and the reference in float64.

(For a registered cell, which torch.nn lacks, the reference in the candidate's dtype stands in for
torch.nn: see `modes`.)

torch.nn says what users will compare against; the float64 reference (on the CPU) is the ground
truth both are measured against, since torch.nn in low precision or with TF32 is itself off. Both
are computed *after* the candidate has returned, from the check's own pristine inputs: no expected
result exists in the process while the candidate runs.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..modes import reference
from ..run.results import named


@dataclass
class Expected:
    """What a result (or its gradients) is judged against."""

    torch_nn: dict  # name -> tensor, as torch.nn returns it on the candidate's device and dtype
    reference: dict  # name -> float64 CPU tensor
    nudged: Callable[[], dict]  # computes `perturbed`, once, only if a verdict needs it

    @functools.cached_property
    def perturbed(self) -> dict:
        """name -> float64 CPU tensor: the reference on inputs nudged by one rounding."""
        return self.nudged()


def run_reference(inputs, **hooks: Any) -> Any:
    """The reference on `inputs` as given (dtype, device); `hooks` are ``reference.forward``'s (the
    catalogue of mistakes passes its own)."""
    return reference(inputs.input, inputs.hx, inputs.params, inputs.spec, training=inputs.recipe.train, **hooks)


@functools.lru_cache(maxsize=64)
def _module(spec, dtype: torch.dtype, device: str) -> torch.nn.Module:
    return spec.build_module(dtype=dtype, device=device).eval()


def torch_nn_result(inputs) -> Any:
    """What torch.nn returns for these inputs (eval mode unless the recipe trains, same device and dtype).

    On the CPU the oneDNN path is switched off: it builds a new primitive for every new shape,
    which made each call of a property ~20 ms; torch.nn's native CPU kernels are as much torch.nn.
    """
    if not inputs.spec.has_torch_module:
        return same_dtype_reference_result(inputs)
    module = _module(inputs.spec, inputs.dtype, str(inputs.device))
    module.train(bool(inputs.recipe.train))
    args = (inputs.input,) if inputs.hx is None else (inputs.input, inputs.hx)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LSTM with projections is not supported with oneDNN")
        warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
            for name, parameter in module.named_parameters():
                parameter.copy_(inputs.params[name])
            return module(*args)


def reference_result(inputs) -> Any:
    """The reference's result in float64 on the CPU, from the inputs exactly as the candidate got them."""
    exact = inputs.to(dtype=torch.float64, device="cpu")
    with torch.no_grad():
        return run_reference(exact)


def same_dtype_reference_result(inputs) -> Any:
    """The reference in the candidate's own dtype and device: torch.nn's stand-in for a registered
    cell, which torch.nn does not have (what it measures is the rounding error of that dtype)."""
    with torch.no_grad():
        return run_reference(inputs)


def nudged_by_rounding(exact, eps: float, seed: int):
    """Every value times (1 ± eps), the sign and size drawn from a generator seeded with `seed`
    (differentiable in the values, so gradients can be taken through it)."""
    generator = torch.Generator().manual_seed(seed)
    return exact.to_fn(lambda t: t * (1 + eps * (2 * torch.rand(t.shape, generator=generator, dtype=torch.float64) - 1)))


def perturbed_reference_result(inputs) -> Any:
    """The reference on inputs and weights each nudged by one rounding of the candidate's dtype.

    How far this moves the result measures how sensitive this very input is to rounding: a long,
    saturated, chaotic sequence amplifies the last bit of every step, and then any correct
    implementation that rounds differently from torch.nn lands far from it. torch.nn's own error
    alone would miss that when torch.nn and the reference happen to round alike.
    """
    nudged = nudged_by_rounding(inputs.to(dtype=torch.float64, device="cpu"), torch.finfo(inputs.dtype).eps,
                                seed=inputs.recipe.seed + 1)
    with torch.no_grad():
        return run_reference(nudged)


def expected(inputs) -> Expected:
    spec = inputs.spec
    return Expected(
        torch_nn=named(torch_nn_result(inputs), spec),
        reference=named(reference_result(inputs), spec),
        nudged=lambda: named(perturbed_reference_result(inputs), spec),
    )
