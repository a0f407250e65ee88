"""The ``backward`` feature: gradients of every input against torch.nn's and the reference's.

The loss is a weighted sum of every output (output, h_n, c_n) with random upstream weights, not a
plain sum: with a plain sum, a gradient that swaps two hidden units, or two time steps, would add
up the same. Gradients are taken with respect to the input, h0, c0 and every weight; for an
``nn.Module`` implementation, with respect to its own parameters, which hold torch.nn's values.
Where the implementation brings its own backward (a custom ``autograd.Function``), it is also
checked by ``torch.autograd.gradcheck`` in float64 on small sizes.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch.func import functional_call
from torch.nn.utils.rnn import PackedSequence

from .calling import Unsupported, named_input_tensors
from .inputs import RNNInputs
from .oracle import nudged_by_rounding
from .reference import forward as reference_forward
from .results import named_tensors

GRADCHECK_MAX_ELEMENTS = 400


@dataclass
class GradientOracles:
    torch_nn: dict
    reference: dict
    perturbed: dict


def as_leaves(inputs: RNNInputs) -> RNNInputs:
    """A copy whose every floating tensor is a leaf that requires grad."""
    return inputs.to_fn(lambda t: t.detach().clone().requires_grad_(True))


def upstream_weights(named: dict, seed: int) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return {name: torch.randn(t.shape, generator=generator, dtype=torch.float64) for name, t in named.items()}


def weighted_loss(named: dict, weights: dict) -> torch.Tensor:
    return sum((t * weights[name].reshape(t.shape).to(t.dtype).to(t.device)).sum() for name, t in named.items())


def _grads(loss: torch.Tensor, wrt: dict) -> dict:
    names = list(wrt)
    grads = torch.autograd.grad(loss, [wrt[n] for n in names], allow_unused=True)
    return {f"grad {n}": (g if g is not None else torch.zeros_like(wrt[n])).detach() for n, g in zip(names, grads)}


def oracle_gradients(inputs: RNNInputs, weights: dict) -> GradientOracles:
    """torch.nn's gradients (inputs' device and dtype) and the reference's in float64."""
    leaves = as_leaves(inputs)
    if inputs.spec.has_torch_module:
        module = inputs.spec.build_module(dtype=inputs.dtype, device=inputs.device)
        args = (leaves.input,) if leaves.hx is None else (leaves.input, leaves.hx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = functional_call(module, leaves.params, args)
    else:  # a registered cell: its reference in the same dtype stands in for torch.nn (see `celltypes`)
        result = reference_forward(leaves.input, leaves.hx, leaves.params, leaves.spec)
    torch_grads = _grads(weighted_loss(named_tensors(result, inputs.spec), weights), named_input_tensors(leaves))

    def reference(nudge_eps: float) -> dict:
        exact = as_leaves(inputs.to(dtype=torch.float64, device="cpu"))
        used = nudged_by_rounding(exact, nudge_eps, seed=inputs.recipe.seed + 2) if nudge_eps else exact
        output = reference_forward(used.input, used.hx, used.params, used.spec)
        return _grads(weighted_loss(named_tensors(output, inputs.spec), weights), named_input_tensors(exact))

    return GradientOracles(torch_grads, reference(0.0), reference(torch.finfo(inputs.dtype).eps))


def candidate_gradients(binding, raw_named: dict, given: RNNInputs, weights: dict) -> dict:
    """The candidate's gradients, or `Unsupported` if its result is not differentiable."""
    if not any(t.requires_grad for t in raw_named.values()):
        raise Unsupported("the implementation returns tensors with no grad_fn: it is not differentiable")
    wrt = named_input_tensors(given)
    if binding.convention == "module":
        module = binding.last_module
        wrt = {k: v for k, v in wrt.items() if not k.startswith("`")}
        wrt.update({f"`{name}`": p for name, p in module.named_parameters()})
    return _grads(weighted_loss(raw_named, weights), wrt)


def has_custom_backward(tensors) -> bool:
    """True if a custom ``autograd.Function`` appears in the graph behind `tensors`."""
    seen, stack = set(), [t.grad_fn for t in tensors if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node, torch.autograd.function.BackwardCFunction):
            return True
        stack.extend(next_node for next_node, _ in node.next_functions)
    return False


def gradcheck_candidate(binding, inputs: RNNInputs) -> None:
    """``torch.autograd.gradcheck`` of the candidate in float64, w.r.t. the input and states."""
    small = inputs.to(dtype=torch.float64, device=inputs.device)
    total = sum(t.numel() for t in named_input_tensors(small).values())
    if total > GRADCHECK_MAX_ELEMENTS or isinstance(small.input, PackedSequence):
        return
    names = [name for name in named_input_tensors(small) if not name.startswith("`")]
    leaves = as_leaves(small)

    def run(*tensors):
        given = dict(zip(names, tensors))
        call_inputs = leaves.to_fn(lambda t: t)
        call_inputs.input = given["the input"]
        if isinstance(leaves.hx, tuple):
            call_inputs.hx = (given["hx (h0)"], given["hx (c0)"])
        elif leaves.hx is not None:
            call_inputs.hx = given["hx (h0)"]
        result = binding.call(call_inputs)
        return tuple(named_tensors(result, small.spec).values())

    torch.autograd.gradcheck(run, tuple(named_input_tensors(leaves)[n] for n in names), eps=1e-6, atol=1e-5)
