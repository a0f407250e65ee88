"""The implementation's gradients, taken where it ran (in this process or in the isolated worker).

The loss is ``sum(weight * result)`` over every result (output, h_n, c_n) with random upstream
weights chosen by the ``backward`` row: with a plain sum, a gradient that swaps two hidden units, or
two time steps, would add up the same. Gradients are taken with respect to every tensor the
implementation was given: the input, h0, c0 and every weight, as leaves. A module's weights reach
it through ``torch.func.functional_call``, so its gradients arrive at the same leaves; only a
module loaded by its own ``from_torch`` keeps them in parameters of its own, which are not compared.
"""
from __future__ import annotations

import torch
from torch.autograd.gradcheck import GradcheckError  # the module's class: torch.autograd.gradcheck is the function

from ..bind.binding import Unsupported


def weighted_loss(tensors: dict, upstream: dict) -> torch.Tensor:
    return sum((t * upstream[name].reshape(t.shape).to(t.dtype).to(t.device)).sum() for name, t in tensors.items())


GRADCHECK_MAX_ELEMENTS = 400


def gradients_of(result, given, upstream: dict, binding, call=None) -> dict:
    """``{"grad <input name>": gradient}``; empty if the result carries no autograd graph at all.

    Where the graph holds a custom ``autograd.Function`` and the check is in float64 and small,
    ``torch.autograd.gradcheck`` of `call` (the implementation on a copy of the inputs) is run too:
    its verdict is under ``"gradcheck"`` (``"passed"`` or the reason it failed).
    """
    from .in_process import named_input_tensors

    if result.arrays:
        raise Unsupported("it returns numpy arrays, which carry no gradients")
    if not result.differentiable:
        return {}
    wrt = named_input_tensors(given)
    if binding.from_torch:
        wrt = {name: t for name, t in wrt.items() if not name.startswith("`")}
    names = list(wrt)
    grads = torch.autograd.grad(weighted_loss(result.tensors, upstream), [wrt[n] for n in names], allow_unused=True)
    found = {f"grad {n}": (g if g is not None else torch.zeros_like(wrt[n])).detach() for n, g in zip(names, grads)}
    if call is not None and given.dtype == torch.float64 and has_custom_backward(result.tensors.values()):
        found["gradcheck"] = _gradcheck(call, given)
    return found


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


def _gradcheck(call, given) -> str:
    """``torch.autograd.gradcheck`` of the implementation w.r.t. its input and states."""
    from torch.nn.utils.rnn import PackedSequence

    from .in_process import named_input_tensors

    tensors = {n: t for n, t in named_input_tensors(given).items() if not n.startswith("`")}
    if sum(t.numel() for t in named_input_tensors(given).values()) > GRADCHECK_MAX_ELEMENTS or \
            isinstance(given.input, PackedSequence):
        return "skipped: too large"
    names = list(tensors)

    def run(*values):
        chosen = dict(zip(names, values))
        hx = given.hx
        if isinstance(hx, tuple):
            hx = (chosen["hx (h0)"], chosen["hx (c0)"])
        elif hx is not None:
            hx = chosen["hx (h0)"]
        return tuple(call(given.replace_tensors(input=chosen["the input"], hx=hx)).values())

    try:
        torch.autograd.gradcheck(run, tuple(tensors[n].detach().requires_grad_(True) for n in names), eps=1e-6,
                                 atol=1e-5)
    except GradcheckError as error:
        return f"failed: {str(error).splitlines()[0]}"
    return "passed"
