"""The plugin as a user meets it: options, ini settings, usage errors, reports, xdist, junitxml."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from pytest_rnnconformance.plugin import SUITE_FILE

FAST = ("--rnn-max-examples", "4", "--rnn-dtype", "float64")
SCHEMA = json.loads((Path(SUITE_FILE).parent.parent / "report" / "report_schema.json").read_text())

GOOD_RNN = """
import torch

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    h, out = h0, []
    for step in x:
        h = torch.tanh(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        out.append(h)
    return torch.stack(out), h
"""


@pytest.mark.parametrize("source, target, expected", [
    (None, "missing.py:f", "file not found"),
    ("def f(:\n", "impl.py:f", "syntax error in"),
    ("raise RuntimeError('boom at import')\n", "impl.py:f", "RuntimeError: boom at import"),
    ("x = 1\n", "impl.py:f", "has no attribute 'f'"),
    ("f = 3\n", "impl.py:f", "not a function or class"),
    ("def f(a, b): pass\n", "impl.py:f", "cannot bind 'a', 'b'"),
    ("def f(x, h0, w_ih, w_hh): pass\n", "impl.py:f", "cannot tell which cell"),
    (None, "no.such.module:f", "no module named 'no'"),
    (None, "impl_without_colon", "expected 'path/to/file.py:name'"),
])
def test_unloadable_implementation_is_a_one_line_usage_error(pytester, run_pytest, source, target, expected):
    if source is not None:
        pytester.makepyfile(impl=source)
    result = run_pytest("--rnn-impl", target)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


@pytest.mark.parametrize("option, value, expected", [
    ("--rnn-mode", "transformer", "expected one of rnn, lstm, gru"),
    ("--rnn-dtype", "float8", "--rnn-dtype 'float8'"),
    ("--rnn-device", "tpu", "expected cpu or cuda"),
    ("--rnn-max-examples", "zero", "expected a positive integer"),
    ("--rnn-require", "teleport", "unknown feature(s) teleport"),
    ("--rnn-warmup-timeout", "-1", "--rnn-warmup-timeout '-1': expected a positive number"),
])
def test_bad_option_is_a_usage_error(pytester, run_pytest, option, value, expected):
    pytester.makepyfile(impl=GOOD_RNN)
    result = run_pytest("--rnn-impl", "impl.py:rnn_forward", option, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert expected in result.stderr.str()


def test_without_rnn_impl_the_plugin_adds_nothing(pytester):
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    # A new interpreter, not a preloaded one: the plugin must arrive through its entry point alone.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "RNN conformance" not in result.stdout.str()


def test_report_validates_against_the_schema(run_suite):
    run = run_suite("examples/wrong/lstm_gate_order.py:lstm_forward", *FAST)
    jsonschema.validate(run.report, SCHEMA)
    assert run.report["impl"].endswith("lstm_gate_order.py:lstm_forward")
    assert run.report["mode"] == "lstm"
    assert run.report["score"]["failed"] >= 1
    counterexample = run.report["features"]["forward"]["counterexample"]
    assert counterexample["spec"]["mode"] == "lstm" and isinstance(counterexample["seed"], int)


def test_ini_settings_are_equivalent_to_options(pytester, run_pytest):
    pytester.makepyfile(impl=GOOD_RNN)
    pytester.makeini(textwrap.dedent("""
        [pytest]
        rnn_impl = impl.py:rnn_forward
        rnn_max_examples = 3
        rnn_dtype = float64
        rnn_report = out/report.json
    """))
    result = run_pytest("-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    assert report["features"]["forward"]["status"] == "pass"
    assert list(report["features"]["forward"]["cells"]) == ["rnn-cpu-float64"]


def test_required_unsupported_feature_fails(pytester, run_pytest):
    pytester.makepyfile(impl=GOOD_RNN)
    result = run_pytest("--rnn-impl", "impl.py:rnn_forward", "--rnn-require", "multilayer", *FAST,
                        "--rnn-rows", "multilayer")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*multilayer is required (--rnn-require) but unsupported*"])


def test_test_ids_name_implementation_feature_mode_device_dtype(pytester, run_pytest):
    pytester.makepyfile(impl=GOOD_RNN)
    result = run_pytest("--rnn-impl", "impl.py:rnn_forward", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*::rnn_forward::forward[[]rnn-cpu-float32[]]",
                                 "*::rnn_forward::float64[[]rnn-cpu-float64[]]"])
    assert "proj[" not in result.stdout.str()  # no cell for an RNN: not even a skip


def test_two_files_of_the_same_name_do_not_collide(pytester):
    """Submissions are all called lstm.py: loading the second must not return the first."""
    from pytest_rnnconformance.bind.load import load_target

    first = pytester.mkdir("a") / "impl.py"
    second = pytester.mkdir("b") / "impl.py"
    first.write_text("def f():\n    return 'a'\n")
    second.write_text("def f():\n    return 'b'\n")
    assert load_target(f"{first}:f")() == "a"
    assert load_target(f"{second}:f")() == "b"


def test_junitxml_and_xdist_give_the_same_verdicts(pytester, run_pytest):
    pytester.makepyfile(impl=GOOD_RNN.replace("h @ w_hh.T + b_hh", "h @ w_hh.T"))  # wrong: no b_hh
    args = ("--rnn-impl", "impl.py:rnn_forward", *FAST, "-p", "no:cacheprovider", "-p", "no:randomly",
            "--hypothesis-profile", "ci", "--rnn-rows", "forward,edge_cases,shape")
    serial = run_pytest(*args, "--rnn-report", "serial.json", "--junitxml", "junit.xml")
    parallel = run_pytest(*args, "--rnn-report", "parallel.json", "-n", "2")
    assert serial.ret == parallel.ret == 1
    one = json.loads((pytester.path / "serial.json").read_text())
    two = json.loads((pytester.path / "parallel.json").read_text())
    assert {f: v["status"] for f, v in one["features"].items()} == {f: v["status"] for f, v in two["features"].items()}
    assert one["features"]["forward"]["counterexample"] == two["features"]["forward"]["counterexample"]
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="forward[rnn-cpu-float64]"' in junit and "<failure" in junit
    assert '<property name="rnn_status" value="fail"' in junit  # each row's verdict, as properties
    assert '<property name="rnn_diagnosis" value="missing_bias_hh"' in junit
    assert '<property name="rnn_counterexample"' in junit
    assert 'message="forward [rnn-cpu-float64]: output, h_n differ from torch.nn [missing_bias_hh]"' in junit


def test_tb_line_prints_each_failure_in_one_line(pytester, run_pytest):
    pytester.makepyfile(impl=GOOD_RNN.replace("h @ w_hh.T + b_hh", "h @ w_hh.T"))  # wrong: no b_hh
    result = run_pytest("--rnn-impl", "impl.py:rnn_forward", *FAST, "-p", "no:cacheprovider", "--rnn-rows",
                        "forward,shape", "--tb=line")
    failures = result.stdout.str().split("= FAILURES =")[1]
    lines = failures.split("\n=")[0].strip("= \n").splitlines()  # up to the next section
    assert lines == ["forward [rnn-cpu-float64]: output, h_n differ from torch.nn [missing_bias_hh]"], lines


def test_the_command_says_its_version():
    import subprocess
    import sys

    from pytest_rnnconformance import __version__

    done = subprocess.run([sys.executable, "-m", "pytest_rnnconformance.cli", "--version"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and done.stdout.startswith(f"rnnconformance {__version__} (torch ")
