"""``reproduce:`` runs as printed: the snippet a failing row prints, saved as repro.py and run with
``python repro.py``, raises the same failure (the same row's check, the same diagnosis), because it
carries the binding the run used: a declared ``--rnn-bind``/``--rnn-returns``/``--rnn-mode`` is passed
to ``rnn_check``, which binds exactly as the run did (without it, the snippet stops at binding).
"""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO

WRONG_HOMEWORK = "examples/as_written/wrong/numpy_homework.py:rnn_forward"
#: The README's declaration for the numpy homework (its own names, a cache in the result).
DECLARED = ("--rnn-bind", "Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh", "--rnn-returns", "output,_")


def _snippet(report: dict) -> tuple:
    """(row, diagnosis, snippet) of the first failing cell that prints a reproduction."""
    for row, feature in report["features"].items():
        for verdict in feature["cells"].values():
            reproduce = verdict.get("failure", {}).get("reproduce")
            if verdict["status"] == "fail" and reproduce:
                return row, verdict["diagnosis"], reproduce
    raise AssertionError("no failing cell printed a reproduction")


def test_the_printed_snippet_raises_the_same_failure_with_the_declared_binding(run_suite, pytester):
    run = run_suite(WRONG_HOMEWORK, *DECLARED, "--rnn-max-examples", "4", "--rnn-rows", "forward")
    assert run.result.ret == 1, run.output
    row, diagnosis, snippet = _snippet(run.report)
    assert row == "forward" and diagnosis == ["state_not_carried"], (row, diagnosis)
    assert "bind='Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh'" in snippet and "returns='output,_'" in snippet
    assert snippet in run.output.replace("\n    ", "\n")  # the terminal prints the snippet the report holds
    script = pytester.path / "repro.py"
    script.write_text(snippet + "\n")
    ran = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert f"feature={row!r}" in snippet  # the same row's check
    assert "ConformanceFailure" in ran.stderr and "[state_not_carried]" in ran.stderr, ran.stderr
    assert "BindingError" not in ran.stderr
