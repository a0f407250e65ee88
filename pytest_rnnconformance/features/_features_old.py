"""The features of the capability matrix: for each, which configurations it draws.

A feature is a question about the implementation ("does it handle two directions?") answered by a
hypothesis property over the part of the configuration space that asks it, intersected with what
the implementation claims to support. If the intersection is empty the feature is *unsupported*,
with the binder's reason. The names are a contract (DESIGN.md); the order is the matrix's order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from hypothesis import strategies as st

from .spec import RNNSpec
from .strategies import draw_recipe, sampled
from .support import Support

FEATURES = (
    "forward", "layout", "unbatched", "default_state", "no_bias", "relu", "multilayer", "bidirectional",
    "proj", "packed", "backward", "float64", "half", "edge_cases", "continuation", "shape", "purity",
    "no_delegation",
)


@dataclass(frozen=True)
class Feature:
    name: str
    doc: str
    modes: Optional[tuple] = None  # None: every mode, registered cells included
    only_dtypes: Optional[tuple] = None  # e.g. ("float64",): the cells this feature has
    requires: Callable[[Support], Optional[str]] = field(default=lambda s: None)
    spec_overrides: dict = field(default_factory=dict)  # fixed spec choices (None: draw per support)
    recipe_overrides: dict = field(default_factory=dict)
    simplest: bool = False  # draw the simplest supported configuration only
    example_share: float = 1.0  # fraction of --rnn-max-examples this feature needs (at least 3)

    def applies_to(self, mode: str) -> bool:
        """Whether the feature has a question for `mode` at all (``relu`` has none for an LSTM)."""
        return self.modes is None or mode in self.modes


def _needs(condition: Callable[[Support], bool], key: str, default: str) -> Callable[[Support], Optional[str]]:
    def requirement(support: Support) -> Optional[str]:
        return None if condition(support) else support.reasons.get(key, default)

    return requirement


REGISTRY = {f.name: f for f in (
    Feature("forward", "one layer, one direction, the layout the implementation uses", simplest=True),
    Feature("layout", "batch_first True and False",
            requires=_needs(lambda s: len(s.layouts) == 2, "layout", "only one layout")),
    Feature("unbatched", "2-D input (time, features) with 2-D states",
            requires=_needs(lambda s: s.unbatched, "unbatched", "no unbatched input"),
            recipe_overrides=dict(unbatched=True)),
    Feature("default_state", "hx omitted (zeros)",
            requires=_needs(lambda s: s.default_state, "default_state", "hx is required"),
            recipe_overrides=dict(hx_none=True)),
    Feature("no_bias", "bias=False",
            requires=_needs(lambda s: False in s.bias, "no_bias", "biases are required"),
            spec_overrides=dict(bias=False)),
    Feature("relu", "nonlinearity='relu'", modes=("rnn",),
            requires=_needs(lambda s: "relu" in s.nonlinearities, "relu", "tanh only"),
            spec_overrides=dict(nonlinearity="relu")),
    Feature("multilayer", "two or three stacked layers",
            requires=_needs(lambda s: s.max_layers is None or s.max_layers >= 2, "multilayer", "one layer only"),
            spec_overrides=dict(min_layers=2)),
    Feature("bidirectional", "two directions",
            requires=_needs(lambda s: 2 in s.directions, "bidirectional", "one direction only"),
            spec_overrides=dict(bidirectional=True)),
    Feature("proj", "proj_size > 0", modes=("lstm",),
            requires=_needs(lambda s: True in s.proj, "proj", "no projection"),
            spec_overrides=dict(proj=True)),
    Feature("packed", "PackedSequence input with variable lengths, sorted and unsorted",
            requires=_needs(lambda s: s.packed, "packed", "no packed sequences"),
            recipe_overrides=dict(packed=True, min_batch=2, min_time=2)),
    Feature("backward", "gradients of input, states and every weight",
            requires=_needs(lambda s: s.differentiable, "backward", "not differentiable"), example_share=0.6),
    Feature("float64", "any supported configuration in float64", only_dtypes=("float64",)),
    Feature("half", "float16 and bfloat16, judged against torch.nn's own error in the same dtype",
            only_dtypes=("float16", "bfloat16")),
    Feature("edge_cases", "time 1, batch 1, hidden 1, long sequences, saturating inputs"),
    Feature("continuation", "two calls carrying the state equal one; a sample alone equals it in a batch; "
                            "layers and directions run one at a time join into the whole run"),
    Feature("shape", "results have exactly torch.nn's shapes"),
    Feature("purity", "inputs and weights not modified, global torch state unchanged, same result twice",
            example_share=0.4),
    Feature("no_delegation", "does not call torch's own recurrent kernels", example_share=0.2),
)}


def unsupported_reason(feature: Feature, support: Support, mode: str) -> Optional[str]:
    """Why the implementation cannot be asked this feature's question, or None."""
    if feature.name in support.unsupported_features:
        return support.reasons.get("unsupported", "declared unsupported")
    if mode not in support.modes:
        return f"{mode} is not among the implementation's modes"
    if feature.name == "proj" and "lstm" != mode:
        return "proj is LSTM only"
    return feature.requires(support)


def draw_supported_spec(draw, support: Support, mode: str, *, simplest: bool = False, min_layers: int = 1,
                        bidirectional: Optional[bool] = None, bias: Optional[bool] = None,
                        proj: Optional[bool] = None, nonlinearity: Optional[str] = None,
                        batch_first: Optional[bool] = None, max_hidden_size: int = 6,
                        min_hidden_size: int = 1, max_input_size: int = 6) -> RNNSpec:
    """Draw a spec of `mode` inside `support`; the keyword arguments pin a choice.

    A choice with one possible value (pinned, or all the implementation supports) is not drawn:
    it would cost hypothesis a draw and give it nothing to shrink.
    """

    def choose(pinned, allowed: frozenset, preferred):
        if pinned is not None:
            return pinned
        options = tuple(sorted(allowed, key=lambda v: v != preferred))
        return options[0] if simplest or len(options) == 1 else draw(sampled(options))

    max_layers = min(support.layer_limit(), 3)
    low_layers = min(min_layers, max_layers)
    directions = choose(None if bidirectional is None else (2 if bidirectional else 1), support.directions, 1)
    use_proj = mode == "lstm" and choose(proj, support.proj, False)
    low_hidden = max(min_hidden_size, 2) if use_proj else min_hidden_size
    hidden = draw(st.integers(low_hidden, max(low_hidden, max_hidden_size)))
    return RNNSpec(
        mode=mode,
        input_size=draw(st.integers(1, max_input_size)),
        hidden_size=hidden,
        num_layers=max(1, min_layers) if simplest else draw(st.integers(low_layers, max_layers)),
        bias=choose(bias, support.bias, True),
        batch_first=choose(batch_first, support.layouts, False),
        bidirectional=directions == 2,
        proj_size=draw(st.integers(1, hidden - 1)) if use_proj else 0,
        nonlinearity=choose(nonlinearity, support.nonlinearities, "tanh") if mode == "rnn" else "tanh",
    )


EDGE_CASES = ("one_step", "batch_one", "hidden_one", "long_sequence", "saturating")


@st.composite
def feature_case(draw, feature: Feature, support: Support, mode: str) -> tuple:
    """Draw (spec, recipe) for one example of `feature`."""
    spec_kwargs = dict(feature.spec_overrides)
    recipe_kwargs = dict(
        unbatched=False,
        hx_none=False,
    )
    recipe_kwargs.update(feature.recipe_overrides)
    if feature.name in ("float64", "shape", "purity", "no_delegation", "half", "backward"):
        recipe_kwargs["unbatched"] = None if support.unbatched else False
        recipe_kwargs["hx_none"] = None if support.default_state else False
    edge = None
    if feature.name == "edge_cases":
        edge = draw(sampled(EDGE_CASES))
        if edge == "hidden_one":
            spec_kwargs.update(max_hidden_size=1, proj=False)
        if edge == "long_sequence":
            recipe_kwargs.update(min_time=24, max_time=48)
        if edge == "one_step":
            recipe_kwargs.update(max_time=1)
        if edge == "batch_one":
            recipe_kwargs.update(max_batch=1)
        if edge == "saturating":
            recipe_kwargs.update(scales=(6.0, 12.0))
    if feature.name == "continuation":
        recipe_kwargs.update(min_time=2, min_batch=2)
        if 1 in support.directions:
            spec_kwargs.update(bidirectional=False)
    spec = draw_supported_spec(draw, support, mode, simplest=feature.simplest, **spec_kwargs)
    return spec, draw_recipe(draw, **recipe_kwargs)
