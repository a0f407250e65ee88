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
"""
from __future__ import annotations

import functools
from typing import Optional, Sequence, Union

import torch
from hypothesis import strategies as st

from .inputs import InputRecipe, RNNInputs, make_inputs
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


@st.composite
def specs(
    draw,
    modes: Sequence[str] = MODES,
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
) -> RNNSpec:
    """Draw a valid `RNNSpec`.

    Each of `bidirectional`, `batch_first`, `bias` and `proj` is drawn when None and fixed otherwise.
    `proj` only applies to LSTM: projections need ``hidden_size >= 2`` (proj_size < hidden_size),
    so ``proj=True`` raises the minimum hidden size to 2. `nonlinearities` only applies to RNN.
    """
    # Every choice is drawn for every mode (and ignored where it does not apply) so that all modes
    # cost hypothesis the same number of choices: otherwise the mode with the fewest wins shrinking.
    mode = draw(sampled(tuple(modes)))
    drawn_nonlinearity = draw(sampled(tuple(nonlinearities)))
    nonlinearity = drawn_nonlinearity if mode == "rnn" else "tanh"
    use_proj = _flag(draw, proj, False) and mode == "lstm"
    low_hidden = max(min_hidden_size, 2) if use_proj else min_hidden_size
    if low_hidden > max_hidden_size:
        raise ValueError(f"proj needs max_hidden_size >= 2, got {max_hidden_size}")
    hidden_size = draw(st.integers(low_hidden, max_hidden_size))
    return RNNSpec(
        mode=mode,
        input_size=draw(st.integers(min_input_size, max_input_size)),
        hidden_size=hidden_size,
        num_layers=draw(st.integers(min_layers, max_layers)),
        bias=_flag(draw, bias, True),
        batch_first=_flag(draw, batch_first, False),
        bidirectional=_flag(draw, bidirectional, False),
        proj_size=draw(st.integers(1, hidden_size - 1)) if use_proj else 0,
        nonlinearity=nonlinearity,
    )


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
) -> InputRecipe:
    """Draw an `InputRecipe`: sizes, seed, scale, hx presence and (for packed input) lengths.

    `draw` is a composite strategy's; `recipes` is this as a strategy of its own."""
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
    )


@st.composite
def recipes(draw, **bounds) -> InputRecipe:
    """A strategy of `InputRecipe`s; `bounds` are `draw_recipe`'s keyword arguments."""
    return draw_recipe(draw, **bounds)


def inputs(
    spec: RNNSpec,
    dtype: torch.dtype = torch.float32,
    device: Union[str, torch.device] = "cpu",
    **recipe_bounds,
) -> st.SearchStrategy[RNNInputs]:
    """Draw input, hx (or None), weights and, for ``packed=True``, variable lengths for `spec`.

    `recipe_bounds` are `recipes`' keyword arguments (``max_time``, ``unbatched``, ``hx_none``,
    ``packed``, ``enforce_sorted``, ...).
    """
    return recipes(**recipe_bounds).map(lambda recipe: make_inputs(spec, recipe, dtype=dtype, device=device))
