"""Hypothesis strategies for RNN configurations and their inputs (public API).

    from hypothesis import given
    from pytest_rnnconformance.strategies import specs, inputs

    @given(data=st.data())
    def test_my_lstm(data):
        spec = data.draw(specs(modes=["lstm"], max_layers=2))
        case = data.draw(inputs(spec, dtype=torch.float32))
        ...

Every draw shrinks towards the smallest configuration: the first listed mode, one layer, one
direction, seq-first, size 1, one time step, batch one, scale one. Booleans that have a default in
torch.nn shrink to that default (``bias=True``), so a shrunk counterexample differs from the
default configuration only where it must.

``supported_by=`` draws only what one implementation takes: ``specs(supported_by=IMPL)``
and ``inputs(spec, supported_by=IMPL)`` read what the binder found it supports (its signature, the
probe, ``@implements``): a one-layer, one-direction, seq-first LSTM function gets exactly those
specs, and inputs with its state given (or omitted, where it has no state argument). Here it takes
anything with a binding's ``summary`` (an ``rnn_implementation(...)``, the ``rnn_impl`` fixture) or a
`Support`; the public ``pytest_rnnconformance.strategies`` also takes a target string or the
implementation itself, bound there (binding is a later stage than drawing).
`outside` says why a configuration lies outside a support (``rnn_check`` treats such a one as an
unmet assumption, not a failure).
"""
from __future__ import annotations

import functools
from typing import Optional, Sequence, Union

import torch
from hypothesis import strategies as st

from .inputs import InputRecipe, RNNInputs, make_inputs
from .. import modes as modes_registry
from ..modes import SEQUENCE_MODES as MODES
from ..spec import RNNSpec

#: Weight scales drawn by `inputs`: 1 is torch.nn's typical magnitude; 4 saturates sigmoid and tanh.
SCALES = (1.0, 0.25, 4.0)


@functools.lru_cache(maxsize=None)
def sampled(options: tuple) -> st.SearchStrategy:
    """`st.sampled_from(options)`, built once per tuple: hypothesis validates every new strategy
    object on its first draw, which in a suite of thousands of draws adds up."""
    return st.sampled_from(options)


def _flag(draw, allowed: Optional[bool], default: bool) -> bool:
    """Draw True/False (shrinking to `default`) if `allowed` is None; else `allowed`, drawing nothing:
    a fixed choice costs hypothesis a draw and gives it nothing to shrink."""
    if allowed is not None:
        return bool(allowed)
    return draw(sampled((default, not default)))


def support_of(supported_by, modes: Optional[Sequence[str]] = None) -> tuple:
    """(support, modes) of what `supported_by` names (see the module docstring)."""
    from ..bind.support import Support

    if isinstance(supported_by, Support):
        return supported_by, tuple(m for m in (modes or MODES) if not supported_by.modes or m in supported_by.modes)
    summary = getattr(supported_by, "summary", None)
    if summary is None:
        raise TypeError(f"supported_by={supported_by!r}: give rnn_implementation(...), the rnn_impl fixture or a "
                        "Support (pytest_rnnconformance.strategies also takes a target string)")
    if callable(summary):  # a Binding
        summary = summary()
    chosen = tuple(m for m in summary.modes if modes is None or m in modes)
    if not chosen:
        raise ValueError(f"{summary.name} computes {', '.join(summary.modes)}, none of modes={list(modes or ())}")
    return summary.support, chosen


def _within(name: str, asked: Optional[bool], allowed: frozenset, what: str) -> Optional[bool]:
    """`asked` if the support allows it; the one value allowed when only one is; else None (draw)."""
    if asked is not None:
        if asked not in allowed:
            raise ValueError(f"{name}={asked}, but the implementation does not support it: {what}")
        return asked
    return next(iter(allowed)) if len(allowed) == 1 else None


def specs(
    modes: Optional[Sequence[str]] = None,
    *,
    min_input_size: int = 1,
    max_input_size: int = 6,
    min_hidden_size: int = 1,
    max_hidden_size: int = 6,
    min_layers: int = 1,
    max_layers: int = 3,
    bidirectional: Optional[bool] = None,
    batch_first: Optional[bool] = None,
    bias: Optional[bool] = None,
    proj: Optional[bool] = None,
    nonlinearities: Sequence[str] = ("tanh", "relu"),
    supported_by=None,
) -> st.SearchStrategy[RNNSpec]:
    """A strategy of valid `RNNSpec`s (of the sequence modes rnn, lstm, gru unless `modes` says otherwise).

    Each of `bidirectional`, `batch_first`, `bias` and `proj` is drawn when None and fixed otherwise.
    `proj` only applies to LSTM: projections need ``hidden_size >= 2`` (proj_size < hidden_size),
    so ``proj=True`` raises the minimum hidden size to 2. `nonlinearities` only applies to RNN.
    `supported_by` narrows every choice to what that implementation supports (module docstring),
    here, when `specs` is called (the implementation is bound then, once per process); asking for
    something it does not support is a ``ValueError``. A cell mode (``lstm_cell``...) draws one layer,
    one direction, no projection.
    """
    if supported_by is not None:
        support, modes = support_of(supported_by, modes)
        if support.max_layers is not None:
            max_layers = min(max_layers, support.max_layers)
        min_layers = min(min_layers, max_layers)
        bidirectional = _within("bidirectional", bidirectional, frozenset(d == 2 for d in support.directions),
                                support.reason("bidirectional", "its directions"))
        batch_first = _within("batch_first", batch_first, support.layouts, support.reason("layout", "its layout"))
        bias = _within("bias", bias, support.bias, support.reason("no_bias", "its biases"))
        proj = _within("proj", proj, support.proj, support.reason("proj", "its projection"))
        nonlinearities = tuple(n for n in nonlinearities if n in support.nonlinearities) or ("tanh",)
    return _specs(tuple(modes) if modes is not None else MODES, min_input_size, max_input_size, min_hidden_size,
                  max_hidden_size, min_layers, max_layers, bidirectional, batch_first, bias, proj, tuple(nonlinearities))


@st.composite
def _specs(draw, modes: tuple, min_input_size: int, max_input_size: int, min_hidden_size: int, max_hidden_size: int,
           min_layers: int, max_layers: int, bidirectional: Optional[bool], batch_first: Optional[bool],
           bias: Optional[bool], proj: Optional[bool], nonlinearities: tuple) -> RNNSpec:
    # Every choice is drawn for every mode (and ignored where it does not apply) so that all modes
    # cost hypothesis the same number of choices: otherwise the mode with the fewest wins shrinking.
    mode = draw(sampled(modes))
    single = modes_registry.get(mode).single_step
    drawn_nonlinearity = draw(sampled(nonlinearities))
    nonlinearity = drawn_nonlinearity if mode in ("rnn", "rnn_cell") else "tanh"
    use_proj = _flag(draw, proj, False) and mode == "lstm"
    low_hidden = max(min_hidden_size, 2) if use_proj else min_hidden_size
    if low_hidden > max_hidden_size:
        raise ValueError(f"proj needs max_hidden_size >= 2, got {max_hidden_size}")
    hidden_size = draw(st.integers(low_hidden, max_hidden_size))
    input_size = draw(st.integers(min_input_size, max_input_size))
    num_layers = draw(st.integers(min_layers, max_layers))
    has_bias = _flag(draw, bias, True)
    first = _flag(draw, batch_first, False)
    two = _flag(draw, bidirectional, False)
    proj_size = draw(st.integers(1, hidden_size - 1)) if use_proj else 0
    if single:
        return RNNSpec(mode=mode, input_size=input_size, hidden_size=hidden_size, bias=has_bias,
                       nonlinearity=nonlinearity)
    return RNNSpec(mode=mode, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=has_bias,
                   batch_first=first, bidirectional=two, proj_size=proj_size, nonlinearity=nonlinearity)


def draw_recipe(
    draw,
    *,
    min_time: int = 1,
    max_time: int = 6,
    min_batch: int = 1,
    max_batch: int = 4,
    unbatched: Optional[bool] = False,
    hx_none: Optional[bool] = False,
    packed: bool = False,
    enforce_sorted: Optional[bool] = None,
    scales: Sequence[float] = SCALES,
    c0_zero: bool = False,
) -> InputRecipe:
    """Draw an `InputRecipe`: sizes, seed, scale, hx presence and (for packed input) lengths.

    `draw` is a composite strategy's; `recipes` is this as a strategy of its own. `c0_zero` makes an
    LSTM's initial cell state zero (for code that takes h0 alone)."""
    time = draw(st.integers(min_time, max_time))
    is_unbatched = _flag(draw, unbatched, False) and not packed
    drawn_batch = draw(st.integers(min_batch, max_batch))  # drawn either way, so batched shrinks as well
    batch = None if is_unbatched else drawn_batch
    lengths = None
    sorted_lengths = True
    if packed:
        # The longest sequence fills `time` and, given two steps, one other is shorter: equal lengths
        # would test nothing a plain batch does not. The rest are anywhere in 1..time.
        shorter = [draw(st.integers(1, max(time - 1, 1)))] if batch > 1 else []
        others = shorter + draw(st.lists(st.integers(1, time), min_size=max(batch - 2, 0), max_size=max(batch - 2, 0)))
        sorted_lengths = _flag(draw, enforce_sorted, True)
        lengths = [time] + others
        if sorted_lengths:
            lengths.sort(reverse=True)
        else:
            position = draw(st.integers(0, batch - 1))
            lengths.insert(position, lengths.pop(0))
        lengths = tuple(lengths)
    return InputRecipe(
        time=time,
        batch=batch,
        seed=draw(st.integers(0, 2**16 - 1)),
        scale=draw(sampled(tuple(scales))),
        hx_none=_flag(draw, hx_none, False),
        lengths=lengths,
        enforce_sorted=sorted_lengths,
        c0_zero=c0_zero,
    )


@st.composite
def recipes(draw, **bounds) -> InputRecipe:
    """A strategy of `InputRecipe`s; `bounds` are `draw_recipe`'s keyword arguments."""
    return draw_recipe(draw, **bounds)


def inputs(
    spec: RNNSpec,
    dtype: torch.dtype = torch.float32,
    device: Union[str, torch.device] = "cpu",
    *,
    supported_by=None,
    **recipe_bounds,
) -> st.SearchStrategy[RNNInputs]:
    """Draw input, hx (or None), weights and, for ``packed=True``, variable lengths for `spec`.

    `recipe_bounds` are `recipes`' keyword arguments (``max_time``, ``unbatched``, ``hx_none``,
    ``packed``, ``enforce_sorted``, ...). A cell's spec (``lstm_cell``...) gets one time step.
    `supported_by` keeps to what that implementation takes: unbatched input only where it takes it
    (only, where it takes nothing else), hx omitted where it must be, c0 zero where it takes h0 alone.
    """
    if spec.single_step:
        recipe_bounds.update(min_time=1, max_time=1)
    if supported_by is not None:
        support, _ = support_of(supported_by, (spec.mode,))
        recipe_bounds.setdefault("unbatched", None if support.batched and support.unbatched else not support.batched)
        if not support.state_given or not support.default_state:
            recipe_bounds["hx_none"] = not support.state_given
        elif "hx_none" not in recipe_bounds:
            recipe_bounds["hx_none"] = False
        if not support.packed:
            recipe_bounds["packed"] = False
        recipe_bounds["c0_zero"] = not support.cell_state_given
    return recipes(**recipe_bounds).map(lambda recipe: make_inputs(spec, recipe, dtype=dtype, device=device))


def outside(support, spec: RNNSpec, recipe: InputRecipe, dtype=None, device=None, modes: tuple = ()) -> Optional[str]:
    """Why ``(spec, recipe)`` lies outside what `support` takes, or None if it lies inside."""
    if modes and spec.mode not in modes:
        return f"it computes {', '.join(modes)}, not {spec.mode}"
    if not spec.single_step:
        if support.max_layers is not None and spec.num_layers > support.max_layers:
            return support.reason("multilayer", f"it takes at most {support.max_layers} layer(s)")
        if spec.num_directions not in support.directions:
            return support.reason("bidirectional" if spec.bidirectional else "unidirectional",
                                  f"it does not take {spec.num_directions} direction(s)")
        if spec.batch_first not in support.layouts:
            return support.reason("layout", f"it does not take batch_first={spec.batch_first}")
        if (spec.proj_size > 0) not in support.proj:
            return support.reason("proj", "its projection does not match")
        if spec.dropout and not support.dropout:
            return support.reason("dropout", "it takes no dropout")
        if recipe.lengths is not None and not support.packed:
            return support.reason("packed", "it takes no packed sequences")
    if spec.bias not in support.bias:
        return support.reason("no_bias", f"it does not take bias={spec.bias}")
    if spec.nonlinearity not in support.nonlinearities and spec.mode.startswith("rnn"):
        return support.reason("relu", f"it does not compute {spec.nonlinearity}")
    if recipe.batch is None and not support.unbatched:
        return support.reason("unbatched", "it takes no unbatched input")
    if recipe.batch is not None and not support.batched:
        return support.reason("batched", "it takes one unbatched sequence")
    if recipe.hx_none and not support.default_state:
        return support.reason("default_state", "hx is required")
    if not recipe.hx_none and not support.state_given:
        return support.reason("default_state", "it takes no state argument")
    if spec.num_states == 2 and not recipe.hx_none and not recipe.c0_zero and not support.cell_state_given:
        return support.reason("cell_state", "it takes h0 but no c0")
    if recipe.train and not support.training:
        return support.reason("training", "it takes no train argument")
    if dtype is not None and support.dtypes is not None and str(dtype).replace("torch.", "") not in support.dtypes:
        return f"it does not compute in {str(dtype).replace('torch.', '')}"
    if device is not None and support.devices is not None and torch.device(device).type not in support.devices:
        return f"it does not run on {torch.device(device).type}"
    return None
