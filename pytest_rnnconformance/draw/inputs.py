"""`RNNInputs`: the tensors of one check, made from a handful of numbers so they can be reproduced.

Hypothesis does not draw the tensors element by element (slow for thousands of values, and a
shrunk tensor of zeros would hide every gate-order bug). It draws a *recipe* — sizes, a seed, a
scale, whether hx is given, the packed lengths — and `make_inputs` turns the recipe into tensors
with a seeded generator. The recipe shrinks (towards one step, batch one, scale one) and is what a
failure message prints, so anyone can rebuild the exact counterexample.

Symmetry is broken on purpose: every weight is drawn independently from a normal distribution, so
every gate block and every hidden unit differ, and h0/c0 are non-zero unless hx is None. A suite fed
constant weights cannot tell the input gate from the forget gate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Optional, Sequence, Union

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from ..spec import RNNSpec

DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
}


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


@dataclass(frozen=True)
class InputRecipe:
    """Everything needed to rebuild a check's tensors (see `make_inputs`)."""

    time: int
    batch: Optional[int]  # None: unbatched 2-D input
    seed: int = 0
    scale: float = 1.0  # weights ~ N(0, (scale / sqrt(hidden))^2); > 2 drives gates into saturation
    hx_none: bool = False
    lengths: Optional[tuple[int, ...]] = None  # packed input with these lengths (batch order)
    enforce_sorted: bool = True
    train: bool = False  # training mode (dropout between layers is then drawn)
    c0_zero: bool = False  # an LSTM's c0 is zeros (for code that takes h0 alone)
    specials: bool = False  # exact zeros, +inf, -inf and NaN planted in the input (see `plant_specials`)
    saturation: float = 0.0  # pre-activations pushed to about ± this (see `saturate`)

    def describe(self) -> str:
        parts = [f"time={self.time}", "unbatched" if self.batch is None else f"batch={self.batch}"]
        if self.train:
            parts.append("train=True")
        if self.lengths is not None:
            parts.append(f"packed lengths={list(self.lengths)}" + ("" if self.enforce_sorted else " (unsorted)"))
        if self.hx_none:
            parts.append("hx=None")
        elif self.c0_zero:
            parts.append("c0=0")
        if self.scale != 1.0:
            parts.append(f"scale={self.scale}")
        if self.specials:
            parts.append("special values (0, inf, -inf, NaN) in the input")
        if self.saturation:
            parts.append(f"pre-activations about ±{self.saturation:g}")
        parts.append(f"seed={self.seed}")
        return ", ".join(parts)


@dataclass
class RNNInputs:
    """The tensors of one check: input, hx (or None) and torch.nn-named parameters."""

    spec: RNNSpec
    recipe: InputRecipe
    input: Union[Tensor, PackedSequence]
    hx: Union[None, Tensor, tuple]
    params: dict[str, Tensor] = field(repr=False)

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example
        return f"RNNInputs({self.spec!r}, {self.recipe!r}, dtype={dtype_name(self.dtype)}, device={self.device})"

    @property
    def dtype(self) -> torch.dtype:
        return self.params[self.spec.param_names()[0]].dtype

    @property
    def device(self) -> torch.device:
        return self.params[self.spec.param_names()[0]].device

    def to(self, dtype: Optional[torch.dtype] = None, device: Union[str, torch.device, None] = None) -> RNNInputs:
        """A copy with every floating tensor converted (packed lengths stay on the CPU)."""

        def convert(t: Tensor) -> Tensor:
            return t.to(dtype=dtype, device=device)

        if isinstance(self.input, PackedSequence):
            data = convert(self.input.data)
            move = (lambda idx: idx if idx is None else idx.to(data.device))
            new_input: Any = PackedSequence(data, self.input.batch_sizes, move(self.input.sorted_indices),
                                            move(self.input.unsorted_indices))
        else:
            new_input = convert(self.input)
        return replace(
            self,
            input=new_input,
            hx=map_hidden(convert, self.hx),
            params={name: convert(value) for name, value in self.params.items()},
        )

    def batch_row(self, row: int) -> RNNInputs:
        """The same check for one batch row alone, as a batch of one."""
        dim = 0 if self.spec.batch_first or self.spec.single_step else 1
        state_dim = 0 if self.spec.single_step else 1
        hx = map_hidden(lambda t: t.narrow(state_dim, row, 1), self.hx)
        return replace(self, input=self.input.narrow(dim, row, 1), hx=hx, recipe=replace(self.recipe, batch=1))

    def clone(self) -> RNNInputs:
        """Independent copies of every tensor, so a call cannot disturb the original.

        A tensor that requires grad is copied into a new leaf that requires grad too.
        """
        return self.to_fn(lambda t: t.detach().clone().requires_grad_(t.requires_grad))

    def replace_tensors(self, **changes: Any) -> RNNInputs:
        """A copy with `input`, `hx` or `params` replaced."""
        return replace(self, **changes)

    def as_leaves(self) -> RNNInputs:
        """A copy whose every floating tensor is a new leaf that requires grad."""
        return self.to_fn(lambda t: t.detach().clone().requires_grad_(True))

    def to_fn(self, fn) -> RNNInputs:
        if isinstance(self.input, PackedSequence):
            new_input: Any = PackedSequence(fn(self.input.data), self.input.batch_sizes,
                                            self.input.sorted_indices, self.input.unsorted_indices)
        else:
            new_input = fn(self.input)
        return replace(self, input=new_input, hx=map_hidden(fn, self.hx),
                       params={name: fn(value) for name, value in self.params.items()})


def map_hidden(fn, hx):
    """Apply `fn` to h0, or to each of (h0, c0); None stays None."""
    if hx is None:
        return None
    if isinstance(hx, (tuple, list)):
        return tuple(fn(t) for t in hx)
    return fn(hx)


def saturate(params: dict, level: float, generator: torch.Generator) -> dict:
    """Weights that push every pre-activation to about ±`level`: each bias_ih unit set to ±level (a
    random sign), so that no pre-activation comes near zero, where rounding in float16 or bfloat16
    could flip its sign; without biases the weights are scaled up instead, by `level`."""
    biased = any(name.startswith("bias_ih") for name in params)
    saturated = {}
    for name, value in params.items():
        if name.startswith("bias_ih"):
            signs = torch.randint(0, 2, value.shape, generator=generator, dtype=torch.float64) * 2 - 1
            saturated[name] = signs * level
        elif not biased and name.startswith(("weight_ih", "weight_hh")):
            saturated[name] = value * level
        else:
            saturated[name] = value
    return saturated


#: What `plant_specials` puts in batch row k (k modulo 4): a whole step of exact zeros, +inf, -inf, NaN.
SPECIALS = (0.0, math.inf, -math.inf, math.nan)


def plant_specials(input_: Tensor, time_dim: int) -> Tensor:
    """The input with one special value per batch row: row k gets ``SPECIALS[k % 4]``, the zeros as a
    whole step at the first step, the others in the first feature of the last step, so that every
    output before it stays finite and torch.nn's NaN and ±1 patterns are there to be matched. An
    unbatched input (one sequence) gets +inf at its last step."""
    planted = input_.clone()
    as_time_major = planted if time_dim == 0 else planted.transpose(0, 1)
    if as_time_major.dim() == 2:
        as_time_major[-1, 0] = math.inf
        return planted
    for row in range(as_time_major.shape[1]):
        special = SPECIALS[row % len(SPECIALS)]
        if special == 0.0:
            as_time_major[0, row, :] = 0.0
        else:
            as_time_major[-1, row, 0] = special
    return planted


def make_inputs(
    spec: RNNSpec,
    recipe: Optional[InputRecipe] = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: Union[str, torch.device] = "cpu",
    **recipe_fields: Any,
) -> RNNInputs:
    """Build the tensors a recipe describes: deterministic for a given (spec, recipe, dtype, device).

    Values are drawn in float64 on the CPU, then rounded to `dtype`, so the same recipe gives the
    same numbers (up to rounding) in every dtype and on every device.
    ``make_inputs(spec, time=3, batch=2, seed=0)`` builds the recipe from keywords.
    """
    if recipe is None:
        recipe = InputRecipe(**recipe_fields)
    generator = torch.Generator().manual_seed(recipe.seed)

    def normal(shape: Sequence[int], std: float = 1.0) -> Tensor:
        return torch.randn(tuple(shape), generator=generator, dtype=torch.float64) * std

    weight_std = recipe.scale / math.sqrt(spec.hidden_size)
    params = {name: normal(shape, weight_std) for name, shape in spec.param_shapes().items()}
    if recipe.saturation:
        params = saturate(params, recipe.saturation, generator)

    batch = recipe.batch
    if recipe.lengths is not None:
        batch = len(recipe.lengths)
        padded = normal((recipe.time, batch, spec.input_size))
        lengths = torch.tensor(recipe.lengths, dtype=torch.int64)
        steps = torch.arange(recipe.time).unsqueeze(1)
        padded = padded * (steps < lengths).unsqueeze(-1)  # padding is zero, as pad_sequence makes it
        input_: Any = pack_padded_sequence(padded, lengths, enforce_sorted=recipe.enforce_sorted)
    else:
        input_ = normal(spec.input_shape(recipe.time, batch))
        if recipe.specials:
            input_ = plant_specials(input_, time_dim=0 if batch is None or not spec.batch_first else 1)

    hx: Any = None
    if not recipe.hx_none:
        states = [normal(shape, 0.5) for shape in spec.state_shapes(batch)]
        if recipe.c0_zero and len(states) == 2:
            states[1] = states[1] * 0
        hx = tuple(states) if spec.num_states == 2 else states[0]
    inputs = RNNInputs(spec=spec, recipe=recipe, input=input_, hx=hx, params=params)
    return inputs.to(dtype=dtype, device=device)
