"""Reading what an implementation returned: first plain data, then named tensors.

Two steps, so that nothing the implementation made is ever handled by the judge:

1. `plain` (where the call ran: in this process, or in the isolated worker) turns the return value
   into plain data: dense, contiguous ``torch.Tensor``s on a real device (a tensor subclass is seen
   as a plain tensor, so its overrides take no part in judging; numpy arrays become tensors), nested
   tuples and lists, ``None``, and a `Foreign` description of anything else (a meta tensor, an
   object). Only this crosses the wire.
2. `read` (where the judge is) names the tensors: ``{"output", "h_n", "c_n"}`` (or a cell's
   ``{"h_1", "c_1"}``), as torch.nn returns them or as ``--rnn-returns`` declares them. A per-layer
   function's state without the layer dimension, or one tensor per direction, is its convention,
   not a mismatch; for every other convention a tensor right in size but off in a size-1 dimension
   is kept, reshaped, and recorded as a *shape* mismatch for the ``shape`` row. Anything unusable is
   `Unreadable`, with one line saying what came back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence


class Unreadable(Exception):
    """The result cannot be read as the expected tensors; the message is one line."""


@dataclass(frozen=True)
class Foreign:
    """Something returned that is not a plain tensor, tuple, list or None, described."""

    description: str

    def __repr__(self) -> str:
        return self.description


@dataclass
class Plain:
    """A return value as plain data, and what converting it found."""

    value: Any
    arrays: bool = False  # numpy arrays were returned
    subclass: str = ""  # a tensor subclass was returned (seen as a plain tensor)


def plain(raw: Any, keep_graph: bool = False) -> Plain:
    """Plain data for whatever the implementation returned (see the module docstring)."""
    found = Plain(None)
    found.value = _plain(raw, keep_graph, found)
    return found


def _plain(value: Any, keep_graph: bool, found: Plain) -> Any:
    if isinstance(value, PackedSequence):
        return PackedSequence(_plain(value.data, keep_graph, found), value.batch_sizes, value.sorted_indices,
                              value.unsorted_indices)
    if isinstance(value, Tensor):
        return _plain_tensor(value, keep_graph, found)
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v, keep_graph, found) for v in value) if type(value) in (tuple, list) \
            else tuple(_plain(v, keep_graph, found) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ == "ndarray":
        found.arrays = True
        if value.dtype.kind not in "fiub":
            return Foreign(f"a numpy array of {value.dtype}")
        import numpy

        return torch.from_numpy(numpy.ascontiguousarray(value))
    module = type(value).__module__.split(".")[0]
    return Foreign(_a(f"{'' if module == 'builtins' else module + '.'}{type(value).__name__}"))


def _a(name: str) -> str:
    """'an int', 'a float': the type named as a sentence names it."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _plain_tensor(value: Tensor, keep_graph: bool, found: Plain) -> Any:
    if type(value) is not Tensor and not isinstance(value, torch.nn.Parameter):
        found.subclass = type(value).__name__
        with torch._C.DisableTorchFunctionSubclass():
            value = value.as_subclass(Tensor)
    if value.device.type == "meta":
        return Foreign("a meta tensor (it has a shape but no values)")
    if value.layout != torch.strided:
        return Foreign(f"a tensor with layout {value.layout} (expected a dense tensor)")
    if not keep_graph:
        value = value.detach()
    return value.contiguous() if not value.is_contiguous() or 0 in value.stride() else value


@dataclass
class Result:
    """The named tensors of one call, and what reading them found."""

    tensors: dict  # name -> tensor, in torch.nn's shape where only size-1 dimensions differed
    shape_mismatches: dict = field(default_factory=dict)  # name -> (got, want): size-1 dimensions only
    misshapen: dict = field(default_factory=dict)  # name -> (got, want): not the same numbers at all
    dtypes: dict = field(default_factory=dict)  # name -> the dtype returned
    arrays: bool = False
    subclass: str = ""

    @property
    def differentiable(self) -> bool:
        return any(t.requires_grad for t in self.tensors.values())


def expected_shapes(inputs) -> dict:
    """torch.nn's shape of every result of `inputs` (by result name)."""
    spec, recipe = inputs.spec, inputs.recipe
    batch = len(recipe.lengths) if recipe.lengths is not None else recipe.batch
    states = spec.state_shapes(batch)
    if spec.single_step:
        return dict(zip(spec.result_names, states))
    if recipe.lengths is not None:
        output = (recipe.time, batch, spec.num_directions * spec.output_hidden_size)
    else:
        output = spec.output_shape(recipe.time, batch)
    return dict(zip(spec.result_names, (output,) + states))


def named(result: Any, spec) -> dict:
    """torch.nn's or the reference's result, ``(output, h_n)`` / ``(output, (h_n, c_n))`` / a cell's
    ``h_1`` / ``(h_1, c_1)``, as a dict of named tensors (a packed output as padded)."""
    if spec.single_step:
        states = result if spec.num_states == 2 else (result,)
        return dict(zip(spec.result_names, states))
    output, hidden = result
    if isinstance(output, PackedSequence):
        from ..reference.packed import unpack

        output = unpack(output)[0]
    states = tuple(hidden) if spec.num_states == 2 else (hidden,)
    return dict(zip(spec.result_names, (output,) + states))


def describe(value: Any) -> str:
    """'a tensor of shape (3, 4)', 'a tuple of 3', 'None', 'a numpy.float64'..."""
    if isinstance(value, Foreign):
        return value.description
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    if value is None:
        return "None"
    return _a(type(value).__name__)


def read(value: Any, inputs, *, per_layer: bool, returns=None, found: Optional[Plain] = None) -> Result:
    """Name the tensors of a plain result (see the module docstring); `Unreadable` if it cannot be."""
    spec = inputs.spec
    tensors = _by_declaration(value, returns, spec) if returns is not None else _as_torch_returns(value, spec, per_layer)
    result = Result({}, arrays=bool(found and found.arrays), subclass=found.subclass if found else "")
    shapes = expected_shapes(inputs)
    for name, tensor in tensors.items():
        if isinstance(tensor, PackedSequence):
            from ..reference.packed import unpack

            tensor = unpack(tensor)[0]
        if name == "output_steps" and all(isinstance(step, Tensor) for step in tensor) and len(tensor):
            tensor = torch.stack(list(tensor))
        if not isinstance(tensor, Tensor):
            raise Unreadable(f"returned {describe(tensor)} for {name}; expected a tensor")
        if name in ("output_cat", "output_steps"):
            name, tensor = "output", _as_sequence(name, tensor, inputs)
        if tensor.device != inputs.device and not result.arrays:
            raise Unreadable(f"returned {name} on {tensor.device}; the inputs were on {inputs.device}")
        if result.arrays:
            tensor = tensor.to(inputs.device)
        result.dtypes[name] = tensor.dtype
        want = tuple(shapes[name])
        got = tuple(tensor.shape)
        if got != want:
            if per_layer and name != "output" and got == want[1:] and want[:1] == (1,):
                tensor = tensor.unsqueeze(0)  # a per-layer function's state without the layer dimension
            elif tensor.numel() == _numel(want) and _squeezed(got) == _squeezed(want):
                result.shape_mismatches[name] = (got, want)
                tensor = tensor.reshape(want)
            else:
                result.misshapen[name] = (got, want)
        result.tensors[name] = tensor
    return result


def _as_torch_returns(value: Any, spec, per_layer: bool) -> dict:
    names = spec.result_names
    if spec.single_step:
        if spec.num_states == 1:
            if isinstance(value, (tuple, list)) and len(value) == 1:
                value = value[0]
            return {names[0]: value}
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise Unreadable(f"returned {describe(value)}; expected a tuple (h_1, c_1)")
        return dict(zip(names, value))
    hidden_form = "(h_n, c_n)" if spec.num_states == 2 else "h_n"
    wanted = f"a tuple (output, {hidden_form})"
    if not isinstance(value, (tuple, list)):
        raise Unreadable(f"returned {describe(value)}; expected {wanted} (declare another form with --rnn-returns, "
                         "e.g. --rnn-returns output or --rnn-returns h_n)")
    parts = list(value)
    if spec.num_states == 2 and len(parts) == 3:  # (output, h_n, c_n): unambiguous, accepted
        parts = [parts[0], (parts[1], parts[2])]
    if len(parts) != 2:
        raise Unreadable(f"returned {describe(value)}; expected {wanted}")
    output, hidden = parts
    if spec.num_states == 2:
        if not isinstance(hidden, (tuple, list)) or len(hidden) != 2:
            raise Unreadable(f"returned {describe(hidden)} as the state; expected (h_n, c_n) (a cache or another "
                             "value? declare it: --rnn-returns \"output,_\")")
        if per_layer and spec.num_directions == 2 and all(isinstance(h, (tuple, list)) for h in hidden):
            hidden = (_stack_directions([h[0] for h in hidden]), _stack_directions([h[1] for h in hidden]))
        return {"output": output, "h_n": hidden[0], "c_n": hidden[1]}
    if per_layer and spec.num_directions == 2 and isinstance(hidden, (tuple, list)) and len(hidden) == 2:
        hidden = _stack_directions(list(hidden))
    if isinstance(hidden, (tuple, list)) and len(hidden) == 1:
        hidden = hidden[0]  # (h,): the state as a tuple of one, as d2l keeps it
    return {"output": output, "h_n": hidden}


def _by_declaration(value: Any, returns, spec) -> dict:
    """Walk `value` along the declared pattern, collecting the named leaves."""
    collected: dict = {}

    def walk(pattern, part, where: str) -> None:
        if pattern.is_leaf:
            if pattern.name != "_":
                collected[pattern.name] = part
            return
        if not isinstance(part, (tuple, list)) or len(part) != len(pattern.items):
            raise Unreadable(f"returned {describe(part)}{where}; --rnn-returns declares {pattern}")
        for index, (item, sub) in enumerate(zip(pattern.items, part)):
            walk(item, sub, f" at [{index}]{where}")

    walk(returns, value, "")
    if isinstance(collected.get("output"), (tuple, list)):
        collected["output_steps"] = collected.pop("output")  # one tensor per time step
    return collected


def _as_sequence(kind: str, value: Any, inputs) -> Tensor:
    """Per-step outputs joined along time (``output_cat``: (time * batch, H)) as torch.nn's output."""
    spec, recipe = inputs.spec, inputs.recipe
    batch = recipe.batch if recipe.batch is not None else 1
    if kind == "output_cat":
        if value.dim() != 2 or value.shape[0] != recipe.time * batch:
            raise Unreadable(f"returned output of shape {tuple(value.shape)}; --rnn-returns output_cat means "
                             f"({recipe.time} * {batch}, features), the time steps joined")
        value = value.reshape(recipe.time, batch, -1)
    if recipe.batch is None:
        return value.reshape(recipe.time, -1)
    return value.transpose(0, 1) if spec.batch_first else value


def _stack_directions(per_direction: list) -> Any:
    if all(isinstance(t, Tensor) for t in per_direction) and len({tuple(t.shape) for t in per_direction}) == 1:
        return torch.stack(per_direction)
    return per_direction


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _squeezed(shape) -> tuple:
    return tuple(s for s in shape if s != 1)
