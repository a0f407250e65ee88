"""What an implementation supports, and the `@implements` declaration that states it.

The binder derives a `Support` from the signature (a function that takes only layer-0 weights
supports one layer), the probe narrows it (the layout it answers in, whether it takes arrays), and
``NotImplementedError`` during the run narrows it again; ``@implements(...)`` overrides any part of
it. Rows whose dimension falls outside the support are reported *unsupported*, never passed; the
base configuration every row varies from lies inside it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Optional, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Support:
    """The configuration space an implementation claims. `reasons` says why a part is missing."""

    modes: frozenset = frozenset()
    nonlinearities: frozenset = frozenset({"tanh", "relu"})
    max_layers: Optional[int] = None  # None: any number
    directions: frozenset = frozenset({1, 2})
    layouts: frozenset = frozenset({False, True})  # the batch_first values it accepts
    batched: bool = True  # takes (time, batch, features) input
    unbatched: bool = True  # takes (time, features) input
    state_given: bool = True  # hx can be passed
    cell_state_given: bool = True  # an LSTM's c0 can be passed (else it starts from zeros)
    default_state: bool = True  # hx can be omitted
    bias: frozenset = frozenset({True, False})
    proj: frozenset = frozenset({False, True})  # proj_size == 0 / > 0 (LSTM)
    packed: bool = True
    dropout: bool = True  # takes a dropout probability
    training: bool = True  # can be asked for training mode (train=True)
    differentiable: bool = True
    dtypes: Optional[frozenset] = None  # None: any
    devices: Optional[frozenset] = None  # None: any
    unsupported_features: frozenset = frozenset()
    reasons: dict = field(default_factory=dict, compare=False, hash=False)
    declared: frozenset = frozenset()  # the reason keys a declaration set (@implements, a pinned --rnn-bind)

    def without(self, reason_key: str, reason: str, **changes: Any) -> Support:
        """A narrower support, remembering why."""
        return replace(self, reasons={**self.reasons, reason_key: reason}, **changes)

    def declare(self, reason_key: str, reason: str, **changes: Any) -> Support:
        """A narrower support the user declared (the header says so)."""
        return replace(self.without(reason_key, reason, **changes), declared=self.declared | {reason_key})

    def layer_limit(self) -> int:
        return self.max_layers if self.max_layers is not None else 3

    def reason(self, key: str, default: str) -> str:
        return self.reasons.get(key, default)


IMPLEMENTS_ATTRIBUTE = "__rnn_implements__"


def implements(
    *,
    modes: Optional[Iterable[str]] = None,
    layers: Optional[int] = None,
    bidirectional: Optional[bool] = None,
    unidirectional: Optional[bool] = None,
    batch_first: Optional[Iterable[bool]] = None,
    unbatched: Optional[bool] = None,
    default_state: Optional[bool] = None,
    bias: Optional[Iterable[bool]] = None,
    proj: Optional[bool] = None,
    relu: Optional[bool] = None,
    packed: Optional[bool] = None,
    dropout: Optional[bool] = None,
    differentiable: Optional[bool] = None,
    dtypes: Optional[Iterable[str]] = None,
    devices: Optional[Iterable[str]] = None,
    unsupported: Iterable[str] = (),
) -> Callable[[F], F]:
    """Declare what an implementation supports, overriding what its signature suggests.

    ``@implements(modes=["lstm"], layers=2, batch_first=[True], unsupported=["packed"])``.
    `layers` is the maximum number of layers; `unsupported` names features (DESIGN.md's list).
    """
    declared = {key: value for key, value in dict(
        modes=modes, layers=layers, bidirectional=bidirectional, unidirectional=unidirectional,
        batch_first=batch_first, unbatched=unbatched, default_state=default_state, bias=bias,
        proj=proj, relu=relu, packed=packed, dropout=dropout, differentiable=differentiable, dtypes=dtypes,
        devices=devices).items() if value is not None}
    declared["unsupported"] = tuple(unsupported)

    def decorate(target: F) -> F:
        setattr(target, IMPLEMENTS_ATTRIBUTE, declared)
        return target

    return decorate


def apply_declaration(support: Support, declared: dict) -> Support:
    """Override a derived support with an `@implements` declaration."""
    changes: dict[str, Any] = {}
    if "modes" in declared:
        changes["modes"] = frozenset(declared["modes"])
    if "layers" in declared:
        changes["max_layers"] = int(declared["layers"])
    directions = set(support.directions)
    if "bidirectional" in declared:
        directions = (directions | {2}) if declared["bidirectional"] else (directions - {2})
    if "unidirectional" in declared:
        directions = (directions | {1}) if declared["unidirectional"] else (directions - {1})
    changes["directions"] = frozenset(directions)
    if "batch_first" in declared:
        changes["layouts"] = frozenset(bool(v) for v in declared["batch_first"])
    if "bias" in declared:
        changes["bias"] = frozenset(bool(v) for v in declared["bias"])
    if "proj" in declared:
        changes["proj"] = frozenset({False, True}) if declared["proj"] else frozenset({False})
    if "relu" in declared:
        changes["nonlinearities"] = frozenset({"tanh", "relu"}) if declared["relu"] else frozenset({"tanh"})
    for name in ("unbatched", "default_state", "packed", "dropout", "differentiable"):
        if name in declared:
            changes[name] = bool(declared[name])
    for name in ("dtypes", "devices"):
        if name in declared:
            changes[name] = frozenset(declared[name])
    changes["unsupported_features"] = support.unsupported_features | frozenset(declared.get("unsupported", ()))
    why = "declared by @implements"
    keys = {READER_KEYS.get(key, key) for key in declared if key != "unsupported"}
    reasons = {**support.reasons, **{key: why for key in keys}}
    return replace(support, reasons=reasons, declared=support.declared | keys, **changes)


#: `@implements`' arguments -> the reason keys the rows ask for (one key space: ``needs(..., "no_bias")``).
READER_KEYS = {"layers": "multilayer", "batch_first": "layout", "bias": "no_bias"}
