"""``reproduce:`` runs as printed: the snippet a failing row prints, saved as repro.py and run with
``python repro.py``, raises the same failure (the same row's check, the same diagnosis or summary),
because it carries the binding the run used: a declared ``--rnn-bind``/``--rnn-returns``/``--rnn-mode``,
or what was proven (a function that returns only its outputs), is passed to ``rnn_check``, which then
binds exactly as the run did (without it, the snippet stopped at binding with a BindingError).
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

#: A batch-first function that returns only its outputs (what it returns is proven, not declared),
#: with one mistake: no bias_hh.
OUTPUTS_ONLY = '''
import torch


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    h = h0[0]
    outs = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T)
        outs.append(h)
    return torch.stack(outs, 1)
'''

CASES = {
    # the README's declaration for the numpy homework (its own names, a cache in the result)
    "declared": ("examples/as_written/wrong/numpy_homework.py:rnn_forward",
                 ("--rnn-bind", "Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh", "--rnn-returns", "output,_"),
                 ("bind='Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh'", "returns='output,_'"),
                 "[state_not_carried]"),
    "proven": ("outputs_only.py:rnn_forward", (), ("returns='output'",), "output differs from torch.nn"),
}


def _snippet(report: dict) -> tuple:
    """(row, snippet) of the first failing cell that prints a reproduction."""
    for row, feature in report["features"].items():
        for verdict in feature["cells"].values():
            reproduce = verdict.get("failure", {}).get("reproduce")
            if verdict["status"] == "fail" and reproduce:
                return row, reproduce
    raise AssertionError("no failing cell printed a reproduction")


@pytest.mark.parametrize("case", CASES)
def test_the_printed_snippet_raises_the_same_failure(case, run_suite, pytester):
    target, declared, carried, failure = CASES[case]
    (pytester.path / "outputs_only.py").write_text(OUTPUTS_ONLY)
    run = run_suite(target, *declared, "--rnn-max-examples", "4", "--rnn-rows", "forward")
    assert run.result.ret == 1, run.output
    row, snippet = _snippet(run.report)
    assert row == "forward" and f"feature={row!r}" in snippet  # the same row's check
    assert all(keyword in snippet for keyword in carried), snippet
    assert failure in run.output
    assert snippet in run.output.replace("\n    ", "\n")  # the terminal prints the snippet the report holds
    (pytester.path / "repro.py").write_text(snippet + "\n")
    ran = subprocess.run([sys.executable, "repro.py"], cwd=pytester.path, capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "ConformanceFailure" in ran.stderr and failure in ran.stderr, ran.stderr
    assert "BindingError" not in ran.stderr
