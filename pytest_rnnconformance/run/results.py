"""Reading what an implementation returned: first plain data, then named tensors.

Two steps, so that nothing the implementation made is ever handled by the judge:

1. `plain` (where the call ran: in this process, or in the isolated worker) turns the return value
   into plain data: dense, contiguous ``torch.Tensor``s on a real device (a tensor subclass is seen
   as a plain tensor, so its overrides take no part in judging; numpy arrays become tensors), nested
   tuples and lists, ``None``, and a `Foreign` description of anything else (a meta tensor, an
   object). Only this crosses the wire.
2. `read` (where the judge is) names the tensors: ``{"output", "h_n", "c_n"}`` (or a cell's
   ``{"h_1", "c_1"}``), as torch.nn returns them or as ``--rnn-returns`` declares them (an output
   returned as a list of steps is stacked, when it holds exactly one tensor per step). A per-layer
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

from ..bind.expressions import DoesNotFit, size_symbols, undo
from ..reference.packed import unpack

#: Deeper than this, a returned structure is described, not walked (a list that holds itself).
DEEPEST = 8

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
    found.value = _plain(raw, keep_graph, found, 0)
    return found


def _plain(value: Any, keep_graph: bool, found: Plain, depth: int) -> Any:
    if depth > DEEPEST:
        return Foreign(f"a structure nested deeper than {DEEPEST} levels")
    if isinstance(value, PackedSequence):
        data = _plain(value.data, keep_graph, found, depth + 1)
        if not isinstance(data, Tensor):
            return Foreign(f"a PackedSequence holding {describe(data)}")
        return PackedSequence(data, value.batch_sizes, value.sorted_indices, value.unsorted_indices)
    if isinstance(value, Tensor):
        return _plain_tensor(value, keep_graph, found)
    if isinstance(value, (tuple, list)):
        items = [_plain(v, keep_graph, found, depth + 1) for v in value]
        return items if type(value) is list else tuple(items)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ == "ndarray":
        found.arrays = True
        return _plain_array(value)
    module = type(value).__module__.split(".")[0]
    return Foreign(_a(f"{'' if module == 'builtins' else module + '.'}{type(value).__name__}"))


def _plain_array(value: Any) -> Any:
    """A numpy array as a tensor (in native byte order), or described when it holds no numbers."""
    if value.dtype.kind not in "fiub":
        return Foreign(f"a numpy array of {value.dtype}")
    return torch.from_numpy(value.astype(value.dtype.newbyteorder("="), order="C", copy=True))


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
    parts = _by_declaration(value, returns, spec) if returns is not None else _as_torch_returns(value, spec, per_layer)
    if not parts:
        raise Unreadable(f"--rnn-returns {returns} names no result to judge: name at least one of "
                         f"{', '.join(spec.result_names)}")
    result = Result({}, arrays=bool(found and found.arrays), subclass=found.subclass if found else "")
    shapes = expected_shapes(inputs)
    declared = declared_leaves(returns) if returns is not None else {}
    for name, part in parts.items():
        name, tensor = _tensor_of(name, part, inputs)
        if name not in shapes:
            raise Unreadable(f"--rnn-returns declares {name}, which {spec.mode} does not return (it returns "
                             f"{', '.join(spec.result_names)})")
        if name in declared:  # returned as a declared view of torch.nn's tensor: output.permute(2,1,0)
            try:
                tensor = undo(declared[name], tensor, tuple(shapes[name]), size_symbols(spec, inputs.recipe))
            except DoesNotFit as error:
                raise Unreadable(f"{name}: {error}") from None
        if tensor.is_complex():
            raise Unreadable(f"returned {name} as {str(tensor.dtype)[6:]}; expected real numbers")
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


def _tensor_of(name: str, part: Any, inputs) -> tuple:
    """(the result's name, one tensor) for what was found under `name`: a packed output unpacked,
    steps stacked, ``output_cat`` split back into steps."""
    if isinstance(part, PackedSequence):
        try:
            part = unpack(part)[0]
        except (RuntimeError, IndexError, ValueError) as error:
            raise Unreadable(f"returned {name} as a PackedSequence that cannot be unpacked ("
                             f"{_first_line(error)})") from None
    if name == "output_steps":
        return "output", _stacked_steps(part, inputs)
    if not isinstance(part, Tensor):
        raise Unreadable(f"returned {describe(part)} for {name}; expected a tensor")
    if name == "output_cat":
        return "output", _as_sequence(_split_steps(part, inputs), inputs)
    return name, part


def _stacked_steps(steps: Any, inputs) -> Tensor:
    """One tensor per time step, in time order, as torch.nn's output."""
    time = inputs.recipe.time
    if not isinstance(steps, (tuple, list)) or not steps or not all(isinstance(step, Tensor) for step in steps):
        raise Unreadable(f"returned {describe(steps)} for output; expected one tensor per time step")
    if len(steps) != time:
        raise Unreadable(f"returned {len(steps)} steps for output; the input has {time}")
    if len({tuple(step.shape) for step in steps}) != 1 or len({(step.dtype, step.device) for step in steps}) != 1:
        raise Unreadable("returned output steps of different shapes or dtypes: "
                         + ", ".join(str(tuple(step.shape)) for step in steps))
    return _as_sequence(torch.stack(list(steps)), inputs)


def _split_steps(value: Tensor, inputs) -> Tensor:
    """``output_cat``: the steps joined along the first dimension, (time * batch, features)."""
    recipe = inputs.recipe
    batch = recipe.batch if recipe.batch is not None else 1
    if value.dim() != 2 or value.shape[0] != recipe.time * batch:
        raise Unreadable(f"returned output of shape {tuple(value.shape)}; --rnn-returns output_cat means "
                         f"({recipe.time} * {batch}, features), the time steps joined")
    return value.reshape(recipe.time, batch, value.shape[1])


def _as_sequence(steps: Tensor, inputs) -> Tensor:
    """Steps stacked on a first (time) dimension, in torch.nn's layout for `inputs`."""
    if inputs.recipe.batch is None:
        return steps.reshape(steps.shape[0], steps[0].numel())
    if inputs.spec.batch_first and steps.dim() >= 2:
        return steps.transpose(0, 1)
    return steps


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
        if per_layer and spec.num_directions == 2 and all(_pair(h) for h in hidden):
            hidden = (_stack_directions([h[0] for h in hidden]), _stack_directions([h[1] for h in hidden]))
        return _steps_named({"output": output, "h_n": hidden[0], "c_n": hidden[1]})
    if per_layer and spec.num_directions == 2 and _pair(hidden):
        hidden = _stack_directions(list(hidden))
    if isinstance(hidden, (tuple, list)) and len(hidden) == 1:
        hidden = hidden[0]  # (h,): the state as a tuple of one, as d2l keeps it
    return _steps_named({"output": output, "h_n": hidden})


def _pair(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and len(value) == 2


def _by_declaration(value: Any, returns, spec) -> dict:
    """Walk `value` along the declared pattern, collecting the named leaves."""
    collected: dict = {}

    def walk(pattern, part, where: str) -> None:
        if pattern.is_leaf:
            if not pattern.ignored:
                collected["output_steps" if pattern.name == "output_list" else pattern.name] = part
            return
        if not isinstance(part, (tuple, list)) or len(part) != len(pattern.items):
            raise Unreadable(f"returned {describe(part)}{where}; --rnn-returns declares {pattern}")
        for index, (item, sub) in enumerate(zip(pattern.items, part)):
            walk(item, sub, f" at [{index}]{where}")

    walk(returns, value, "")
    return _steps_named(collected)


def _steps_named(parts: dict) -> dict:
    """An output returned as a list or tuple is one tensor per time step: named so, to be stacked."""
    if not isinstance(parts.get("output"), (tuple, list)) or isinstance(parts["output"], PackedSequence):
        return parts
    return {("output_steps" if name == "output" else name): part for name, part in parts.items()}


def declared_leaves(returns) -> dict:
    """{result name: its declared expression} for the leaves ``--rnn-returns`` writes as one."""
    if returns.is_leaf:
        return {returns.name: returns.declared} if returns.declared is not None else {}
    return {name: expr for item in returns.items for name, expr in declared_leaves(item).items()}


def _stack_directions(per_direction: list) -> Any:
    """One state per direction (a per-layer function run twice) stacked as torch.nn's layers * directions."""
    if all(isinstance(t, Tensor) for t in per_direction) and len({(t.shape, t.dtype, t.device)
                                                                  for t in per_direction}) == 1:
        return torch.stack(per_direction)
    return per_direction


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _squeezed(shape) -> tuple:
    return tuple(s for s in shape if s != 1)
