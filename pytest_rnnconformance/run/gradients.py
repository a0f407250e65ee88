"""The implementation's gradients, taken where it ran (in this process or in the isolated worker).

The loss is ``sum(weight * result)`` over every result (output, h_n, c_n) with random upstream
weights chosen by the ``backward`` row: with a plain sum, a gradient that swaps two hidden units, or
two time steps, would add up the same. When the upstream weights also hold a direction per gradient
(``"grad <input name>"``, the ``double_backward`` row's), the second derivatives are taken too: the
gradient of ``sum(direction * gradient)``, a Hessian-vector product (``"grad² <input name>"``).
Gradients are taken with respect to every tensor the implementation was given: the input, h0, c0
and every weight, as leaves. A module's weights reach
it through ``torch.func.functional_call``, so its gradients arrive at the same leaves; only a
module loaded by its own ``from_torch`` keeps them in parameters of its own, which are not compared.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch.autograd.gradcheck import GradcheckError  # the module's class: torch.autograd.gradcheck is the function

from ..bind.binding import Unsupported
from .given import named_input_tensors


def weighted_loss(tensors: dict, upstream: dict) -> torch.Tensor:
    return sum((t * upstream[name].reshape(t.shape).to(t.dtype).to(t.device)).sum() for name, t in tensors.items())


GRADCHECK_MAX_ELEMENTS = 400
FIRST, SECOND = "grad ", "grad² "  # how a first and a second derivative are named
NOT_TWICE_DIFFERENTIABLE = "its backward is not itself differentiable"


def derivatives(loss: torch.Tensor, wrt: dict, directions: Optional[dict] = None) -> dict:
    """``{"grad <name>": d loss / d wrt[name]}``; with `directions` (a weight per first derivative,
    keyed like it), also ``{"grad² <name>": d sum(direction * first derivatives) / d wrt[name]}``.

    Raises `Unsupported` when the first derivatives are not themselves differentiable (a custom
    backward computed without autograd, or marked ``@once_differentiable``).
    """
    names = list(wrt)
    leaves = [wrt[n] for n in names]
    firsts = torch.autograd.grad(loss, leaves, allow_unused=True, create_graph=directions is not None)
    found = {f"{FIRST}{n}": (g if g is not None else torch.zeros_like(wrt[n])).detach() for n, g in zip(names, firsts)}
    if directions is None:
        return found
    connected = [(n, g) for n, g in zip(names, firsts) if g is not None]
    detached = [n for n, g in connected if not g.requires_grad]  # every one depends on the inputs through tanh or σ
    if detached:
        raise Unsupported(f"{NOT_TWICE_DIFFERENTIABLE}: the gradient of {', '.join(detached)} it computes carries "
                          "no grad_fn")
    total = sum((g * directions[f"{FIRST}{n}"].reshape(g.shape).to(g)).sum() for n, g in connected
                if f"{FIRST}{n}" in directions)  # none along a gradient the signature cannot have (c0's)
    try:
        seconds = torch.autograd.grad(total, leaves, allow_unused=True)
    except RuntimeError as error:
        if "once_differentiable" not in str(error) and "double backward" not in str(error):
            raise  # @once_differentiable, or torch.compile's aot_autograd: a refusal; anything else is a crash
        raise Unsupported(f"{NOT_TWICE_DIFFERENTIABLE}: {str(error).splitlines()[0]}") from None
    found.update({f"{SECOND}{n}": (g if g is not None else torch.zeros_like(wrt[n])).detach()
                  for n, g in zip(names, seconds)})
    return found


def gradients_of(result, given, upstream: dict, binding, call=None) -> dict:
    """``{"grad <input name>": gradient}``; empty if the result carries no autograd graph at all.

    Where the graph holds a custom ``autograd.Function`` and the check is in float64 and small,
    ``torch.autograd.gradcheck`` of `call` (the implementation on a copy of the inputs) is run too:
    its verdict is under ``"gradcheck"`` (``"passed"`` or the reason it failed).
    """
    if result.arrays:
        raise Unsupported("it returns numpy arrays, which carry no gradients")
    if not result.differentiable:
        return {}
    wrt = named_input_tensors(given)
    if binding.from_torch:
        wrt = {name: t for name, t in wrt.items() if not name.startswith("`")}
    directions = {name: weight for name, weight in upstream.items() if name.startswith(FIRST)}
    found = derivatives(weighted_loss(result.tensors, upstream), wrt, directions or None)
    if call is not None and not directions and given.dtype == torch.float64 and has_custom_backward(result.tensors.values()):
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
