"""The extension hooks: each example works, and each hook really changes what the run does."""
from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAST = ("--rnn-max-examples", "5", "-p", "no:cacheprovider")


def test_adapt_report_and_tolerance_examples(pytester, run_pytest):
    for name in ("conftest.py", "numpy_lstm.py"):
        shutil.copy(REPO / "examples" / "hooks" / name, pytester.path / name)
    result = run_pytest("--rnn-impl", "numpy_lstm.py:NumpyLSTM", *FAST)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*adapter: *adapted by a pytest_rnnconformance_adapt hook*"])
    summary = (pytester.path / "rnn-summary.txt").read_text()  # written by the report hook
    assert "numpy_lstm.py:NumpyLSTM: 9 passed, 0 failed" in summary


def test_without_the_adapter_the_object_cannot_be_bound(pytester, run_pytest):
    shutil.copy(REPO / "examples" / "hooks" / "numpy_lstm.py", pytester.path / "numpy_lstm.py")
    result = run_pytest("--rnn-impl", "numpy_lstm.py:NumpyLSTM", *FAST)
    assert result.ret == 4


def test_the_tolerance_hook_overrides_the_policy(pytester, run_pytest):
    """A zero tolerance makes a correct implementation that rounds differently fail in float32."""
    pytester.makeconftest(
        "from pytest_rnnconformance.judge.tolerance import Tolerance\n"
        "def pytest_rnnconformance_tolerance(feature, dtype, device):\n"
        "    return Tolerance(multiple=0.0, floor=0.0)\n")
    target = str(REPO / "examples" / "reordered" / "einsum_order.py") + ":forward"
    result = run_pytest("--rnn-impl", target, "--rnn-mode", "lstm", "--rnn-dtype", "float32",
                        "--rnn-rows", "forward", *FAST)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*allowed 0 *FAIL*"])
