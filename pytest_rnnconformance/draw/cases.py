"""Drawing a row's cases: the base configuration, and one dimension varied away from it.

The *base* is the plainest configuration the implementation takes, in its own conventions:
sizes at least 2 and all distinct (time, batch, input, hidden), one layer, one direction, its own
layout, hx given, biases, tanh, no projection, batched, not packed, evaluation mode. Where the
implementation takes only the other value (only batch-first, only two directions, no state
argument, no biases, only 2-D input) the base takes that one. Each row draws its own dimension
away from the base and nothing else (`Dimensions`), so a single mistake fails the row that owns
it; ``combined`` draws every supported dimension at once.

A case is ``(spec, recipe)``; `make_inputs` turns it into tensors.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from hypothesis import strategies as st

from .. import modes
from ..bind.support import Support
from ..spec import RNNSpec
from .inputs import InputRecipe
from .strategies import SCALES, sampled

LONGEST = 48  # a long sequence's steps, at most
EDGES = ("one_step", "batch_one", "hidden_one", "input_one", "long_sequence", "saturating", "special_values")
#: The "saturating" edge's pre-activations: about ±1e3, far into saturation, where a hand-written
#: exp-based tanh or sigmoid overflows (float32 past 44, float16 past 5.5).
SATURATION = 1000.0
#: (time, batch, input, hidden): at least 2 and all distinct, so no size can stand in for another.
DISTINCT_SIZES = st.lists(st.integers(2, 7), min_size=4, max_size=4, unique=True).map(tuple)


@dataclass(frozen=True)
class Dimensions:
    """What a row varies. None everywhere is the base; each field names one dimension.

    A value pins it; ``"draw"`` draws it from what the implementation supports.
    """

    batch_first: object = None
    layers: object = None  # an int range (low, high) or "draw"
    bidirectional: object = None
    bias: object = None
    proj: object = None
    nonlinearity: object = None
    unbatched: object = None
    hx_none: object = None
    packed: object = None
    dropout: object = None  # a probability, or "draw"
    train: object = None
    edge: object = None  # one of EDGES; "edge": any of them; "draw": any of them or none


EVERYTHING = Dimensions(batch_first="draw", layers="draw", bidirectional="draw", bias="draw", proj="draw",
                        nonlinearity="draw", unbatched="draw", hx_none="draw", packed="draw")


def base_values(support: Support, mode: str) -> dict:
    """The base's value of every dimension, inside `support` (see the module docstring)."""
    return dict(
        batch_first=False if False in support.layouts else True,
        layers=1,
        bidirectional=1 not in support.directions,
        bias=True in support.bias,
        proj=False not in support.proj,
        nonlinearity="tanh" if "tanh" in support.nonlinearities else "relu",
        unbatched=not support.batched,
        hx_none=not support.state_given,
        packed=False,
        dropout=0.0,
        train=False,
    )


def allowed_values(support: Support, mode: str) -> dict:
    """Every value of each dimension the implementation supports (for ``"draw"``)."""
    recurrence = modes.get(mode)
    single = recurrence.single_step
    return dict(
        batch_first=tuple(sorted(support.layouts)) if not single else (False,),
        layers=(1, 1 if single else min(support.layer_limit(), 3)),
        bidirectional=tuple(sorted(d == 2 for d in support.directions)) if not single else (False,),
        bias=tuple(sorted(support.bias, reverse=True)),
        proj=tuple(sorted(support.proj)) if recurrence.family == "lstm" and not single else (False,),
        nonlinearity=tuple(sorted(support.nonlinearities, reverse=True)) if recurrence.family == "rnn" else ("tanh",),
        unbatched=tuple(v for v in (False, True) if (v and support.unbatched) or (not v and support.batched)),
        hx_none=tuple(v for v in (False, True) if (v and support.default_state) or (not v and support.state_given)),
        packed=(False, True) if support.packed and not single else (False,),
    )


def _choose(draw, name: str, wanted, base: dict, allowed: dict):
    if wanted is None:
        return base[name]
    if wanted == "draw":
        options = allowed[name]
        ordered = tuple(sorted(options, key=lambda v: v != base[name]))
        return ordered[0] if len(ordered) == 1 else draw(sampled(ordered))
    return wanted


@st.composite
def cases(draw, support: Support, mode: str, dims: Dimensions = Dimensions()) -> tuple:
    """One ``(spec, recipe)`` of a row: the base, with `dims` varied (see the module docstring)."""
    recurrence = modes.get(mode)
    base, allowed = base_values(support, mode), allowed_values(support, mode)
    pick = {name: _choose(draw, name, getattr(dims, name), base, allowed)
            for name in ("batch_first", "bidirectional", "bias", "proj", "nonlinearity", "unbatched", "hx_none",
                         "packed")}
    if dims.layers is None:
        layers = 1
    elif dims.layers == "draw":
        low, high = allowed["layers"]
        layers = draw(st.integers(low, high)) if high > low else low
    else:
        layers = draw(st.integers(*dims.layers))
    if dims.edge in ("edge", "draw"):
        edge = draw(sampled(EDGES if dims.edge == "edge" else (None,) + EDGES))
    else:
        edge = dims.edge
    time, batch, input_size, hidden = draw(DISTINCT_SIZES)
    if edge == "one_step":
        time = 1
    elif edge == "batch_one":
        batch = 1
    elif edge == "hidden_one" and not pick["proj"]:
        hidden = 1
    elif edge == "input_one":
        input_size = 1
    elif edge == "long_sequence":
        time = draw(st.integers(24, LONGEST))
    elif edge == "special_values":
        batch = max(batch, 4)  # one row for each of 0, inf, -inf and NaN
    if pick["packed"]:
        pick["unbatched"], batch = False, max(batch, 2)
    if recurrence.single_step:
        time = 1
    proj = draw(st.integers(1, hidden - 1)) if pick["proj"] and hidden > 1 else 0
    dropout = 0.0
    if dims.dropout is not None and layers > 1:
        dropout = draw(sampled((1.0, 0.5))) if dims.dropout == "draw" else float(dims.dropout)  # 1: deterministic
    train = False
    if dims.train and dropout == 1.0 and support.training:
        train = True if dims.train is True else draw(sampled((False, True)))
    spec = RNNSpec(mode, input_size, hidden, num_layers=layers, bias=pick["bias"], batch_first=pick["batch_first"],
                   dropout=dropout, bidirectional=pick["bidirectional"], proj_size=proj,
                   nonlinearity=pick["nonlinearity"]) if not recurrence.single_step else \
        RNNSpec(mode, input_size, hidden, bias=pick["bias"], nonlinearity=pick["nonlinearity"])
    lengths: Optional[tuple] = None
    enforce_sorted = True
    if pick["packed"]:
        time = max(time, 2)
        lengths, enforce_sorted = _lengths(draw, time, batch)
    scale = draw(sampled(SCALES))
    recipe = InputRecipe(time=time, batch=None if pick["unbatched"] else batch, seed=draw(st.integers(0, 2 ** 16 - 1)),
                         scale=scale, hx_none=pick["hx_none"], lengths=lengths, enforce_sorted=enforce_sorted,
                         train=train, c0_zero=not support.cell_state_given,
                         specials=edge == "special_values" and not pick["packed"],
                         saturation=SATURATION if edge == "saturating" else 0.0)
    return spec, recipe


def _lengths(draw, time: int, batch: int) -> tuple:
    """Packed lengths: the longest fills `time`, one other is shorter (equal lengths would test
    nothing a plain batch does not), sorted or not."""
    shorter = draw(st.integers(1, time - 1))
    others = [draw(st.integers(1, time)) for _ in range(batch - 2)]
    lengths = [time, shorter] + others
    enforce_sorted = draw(sampled((True, False)))
    if enforce_sorted:
        lengths.sort(reverse=True)
    else:
        lengths.insert(draw(st.integers(0, batch - 1)), lengths.pop(0))
    return tuple(lengths), enforce_sorted


def fixed_base(support: Support, mode: str, seed: int) -> tuple:
    """A base case without hypothesis: sizes (3, 2, 4, 5), scale 1 (the quick check every row's
    dependence on ``forward`` is tested with)."""
    base = base_values(support, mode)
    single = modes.get(mode).single_step
    spec = RNNSpec(mode, 4, 5, bias=base["bias"], nonlinearity=base["nonlinearity"]) if single else RNNSpec(
        mode, 4, 5, bias=base["bias"], batch_first=base["batch_first"], bidirectional=base["bidirectional"],
        proj_size=2 if base["proj"] else 0, nonlinearity=base["nonlinearity"])
    recipe = InputRecipe(time=1 if single else 3, batch=None if base["unbatched"] else 2, seed=seed,
                         hx_none=base["hx_none"], c0_zero=not support.cell_state_given)
    return spec, recipe


def edge_examples(support: Support, mode: str, seed: int) -> list:
    """The base far into saturation, with 0, ±inf and NaN planted (a batch of four), and as long as a
    long sequence is drawn (48 steps): the edges a hand-written activation, a nan_to_num or a buffer
    sized for "the longest sentence" gets wrong, first in a row that owns the edges, so they are not
    left to a draw."""
    spec, recipe = fixed_base(support, mode, seed)
    batched = recipe.batch is not None
    found = [(spec, replace(recipe, saturation=SATURATION)),
             (spec, replace(recipe, specials=True, batch=4 if batched else None))]
    if not spec.single_step:
        found.append((spec, replace(recipe, time=LONGEST)))
    return found


def far_corner(support: Support, mode: str, seed: int) -> tuple:
    """The case every supported dimension takes away from the base at once (two layers, two
    directions, no bias, a projection, relu, the other layout, one unbatched sequence, hx omitted):
    ``combined``'s first example, so a defect where dimensions meet is not left to a draw."""
    base, allowed = base_values(support, mode), allowed_values(support, mode)
    far = {name: ([v for v in allowed[name] if v != base[name]] or [base[name]])[-1]
           for name in ("batch_first", "bidirectional", "bias", "proj", "nonlinearity", "unbatched", "hx_none")}
    if modes.get(mode).single_step:
        spec = RNNSpec(mode, 4, 5, bias=far["bias"], nonlinearity=far["nonlinearity"])
    else:
        spec = RNNSpec(mode, 4, 5, num_layers=min(2, allowed["layers"][-1]),
                       bias=far["bias"], batch_first=far["batch_first"], bidirectional=far["bidirectional"],
                       proj_size=2 if far["proj"] else 0, nonlinearity=far["nonlinearity"])
    recipe = InputRecipe(time=1 if spec.single_step else 3, batch=None if far["unbatched"] else 2, seed=seed,
                         hx_none=far["hx_none"], c0_zero=not support.cell_state_given)
    return spec, recipe


def project(spec: RNNSpec, recipe: InputRecipe, support: Support, keep: tuple = ()) -> tuple:
    """The same case with every dimension but those in `keep` set back to the base (same sizes,
    same seed): what tells a row's own defect from the base's, or from another row's."""
    base = base_values(support, spec.mode)
    single = spec.single_step
    changes: dict = {}
    if "layers" not in keep and not single:
        changes.update(num_layers=1, dropout=0.0)
    if "dropout" not in keep and not single:
        changes.update(dropout=0.0)
    for field, name in (("batch_first", "batch_first"), ("bidirectional", "bidirectional"), ("bias", "bias"),
                        ("nonlinearity", "nonlinearity")):
        if name not in keep and not (single and field in ("batch_first", "bidirectional")):
            changes[field] = base[name]
    if "proj" not in keep and not single:
        changes["proj_size"] = min(spec.proj_size or 1, spec.hidden_size - 1) if base["proj"] else 0
    if changes.get("num_layers") == 1:
        changes["dropout"] = 0.0
    new_spec = spec.replace(**changes)
    recipe_changes: dict = {}
    if "unbatched" not in keep:
        recipe_changes["batch"] = None if base["unbatched"] else (recipe.batch or (len(recipe.lengths) if recipe.lengths else 2))
    if "hx_none" not in keep:
        recipe_changes["hx_none"] = base["hx_none"]
    if "packed" not in keep and recipe.lengths is not None:
        recipe_changes.update(lengths=None, enforce_sorted=True, batch=len(recipe.lengths))
    if "train" not in keep:
        recipe_changes["train"] = False
    if "edge" not in keep and "edge" in present_dimensions(new_spec, replace(recipe, **recipe_changes), support):
        time, batch, input_size, hidden = 3, 2, 4, 5
        proj = min(new_spec.proj_size, hidden - 1)
        new_spec = new_spec.replace(input_size=input_size, hidden_size=hidden, proj_size=proj)
        recipe_changes.update(time=1 if single else time, scale=1.0, specials=False, saturation=0.0)
        if recipe_changes.get("batch", recipe.batch) is not None:
            recipe_changes["batch"] = batch
    return new_spec, replace(recipe, **recipe_changes)


def present_dimensions(spec: RNNSpec, recipe: InputRecipe, support: Support) -> set:
    """The dimensions in which a case departs from the base (what `project` can take away)."""
    base = base_values(support, spec.mode)
    present = set()
    if spec.num_layers > 1:
        present.add("layers")
    if spec.dropout:
        present.add("dropout")
    for name, value in (("batch_first", spec.batch_first), ("bidirectional", spec.bidirectional), ("bias", spec.bias),
                        ("nonlinearity", spec.nonlinearity), ("proj", spec.proj_size > 0),
                        ("unbatched", recipe.batch is None), ("hx_none", recipe.hx_none),
                        ("packed", recipe.lengths is not None), ("train", recipe.train)):
        if value != base[name] and not (spec.single_step and name in ("batch_first", "bidirectional")):
            present.add(name)
    if recipe.time == 1 and not spec.single_step or recipe.batch == 1 or min(spec.hidden_size, spec.input_size) == 1 \
            or recipe.time > 8 or recipe.scale > 4 or recipe.specials or recipe.saturation:
        present.add("edge")
    return present


def single_changes(spec: RNNSpec, recipe: InputRecipe, support: Support) -> list:
    """``(what, spec, recipe)``: the case as it is, then with each dimension the implementation
    supports changed alone (for a row that must hold in every configuration: exact shapes)."""
    base = base_values(support, spec.mode)
    allowed = allowed_values(support, spec.mode)
    single = spec.single_step
    found = [("as drawn", spec, recipe)]

    def add(what: str, new_spec: RNNSpec = spec, **recipe_changes) -> None:
        found.append((what, new_spec, replace(recipe, **recipe_changes)))

    if not single and len(allowed["batch_first"]) == 2:
        add(f"batch_first={not spec.batch_first}", spec.replace(batch_first=not spec.batch_first))
    if True in allowed["unbatched"] and recipe.batch is not None:
        add("unbatched input", batch=None)
    if True in allowed["hx_none"] and not recipe.hx_none:
        add("hx omitted", hx_none=True)
    if False in allowed["bias"] and spec.bias:
        add("bias=False", spec.replace(bias=False))
    if allowed["layers"][1] >= 2 and spec.num_layers == 1:
        add("two layers", spec.replace(num_layers=2))
    if True in allowed["bidirectional"] and not spec.bidirectional:
        add("two directions", spec.replace(bidirectional=True))
    if True in allowed["proj"] and not spec.proj_size and spec.hidden_size > 1:
        add("proj_size 1", spec.replace(proj_size=1))
    if True in allowed["packed"] and recipe.batch and recipe.batch > 1 and recipe.time > 1:
        add("packed input", lengths=(recipe.time,) + (1,) * (recipe.batch - 1))
    if not single and recipe.time > 1:
        add("one time step", time=1)
    if recipe.batch is not None and recipe.batch > 1 and base["unbatched"] is False:
        add("a batch of one", batch=1)
    if spec.hidden_size > 1 and not spec.proj_size:
        add("hidden size 1", spec.replace(hidden_size=1))
    return found
