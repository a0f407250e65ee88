"""Probing an implementation whose signature does not say its layout (or its state's form)."""
from __future__ import annotations

import math
from typing import Optional

from .binding import Binding, probe
from .calling import call_candidate
from .compare import _max_abs_diff
from .oracle import reference_result
from .results import interpret_candidate, named_tensors


def probe_binding(binding: Binding, impl_label: str, timeout: Optional[float] = None) -> None:
    """Settle the layout by trying each on distinct sizes and keeping the one that matches."""

    def call(inputs):
        return call_candidate(binding, inputs, timeout=timeout)[0]

    def error(inputs, raw) -> tuple:
        try:
            result = interpret_candidate(raw, inputs, binding.convention == "by-name")
        except Exception:  # noqa: BLE001 - an unusable result just means "not this layout"
            return math.inf, 0
        reference = named_tensors(reference_result(inputs), inputs.spec)
        error = max(_max_abs_diff(result.tensors[name], reference[name]) for name in reference)
        return error, len(result.shape_mismatches)

    probe(binding, call, error)
