"""What an implementation supports, and the `@implements` declaration that states it.

The binder derives a `Support` from the signature (a function that takes only layer-0 weights
supports one layer); `@implements(...)` overrides any part of it. Features whose configurations
fall outside the support are reported *unsupported*, never passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Optional, TypeVar

from .spec import MODES

ALL_MODES = frozenset(MODES)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Support:
    """The configuration space an implementation claims. `reasons` says why a part is missing."""

    modes: frozenset = ALL_MODES
    nonlinearities: frozenset = frozenset({"tanh", "relu"})
    max_layers: Optional[int] = None  # None: any number
    directions: frozenset = frozenset({1, 2})
    layouts: frozenset = frozenset({False, True})  # the batch_first values it accepts
    unbatched: bool = True
    default_state: bool = True
    bias: frozenset = frozenset({True, False})
    proj: frozenset = frozenset({False, True})  # proj_size == 0 / > 0 (LSTM)
    packed: bool = True
    differentiable: bool = True
    dtypes: Optional[frozenset] = None  # None: any
    devices: Optional[frozenset] = None  # None: any
    unsupported_features: frozenset = frozenset()
    reasons: dict = field(default_factory=dict, compare=False, hash=False)

    def without(self, reason_key: str, reason: str, **changes: Any) -> Support:
        """A narrower support, remembering why."""
        return replace(self, reasons={**self.reasons, reason_key: reason}, **changes)

    def layer_limit(self) -> int:
        return self.max_layers if self.max_layers is not None else 3


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
        proj=proj, relu=relu, packed=packed, differentiable=differentiable, dtypes=dtypes,
        devices=devices).items() if value is not None}
    declared["unsupported"] = tuple(unsupported)

    def decorate(target: F) -> F:
        setattr(target, IMPLEMENTS_ATTRIBUTE, declared)
        return target

    return decorate


def apply_declaration(support: Support, declared: dict) -> Support:
    """Override a derived support with an `@implements` declaration."""
    changes: dict[str, Any] = {}
    why = "declared by @implements"
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
    for name in ("unbatched", "default_state", "packed", "differentiable"):
        if name in declared:
            changes[name] = bool(declared[name])
    for name in ("dtypes", "devices"):
        if name in declared:
            changes[name] = frozenset(declared[name])
    changes["unsupported_features"] = support.unsupported_features | frozenset(declared.get("unsupported", ()))
    reasons = {**support.reasons, **{key: why for key in declared}}
    return replace(support, reasons=reasons, **changes)
