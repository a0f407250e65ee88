"""Extension hooks (pluggy), registered through ``pytest_addhooks``; implement them in a conftest.py
or a plugin. Each has an example in ``examples/hooks/conftest.py``.
"""
from __future__ import annotations

import pytest


@pytest.hookspec(firstresult=True)
def pytest_rnnconformance_adapt(obj, name, mode):
    """Turn an object the binder does not know (a JAX function, an ONNX model, a numpy class) into a
    function of the canonical convention, ``forward(input, hx, params, spec)``, or return None.

    `obj` is what ``--rnn-impl`` named, `name` its ``--rnn-impl`` text, `mode` the ``--rnn-mode``
    (or None). The returned function may carry an ``@implements(...)`` declaration.
    """


@pytest.hookspec(firstresult=True)
def pytest_rnnconformance_tolerance(feature, dtype, device):
    """Override the tolerance policy for one feature, dtype (a ``torch.dtype``) and device
    (``"cpu"``/``"cuda"``): return a ``pytest_rnnconformance.tolerance.Tolerance``, or None to keep it."""


@pytest.hookspec
def pytest_rnnconformance_report(report, config):
    """Receive the final JSON report (a dict, DESIGN.md's schema) at the end of the run."""


@pytest.hookspec
def pytest_rnnconformance_register_cells(config):
    """Return cell types (``pytest_rnnconformance.CellType``, one or a list) to test besides
    torch.nn's RNN, LSTM and GRU. Each becomes a mode (``--rnn-mode NAME``): the suite draws its
    specs, runs its reference as the float64 oracle (and in the candidate's dtype where torch.nn
    would stand), and checks every feature that applies. See ``examples/hooks/peephole/``."""


@pytest.hookspec
def pytest_rnnconformance_register_features(config):
    """Return rows of your own (``pytest_rnnconformance.features.base.Feature``, one or a list) to add
    to the capability matrix: each is run in every column it applies to, reported in the matrix, the
    JSON report and junitxml like the built-in rows. A row is one object: its name and order, doc,
    draws (`Dimensions`) and check. See docs/architecture.md."""
