"""Proving a generated implementation's label against torch.nn, without the plugin.

`prove(written, target)` loads the file, feeds it torch.nn's weights through the generator's own
knowledge of what each name holds (`slots.value`), calls it the way its design says, and compares
what it returns with ``torch.nn.RNN``/``LSTM``/``GRU`` (or their cells) on the same tensors. A correct
design must match in every configuration it takes (its own layout, the other one where it has a
``batch_first`` flag, unbatched input, the state omitted, float32, saturated pre-activations); a mistaken one must show its
mistake exactly where its owning row looks (the base configuration for ``forward``, batch-first for
``layout``, the shape alone for ``shape``, the dtype alone for ``dtype``, float64 alone for
``float64``, saturated pre-activations alone for ``edge_cases``). A label that does not hold raises
`Unproven`: the case is the generator's bug, never counted.
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from .mistakes import owner_of
from .slots import value
from .writer import Written

SIZES = {"input": 3, "hidden": 5, "time": 4, "batch": 2}
TORCH_CLASSES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
CELL_CLASSES = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}


class Unproven(AssertionError):
    """The generated implementation does not behave as its label says."""


@dataclass
class Observation:
    """What the implementation returned and what torch.nn returns, by name (``output``, ``h_n``...)."""

    got: dict
    expected: dict

    def close(self, atol: float) -> bool:
        return all(got.shape == self.expected[name].shape and
                   torch.allclose(got.double(), self.expected[name].double(), atol=atol, rtol=0)
                   for name, got in self.got.items())

    def close_in_some_shape(self, atol: float) -> bool:
        """Right numbers, whatever their shape (h_n laid out batch-first holds the right ones)."""
        def same(got, expected):
            if got.numel() != expected.numel():
                return False
            for candidate in (got.reshape(expected.shape), got.transpose(0, 1).reshape(expected.shape)
                              if got.dim() >= 2 else got.reshape(expected.shape)):
                if torch.allclose(candidate.double(), expected.double(), atol=atol, rtol=0):
                    return True
            return False
        return all(same(got, self.expected[name]) for name, got in self.got.items())

    def shapes_equal(self) -> bool:
        return all(got.shape == self.expected[name].shape for name, got in self.got.items())

    def dtypes(self) -> set:
        return {got.dtype for got in self.got.values()}

    def finite(self) -> bool:
        return all(bool(torch.isfinite(got).all()) for got in self.got.values())


def load(target: str):
    """The object ``path.py:name`` (``Class.method`` gives the class), from a module of its own."""
    path, name = target.rsplit(":", 1)
    module_name = f"generated_{Path(path).stem}_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return getattr(module, name.split(".")[0])


def observe(written: Written, loaded, *, batch_first: bool, dtype=torch.float64, batched: bool = True,
            state_given: bool = True, scale: float = 1.0, seed: int = 0) -> Observation:
    """Run the implementation and torch.nn on the same drawn tensors."""
    design = written.design
    cell = design.entry == "cell"
    generator = torch.Generator().manual_seed(seed)
    reference = (CELL_CLASSES if cell else TORCH_CLASSES)[design.mode](
        SIZES["input"], SIZES["hidden"], bias=design.bias != "none",
        **({} if cell else {"batch_first": batch_first})).to(dtype)
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=dtype) * 0.5 * scale)
    shape = (SIZES["batch"],) if cell else ((SIZES["batch"], SIZES["time"]) if batch_first else (SIZES["time"], SIZES["batch"]))
    if not batched:
        shape = () if cell else (SIZES["time"],)
    x = torch.randn(*shape, SIZES["input"], generator=generator, dtype=dtype) * scale
    state_shape = ((SIZES["batch"],) if batched else ()) + (SIZES["hidden"],)
    layered = (1,) + state_shape
    h0 = torch.randn(*(state_shape if cell else layered), generator=generator, dtype=dtype)
    c0 = torch.randn(*(state_shape if cell else layered), generator=generator, dtype=dtype)
    if design.mode == "lstm" and design.lstm_state == "h_only":
        c0 = torch.zeros_like(c0)
    expected = _expected(design, reference, x, h0, c0, state_given, batch_first)
    suffix = "" if cell else "_l0"
    tensors = {"input": x, "h0": h0 if (cell or design.layer_dim) else h0[0],
               "c0": c0 if (cell or design.layer_dim) else c0[0], "hidden_size": SIZES["hidden"],
               "input_size": SIZES["input"]}
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        if getattr(reference, name + suffix, None) is not None:
            tensors[name] = getattr(reference, name + suffix).detach().clone()
    with np.errstate(all="ignore"):  # a hand-written activation may overflow: that is what edge_cases sees
        got = _call(written, loaded, tensors, batch_first, state_given)
    return Observation(_named(written, got, batch_first), expected)


def _expected(design, reference, x, h0, c0, state_given: bool, batch_first: bool) -> dict:
    with torch.no_grad():
        if design.entry == "cell":
            result = reference(x, (h0, c0) if design.mode == "lstm" else h0)
            return {"h_1": result[0], "c_1": result[1]} if design.mode == "lstm" else {"h_1": result}
        state = ((h0, c0) if design.mode == "lstm" else h0) if state_given else None
        output, final = reference(x, state)
    h_n, c_n = final if design.mode == "lstm" else (final, None)
    if not design.layer_dim:
        h_n, c_n = h_n[0], (c_n[0] if c_n is not None else None)
    found = {"output": output, "h_n": h_n}
    if c_n is not None:
        found["c_n"] = c_n
    return found


def _plain(value_, numpy: bool):
    if isinstance(value_, (list, tuple)):
        return type(value_)(_plain(item, numpy) for item in value_)
    if isinstance(value_, torch.Tensor):
        return value_.numpy() if numpy else value_
    return value_


def _call(written: Written, loaded, tensors: dict, batch_first: bool, state_given: bool):
    design, numpy = written.design, written.design.backend == "numpy"
    mode = design.mode

    def given(slots) -> dict:
        found = {}
        for name, slot in slots:
            if not state_given and getattr(slot, "name", "") in ("hx", "h0", "c0"):
                continue
            found[name] = _plain(value(slot, mode, tensors), numpy)
        return found

    arguments = given(written.parameters)
    if design.layout == "param" and design.entry != "module":
        arguments["batch_first"] = batch_first
    if design.entry in ("function", "cell"):
        return loaded(**arguments)
    if design.entry == "module":
        sizes = given(written.constructor)
        module = loaded(**sizes, **({"batch_first": batch_first} if design.layout == "param" else {}))
        with torch.no_grad():
            for path, slot in written.module_weights:
                parameter = module.get_parameter(path)
                parameter.data = value(slot, mode, tensors).clone().to(tensors["input"].dtype)
        return getattr(module, design.names["method"])(**arguments)
    instance = loaded(**given(written.constructor))
    return getattr(instance, design.names["method"])(**arguments)


def _tensor(value_) -> torch.Tensor:
    return torch.from_numpy(np.asarray(value_)) if not isinstance(value_, torch.Tensor) else value_.detach()


def _named(written: Written, result, batch_first: bool) -> dict:
    """The returned tensors by name, as the design returns them."""
    design = written.design
    lstm = design.mode == "lstm"
    if design.entry == "cell":
        return {"h_1": _tensor(result[0]), "c_1": _tensor(result[1])} if lstm else {"h_1": _tensor(result)}
    states = {}
    if design.returns in ("torch", "steps"):
        final = result[1]
        states = {"h_n": _tensor(final[0]), "c_n": _tensor(final[1])} if lstm else {"h_n": _tensor(final)}
    if design.returns == "h_n":
        states = {"h_n": _tensor(result[0]), "c_n": _tensor(result[1])} if lstm else {"h_n": _tensor(result)}
    if design.returns in ("torch", "cache"):
        return {"output": _tensor(result[0]), **states}
    if design.returns == "output":
        return {"output": _tensor(result)}
    if design.returns == "steps":
        steps = torch.stack([_tensor(step) for step in result[0]])
        if batch_first and steps.dim() == 3:
            steps = steps.transpose(0, 1)
        return {"output": steps, **states}
    return states


def prove(written: Written, target: str) -> None:
    """Raise `Unproven` unless `written` is right where its design says, and wrong where its mistake is."""
    design = written.design
    loaded = load(target)
    own_layout = design.layout == "batch"
    base = observe(written, loaded, batch_first=own_layout)
    owner = owner_of(design)
    if not design.mistake:
        _require(base.close(1e-8) and base.dtypes() == {torch.float64}, "the correct design differs on its base", base)
        for name, other in _variants(written, loaded, own_layout).items():
            _require(other.close({"float32": 1e-4, "saturated": 1e-6}.get(name, 1e-8)),
                     f"the correct design differs {name}", other)
        return
    if owner == "forward":
        _require(not base.close(1e-6), "the mistake does not show on the base configuration", base)
        return
    if owner == "layout":
        _require(base.close(1e-8), "a layout mistake shows seq-first already", base)
        other = observe(written, loaded, batch_first=True)
        _require(not other.close(1e-6), "the layout mistake does not show batch-first", other)
    elif owner == "shape":
        _require(not base.shapes_equal() and base.close_in_some_shape(1e-8), "not a shape-only mistake", base)
    elif owner == "dtype":
        _require(base.close_in_some_shape(1e-5) and base.dtypes() != {torch.float64}, "not a dtype-only mistake", base)
    elif owner == "float64":
        low = observe(written, loaded, batch_first=own_layout, dtype=torch.float32)
        _require(low.close(1e-5) and base.close(1e-4) and not base.close(1e-12),
                 "not a float64-only difference", base)
    elif owner == "edge_cases":
        saturated = observe(written, loaded, batch_first=own_layout, scale=40.0)
        _require(base.close(1e-8) and not saturated.finite() and all(
            bool(torch.isfinite(t).all()) for t in saturated.expected.values()), "not an edge-only mistake", saturated)
    else:
        raise Unproven(f"no proof written for the row {owner}")


def _variants(written: Written, loaded, own_layout: bool) -> dict:
    """The other configurations a correct design takes, observed."""
    design = written.design
    found = {"float32": observe(written, loaded, batch_first=own_layout, dtype=torch.float32, seed=1),
             "saturated": observe(written, loaded, batch_first=own_layout, scale=40.0, seed=5)}
    if design.layout == "param" and design.refusal != "batch_first":
        found["batch-first"] = observe(written, loaded, batch_first=True, seed=2)
    if design.refusal != "unbatched":
        found["unbatched"] = observe(written, loaded, batch_first=own_layout, batched=False, seed=3)
    if design.state_default:
        found["with the state omitted"] = observe(written, loaded, batch_first=own_layout, state_given=False, seed=4)
    return found


def _require(condition: bool, message: str, observation: Optional[Observation]) -> None:
    if not condition:
        detail = {name: (tuple(got.shape), tuple(observation.expected[name].shape), got.dtype)
                  for name, got in observation.got.items()} if observation else {}
        raise Unproven(f"{message}: {detail}")
