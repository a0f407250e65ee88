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


DOCS_HEADER = """# Features: the rows of the matrix

Made from the registry of rows (`pytest_rnnconformance/features/`, one module a row): regenerate with
`python -c "from pytest_rnnconformance.features import markdown; print(markdown(), end='')" > docs/features.md`
(a test checks that this file, the README's list and grading's default rubric agree with it).

Every row is a hypothesis property per column (mode, device, dtype). It draws the implementation's
*base* (sizes at least 2 and all distinct, one layer, one direction, its own layout and state
convention, hx given, biases, tanh, no projection, batched, evaluation mode) and varies its own
dimension away from it, nothing else, so one mistake fails the one row that owns it. When the base
fails, the other rows are *blocked* by the row that owns the base of their column (forward in the
first dtype, float64 and half in theirs) instead of failing again; `combined` points at the row a
dimension alone explains. A row is *unsupported*, with the reason, when the implementation cannot
be asked its question (its signature, a declaration, or NotImplementedError for every case).
"""


def markdown() -> str:
    """docs/features.md: the registry's rows, in matrix order, each with its paragraph."""
    lines = [DOCS_HEADER]
    for feature in registry().values():
        scope = []
        if feature.families is not None:
            scope.append(" and ".join(feature.families).upper() + " only")
        if feature.sequences_only:
            scope.append("sequences only (no single-step cell)")
        scope.append({"first": "the run's first dtype", "float64": "float64", "half": "float16 and bfloat16",
                      "base": "every dtype of the run but half ones (unless asked for)",
                      "all": "every dtype of the run"}[feature.dtypes])
        lines.append(f"## `{feature.name}`\n\n{feature.doc}\n\n*Columns:* {'; '.join(scope)}.\n")
    return "\n".join(lines)


__all__ = ["Feature", "register", "registry", "names", "markdown"]
