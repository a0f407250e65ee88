"""The two oracles: torch.nn on the candidate's device and dtype, and the reference in float64.

torch.nn says what users will compare against; the float64 reference (on the CPU) is the ground
truth both are measured against, since torch.nn in low precision or with TF32 is itself off.
"""
from __future__ import annotations

from dataclasses import dataclass

import warnings

import torch

from .inputs import RNNInputs
from .reference import forward as reference_forward
from .results import named_tensors


@dataclass
class Expected:
    torch_nn: dict  # name -> tensor, as torch.nn returns it on the candidate's device and dtype
    reference: dict  # name -> float64 CPU tensor


def torch_nn_result(inputs: RNNInputs):
    """What torch.nn returns for these inputs (eval mode, on the inputs' device and dtype)."""
    module = inputs.spec.build_module(inputs.params, dtype=inputs.dtype, device=inputs.device).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LSTM with projections is not supported with oneDNN")
        return module(inputs.input) if inputs.hx is None else module(inputs.input, inputs.hx)


def reference_result(inputs: RNNInputs):
    """The reference's result in float64 on the CPU, from the inputs exactly as the candidate got them."""
    exact = inputs.to(dtype=torch.float64, device="cpu")
    with torch.no_grad():
        return reference_forward(exact.input, exact.hx, exact.params, exact.spec)


def expected(inputs: RNNInputs) -> Expected:
    return Expected(
        torch_nn=named_tensors(torch_nn_result(inputs), inputs.spec),
        reference=named_tensors(reference_result(inputs), inputs.spec),
    )
