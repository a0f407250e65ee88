"""Reading results: from torch.nn's nested tuples to named tensors, and judging the candidate's form.

Everything downstream compares dicts ``{"output": ..., "h_n": ..., "c_n": ...}``. For torch.nn and
the reference that is a plain unpacking. For the candidate it is where bad results are caught with
a one-line explanation (a numpy array, a list, a missing c_n, the wrong dtype or device) and where
the conventions of per-layer functions are honoured: a state without the layer dimension, or one
tensor per direction, is that function's convention, not a mismatch. For every other convention a
tensor right in value but off in a squeezable dimension is set aside as a *shape* mismatch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from .outcomes import CandidateError, ConformanceFailure


def output_tensor(output: Any) -> Tensor:
    """A packed output as a padded (time, batch, ...) tensor in the caller's batch order."""
    if isinstance(output, PackedSequence):
        from .reference.packed import unpack

        return unpack(output)[0]
    return output


def named_tensors(result: Any, spec) -> dict:
    """``(output, h_n)`` or ``(output, (h_n, c_n))`` as a dict of named tensors."""
    output, hidden = result
    named = {"output": output_tensor(output)}
    if spec.num_states == 2:
        named["h_n"], named["c_n"] = hidden
    else:
        named["h_n"] = hidden
    return named


def expected_shapes(inputs) -> dict:
    spec, recipe = inputs.spec, inputs.recipe
    batch = len(recipe.lengths) if recipe.lengths is not None else recipe.batch
    if recipe.lengths is not None:
        output = (recipe.time, batch, spec.num_directions * spec.output_hidden_size)
    else:
        output = spec.output_shape(recipe.time, batch)
    shapes = {"output": output, "h_n": spec.state_shapes(batch)[0]}
    if spec.num_states == 2:
        shapes["c_n"] = spec.state_shapes(batch)[1]
    return shapes


@dataclass
class CandidateResult:
    tensors: dict
    shape_mismatches: dict = field(default_factory=dict)  # name -> (got shape, expected shape)


def _describe(value: Any) -> str:
    from .wire import Foreign

    if isinstance(value, Foreign):
        return value.description
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__module__.split('.')[0] + '.' if type(value).__module__ != 'builtins' else ''}{type(value).__name__}"


def interpret_candidate(raw: Any, inputs, per_layer: bool, keep_graph: bool = False) -> CandidateResult:
    """Check the form of a candidate's result and name its tensors; raise `CandidateError` if unusable.

    The tensors come back detached, unless `keep_graph` (the ``backward`` feature differentiates them).
    """
    spec = inputs.spec
    expected = expected_shapes(inputs)
    hidden_form = "(h_n, c_n)" if spec.num_states == 2 else "h_n"
    wanted = f"(output, {hidden_form})"
    if not isinstance(raw, (tuple, list)):
        raise CandidateError(f"returned {_describe(raw)}; expected a tuple {wanted}")
    parts = list(raw)
    if spec.num_states == 2 and len(parts) == 3:  # (output, h_n, c_n): unambiguous, accepted
        parts = [parts[0], (parts[1], parts[2])]
    if len(parts) != 2:
        raise CandidateError(f"returned {_describe(raw)}; expected a tuple {wanted}")
    output, hidden = parts
    if spec.num_states == 2:
        if not isinstance(hidden, (tuple, list)) or len(hidden) != 2:
            raise CandidateError(f"returned {_describe(hidden)} as the state; expected (h_n, c_n)")
        if per_layer and spec.num_directions == 2 and all(isinstance(h, (tuple, list)) for h in hidden):
            hidden = (_stack_directions([h[0] for h in hidden]), _stack_directions([h[1] for h in hidden]))
        tensors = {"output": output, "h_n": hidden[0], "c_n": hidden[1]}
    else:
        if per_layer and spec.num_directions == 2 and isinstance(hidden, (tuple, list)) and len(hidden) == 2:
            hidden = _stack_directions(list(hidden))
        tensors = {"output": output, "h_n": hidden}
    if isinstance(tensors["output"], PackedSequence):
        tensors["output"] = output_tensor(tensors["output"])
    result = CandidateResult({})
    for name, value in tensors.items():
        value = _check_tensor(name, value, inputs)
        value = value if keep_graph else value.detach()
        shape = tuple(expected[name])
        if tuple(value.shape) != shape:
            if per_layer and name != "output" and tuple(value.shape) == shape[1:] and shape[0] == 1:
                value = value.unsqueeze(0)  # a per-layer function's state without the layer dimension
            elif value.numel() == _numel(shape) and _squeezed(value.shape) == _squeezed(shape):
                result.shape_mismatches[name] = (tuple(value.shape), shape)
                value = value.reshape(shape)
            else:
                batch_first_state = name != "output" and len(shape) == 3 and tuple(value.shape) == (shape[1], shape[0], shape[2])
                raise ConformanceFailure(
                    f"returned {name} of shape {tuple(value.shape)}; torch.nn's is {shape}"
                    f" ({_shape_meaning(name, spec, inputs)})"
                    + ("\n  likely cause [hn_batch_first]: the state is laid out batch-first; torch.nn's states are "
                       "(layers * directions, batch, hidden) even with batch_first=True" if batch_first_state else ""),
                    diagnosis=["hn_batch_first"] if batch_first_state else [],
                    details={"tensor": name, "got_shape": list(value.shape), "expected_shape": list(shape)},
                )
        result.tensors[name] = value
    return result


def _check_tensor(name: str, value: Any, inputs) -> Tensor:
    if value is None:
        raise CandidateError(f"returned None for {name}; expected a torch.Tensor")
    if type(value) is not torch.Tensor and not isinstance(value, torch.nn.Parameter):
        if isinstance(value, torch.Tensor):
            raise CandidateError(f"returned a {type(value).__name__} (a Tensor subclass) for {name}; expected a plain torch.Tensor")
        raise CandidateError(f"returned {_describe(value)} for {name}; expected a torch.Tensor")
    if value.dtype != inputs.dtype:
        raise CandidateError(f"returned {name} as {value.dtype}; the inputs were {inputs.dtype}")
    if value.device != inputs.device:
        raise CandidateError(f"returned {name} on {value.device}; the inputs were on {inputs.device}")
    return value


def _stack_directions(per_direction: list) -> Any:
    if all(isinstance(t, Tensor) for t in per_direction):
        shapes = {tuple(t.shape) for t in per_direction}
        if len(shapes) == 1:
            return torch.stack(per_direction)
    return per_direction


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _squeezed(shape) -> tuple:
    return tuple(s for s in shape if s != 1)


def _shape_meaning(name: str, spec, inputs) -> str:
    if name == "output":
        layout = "batch, time" if spec.batch_first else "time, batch"
        return f"{layout}, directions * hidden"
    return "layers * directions, batch, hidden" + ("" if name == "c_n" or not spec.proj_size else " (proj_size for h_n)")
