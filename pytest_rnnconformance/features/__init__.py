"""The rows of the capability matrix, one module each, and their registry.

Each module here defines one ``FEATURE`` (a `base.Feature`) named after the module; the registry
collects them in their matrix order. The suite, the docs (``docs/features.md``), the README's list
and grading's default rubric are all made from `registry()`, so adding a row is adding one file.
A plugin can add rows of its own with the ``pytest_rnnconformance_register_features`` hook
(`register`).
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import Feature

_INFRASTRUCTURE = ("base", "engine")
_REGISTERED: dict = {}


def _discover() -> dict:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _INFRASTRUCTURE or info.name.startswith("_"):
            continue
        feature = importlib.import_module(f"{__name__}.{info.name}").FEATURE
        if feature.name != info.name:
            raise RuntimeError(f"features/{info.name}.py defines the row {feature.name!r}: a row's module is named "
                               "after it")
        found[feature.name] = feature
    return found


_BUILT_IN: dict = _discover()


def register(feature: Feature) -> None:
    """Add a row (a plugin's own, through the register_features hook)."""
    if not isinstance(feature, Feature):
        raise TypeError(f"expected a pytest_rnnconformance.features.base.Feature, got {type(feature).__name__}")
    if feature.name in _BUILT_IN or feature.name in _REGISTERED and _REGISTERED[feature.name] is not feature:
        raise ValueError(f"a row named {feature.name!r} already exists")
    _REGISTERED[feature.name] = feature


def registry() -> dict:
    """name -> `Feature`, in matrix order."""
    rows = {**_BUILT_IN, **_REGISTERED}
    return {name: rows[name] for name in sorted(rows, key=lambda n: (rows[n].order, n))}


def names() -> tuple:
    return tuple(registry())


__all__ = ["Feature", "register", "registry", "names"]
