"""Hypothesis strategies for RNN configurations and their inputs (public API; see `draw.strategies`).

``supported_by=`` takes what `rnn_check` takes: ``rnn_implementation(...)`` (with its declarations),
the ``rnn_impl`` fixture, a target string (``"my_lstm.py:lstm_forward"``), the implementation
itself, or a `Support`.
"""
from __future__ import annotations

import functools
from typing import Any, Optional

from .api import implementation_of
from .bind.support import Support
from .draw import strategies as drawn
from .draw.strategies import recipes

__all__ = ["specs", "recipes", "inputs"]


def _implementation(supported_by: Any, mode: Optional[str]) -> Any:
    if supported_by is None or isinstance(supported_by, Support):
        return supported_by
    return implementation_of(supported_by, mode)


@functools.wraps(drawn.specs)
def specs(modes=None, *, supported_by=None, **bounds):
    single = modes[0] if modes is not None and len(modes) == 1 else None
    return drawn.specs(modes, supported_by=_implementation(supported_by, single), **bounds)


@functools.wraps(drawn.inputs)
def inputs(spec, *args, supported_by=None, **bounds):
    return drawn.inputs(spec, *args, supported_by=_implementation(supported_by, spec.mode), **bounds)
