"""Hostile implementations: the run finishes, the verdict is right, the JSON report is written.

One implementation per behaviour of issue 5. Each is a one-layer tanh RNN in the by-name
convention with one hostile twist, run by the real plugin in a subprocess.
"""
from __future__ import annotations

import json
import os
import signal
import textwrap
import time

import pytest

from pytest_rnnconformance.run.forking import NO_FORK_ENV
from pytest_rnnconformance.run.sandbox.tools import TOOL_ENV

FAST = ("--rnn-max-examples", "3", "--rnn-dtype", "float64", "-p", "no:cacheprovider")

RNN = """
import torch

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    {before}
    h, out = h0, []
    for step in x:
        h = torch.tanh(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        out.append(h)
    {after}
    return {result}
"""


def hostile(pytester, before: str = "pass", after: str = "pass", result: str = "torch.stack(out), h",
            header: str = "") -> str:
    source = header + RNN.format(before=before, after=after, result=result)
    pytester.makepyfile(impl=textwrap.dedent(source))
    return "impl.py:rnn_forward"


def run(run_suite, target: str, *args: str, features: str = "forward,purity,no_delegation"):
    suite = run_suite(target, "--rnn-rows", features, *FAST, *args)
    assert suite.report is not None, suite.result.stdout.str()
    return suite.result, suite.statuses(), suite.report


def message(data: dict, feature: str) -> str:
    return data["features"][feature]["message"]


# ----------------------------------------------------------------------------- purity
def test_modifying_a_weight_in_place_fails_purity_naming_it(pytester, run_suite):
    target = hostile(pytester, before="b_hh.mul_(1.0)\n    b_hh.add_(0.5)")
    _, statuses, data = run(run_suite, target)
    assert statuses["purity"] == "fail"
    assert "modified `bias_hh_l0` in place" in message(data, "purity")
    assert statuses["forward"] == "fail"  # it also computes with the modified bias


def test_changing_global_torch_state_fails_purity_and_is_restored(pytester, run_suite):
    target = hostile(pytester, after="torch.set_default_dtype(torch.float64)\n    torch.set_grad_enabled(False)")
    _, statuses, data = run(run_suite, target, features="purity,shape")
    assert statuses["purity"] == "fail"
    assert "default_dtype" in message(data, "purity") and "grad_enabled" in message(data, "purity")
    assert statuses["shape"] == "pass"  # the state was restored: later checks are unaffected


def test_a_result_that_changes_between_calls_fails_purity(pytester, run_suite):
    target = hostile(pytester, result="torch.stack(out) + torch.rand(()) * 1e-3, h")
    _, statuses, data = run(run_suite, target, features="purity")
    assert statuses["purity"] == "fail"
    text = message(data, "purity")
    assert "random number generator" in text or "different" in text


# ----------------------------------------------------------------------------- delegation
DELEGATING = """
import torch

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    rnn = torch.nn.RNN(w_ih.shape[1], w_hh.shape[0]).to(x.dtype)
    with torch.no_grad():
        for p, w in zip(rnn.parameters(), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(w)
    out, h = rnn(x, h0.unsqueeze(0))
    return out, h[0]
"""


def test_calling_nn_rnn_fails_no_delegation_naming_the_call(pytester, run_suite):
    pytester.makepyfile(impl=DELEGATING)
    _, statuses, data = run(run_suite, "impl.py:rnn_forward", features="forward,no_delegation")
    assert statuses["forward"] == "pass"
    assert statuses["no_delegation"] == "fail"
    assert "torch.rnn_tanh" in message(data, "no_delegation")


def test_allow_builtin_turns_the_check_off(pytester, run_suite):
    pytester.makepyfile(impl=DELEGATING)
    _, statuses, data = run(run_suite, "impl.py:rnn_forward", "--rnn-allow-builtin", features="no_delegation")
    assert statuses["no_delegation"] == "unsupported"
    assert "--rnn-allow-builtin" in message(data, "no_delegation")


# ----------------------------------------------------------------------------- bad results
@pytest.mark.parametrize("result, expected", [
    ("torch.stack(out).tolist(), h", "returned a list"),
    ("None", "returned None; expected a tuple (output, h_n)"),
    ("torch.stack(out).to('meta'), h", "a meta tensor (it has a shape but no values)"),
    ("torch.stack(out).to_sparse(), h", "layout torch.sparse_coo"),
])
def test_unusable_results_are_errors_with_one_line(pytester, run_suite, result, expected):
    _, statuses, data = run(run_suite, hostile(pytester, result=result), features="forward")
    assert statuses["forward"] == "error"
    assert expected in message(data, "forward")
    assert "Traceback" not in message(data, "forward")


@pytest.mark.parametrize("result, reading", [
    ("torch.stack(out)", "output"),
    ("(torch.stack(out), None)", "(output,_)"),
    ("(torch.stack(out), object())", "(output,_)"),
])
def test_a_result_holding_less_than_torch_nn_s_is_read_as_proven_and_said(pytester, run_suite, result, reading):
    """Issue 20: what is returned is a fact; where torch.nn's form cannot be read, the reading that
    reproduces torch.nn is proven, said in the report, and only what it holds is judged."""
    _, statuses, data = run(run_suite, hostile(pytester, result=result), features="forward")
    assert statuses["forward"] == "pass"
    facts = {fact["fact"]: fact for fact in data["evidence"]}
    assert (facts["returns"]["value"], facts["returns"]["how"]) == (reading, "proven")


@pytest.mark.parametrize("isolate", [(), ("--rnn-isolate",)])
def test_a_tensor_subclass_is_judged_as_a_plain_tensor(pytester, run_suite, isolate):
    """Its overrides take no part in judging: a subclass whose comparisons always agree is still wrong."""
    header = ("import torch\n\nclass Agreeable(torch.Tensor):\n    def __eq__(self, other): return True\n"
              "    def __sub__(self, other): return torch.zeros_like(self)\n    def abs(self): return self * 0\n\n")
    target = hostile(pytester, header=header, result="(torch.stack(out) * 2).as_subclass(Agreeable), h")
    _, statuses, data = run(run_suite, target, *isolate, features="forward")
    assert statuses["forward"] == "fail"  # the values are wrong, whatever the subclass says about them


def test_arrays_returned_for_tensors_are_read_as_tensors(pytester, run_suite):
    _, statuses, data = run(run_suite, hostile(pytester, result="torch.stack(out).numpy(), h"), features="forward")
    assert statuses["forward"] == "pass"


def test_a_result_in_another_dtype_is_one_finding_of_the_dtype_row(pytester, run_suite):
    target = hostile(pytester, result="torch.stack(out).float(), h")
    _, statuses, data = run(run_suite, target, features="forward,dtype,float64,shape")
    assert statuses["dtype"] == "fail"
    assert "returned output as float32; the inputs were float64" in message(data, "dtype")
    assert statuses["forward"] == statuses["float64"] == statuses["shape"] == "pass"  # judged at float32


def test_nan_results_fail(pytester, run_suite):
    _, statuses, data = run(run_suite, hostile(pytester, result="torch.stack(out) * float('nan'), h"), features="forward")
    assert statuses["forward"] == "fail"
    assert "inf" in message(data, "forward")


# ----------------------------------------------------------------------------- outcomes raised inside
@pytest.mark.parametrize("statement, shown", [
    ("import pytest; pytest.skip('not today')", "pytest.skip"),
    ("import pytest; pytest.xfail('meh')", "pytest.xfail"),
    ("import unittest; raise unittest.SkipTest('later')", "SkipTest"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("import sys; sys.exit(0)", "SystemExit"),
])
def test_skips_and_escapes_from_inside_are_failures_never_skips(pytester, run_suite, statement, shown):
    result, statuses, data = run(run_suite, hostile(pytester, before=statement), features="forward")
    assert statuses["forward"] == "error"
    assert shown in message(data, "forward")
    assert result.ret == 1


# ----------------------------------------------------------------------------- hangs, crashes, memory
def test_a_hang_is_an_error_and_costs_about_its_warm_up_limit(pytester, run_suite):
    target = hostile(pytester, before="while x.shape[0] > 1:\n        pass")  # hangs only for time > 1
    result, statuses, data = run(run_suite, target, "--rnn-timeout", "1", "--rnn-warmup-timeout", "2",
                                 features="forward,edge_cases,shape")
    assert statuses["forward"] == "error" and "timed out" in message(data, "forward")
    assert "binding not settled: unproven (it ran out of time" in data["binding"]  # one timeout, not one a way
    assert "took longer than its warm-up limit of 2 s (--rnn-warmup-timeout)" in message(data, "forward")
    for later in ("edge_cases", "shape"):  # the warm-up's 2 s spent the run's two hangs: the rest are not run
        assert statuses[later] == "error" and "not run: the implementation hung in" in message(data, later)
    assert result.ret == 1
    assert result.duration < 30  # a warm-up limit of 2 s and a timeout of 1 s, not one per row and example


DEATHS = [
    ("import os; os._exit(3)", "exit code 3"),
    ("import ctypes; ctypes.string_at(0)", "SIGSEGV"),
    ("torch.empty(1 << 40, dtype=torch.uint8)", "can't allocate memory"),  # 1 TiB: torch's allocator refuses
    ("while True:\n            pass", "timed out"),
]


@pytest.mark.parametrize("statement, shown", DEATHS)
def test_isolated_worker_survives_exits_segfaults_memory_and_hangs(pytester, run_suite, statement, shown):
    target = hostile(pytester, before=f"if x.shape[0] > 1:\n        {statement}")
    result, statuses, data = run(run_suite, target, "--rnn-isolate", "--rnn-timeout", "1", "--rnn-warmup-timeout", "2",
                                 features="forward,shape,purity")
    assert "error" in statuses.values(), statuses
    failing = next(f for f, s in statuses.items() if s == "error")
    assert shown in message(data, failing)
    assert set(statuses) == {"forward", "shape", "purity"}  # the run completed every feature


def test_a_worker_started_as_a_new_interpreter_is_replaced_after_a_segfault(pytester, run_suite, monkeypatch):
    # Where forking is unsafe the worker is a new interpreter, seconds to start: this one dies on
    # every tenth call of its life (after the probe, in the rows), so a few replacements show the path.
    monkeypatch.setenv(NO_FORK_ENV, "1")
    target = hostile(pytester, header="CALLS = []\n", before="CALLS.append(1)\n    if len(CALLS) == 10:\n"
                                                               "        import ctypes; ctypes.string_at(0)")
    result, statuses, data = run(run_suite, target, "--rnn-isolate", features="forward,shape,purity")
    assert "error" in statuses.values(), statuses
    failing = next(f for f, s in statuses.items() if s == "error")
    assert "SIGSEGV" in message(data, failing)
    assert set(statuses) == {"forward", "shape", "purity"}  # the run completed every feature


# ----------------------------------------------------------------------------- tampering
TAMPERING = """
import torch, numpy, pytest_rnnconformance.judge.compare as compare

torch.allclose = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    compare.measure = lambda *a, **k: []
    torch.testing.assert_close = lambda *a, **k: None
    return torch.zeros(x.shape[0], x.shape[1], w_hh.shape[0], dtype=x.dtype), h0
"""


def test_tampering_in_process_is_detected_and_cannot_pass(pytester, run_suite):
    pytester.makepyfile(impl=TAMPERING)
    _, statuses, data = run(run_suite, "impl.py:rnn_forward", features="forward,purity")
    assert statuses["forward"] == "error"
    assert "tampering" in message(data, "forward") and "compare.measure" in message(data, "forward")
    assert statuses["purity"] == "error" and "at import" in message(data, "purity")
    assert any("torch.allclose" in entry for entry in data["tampering"])


def test_tampering_in_the_isolated_worker_changes_nothing(pytester, run_suite, monkeypatch):
    # The worker unsandboxed, where the implementation can import the plugin and replace its functions:
    # the process boundary alone keeps the judge's (in the sandbox the import itself fails, test_sandbox.py).
    monkeypatch.setenv(TOOL_ENV, "none")
    pytester.makepyfile(impl=TAMPERING)
    _, statuses, _ = run(run_suite, "impl.py:rnn_forward", "--rnn-isolate", features="forward")
    assert statuses["forward"] == "fail"  # judged honestly: zeros are wrong


# ----------------------------------------------------------------------------- noise and interruption
def test_a_flood_of_prints_and_warnings_does_not_flood_the_report(pytester, run_suite):
    target = hostile(pytester, before="import warnings\n    for i in range(1000):\n        print('noise', i)\n"
                                      "        warnings.warn('loud')", result="torch.stack(out), h * 2")
    result, statuses, data = run(run_suite, target, features="forward")
    assert statuses["forward"] == "fail"
    assert len(message(data, "forward")) < 6000
    assert len(result.stdout.str()) < 60000


def test_a_run_killed_from_outside_keeps_every_verdict_reached(pytester, preloaded_python, tmp_path):
    if preloaded_python is None:
        pytest.skip("needs os.fork (the preloaded Python) to start a run it can kill")
    target = hostile(pytester, before="import time; time.sleep(0.1)")
    report = pytester.path / "report.json"
    pid = preloaded_python.start(pytester.path, ("--rnn-impl", target, "--rnn-report", str(report), *FAST), None,
                                 tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline and not (report.exists() and len(json.loads(report.read_text())["features"]) >= 2):
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    assert preloaded_python.finished() == -signal.SIGKILL
    data = json.loads(report.read_text())
    assert len(data["features"]) >= 2
    assert all(f["status"] in ("pass", "unsupported") for f in data["features"].values())
    assert "score" in data


# ----------------------------------------------------------------------------- attacks on the judge
STACK_WALKER = """
import gc, sys
import torch

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    # Look for the judge's expected results: in the frames above, then anywhere in memory.
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in frame.f_locals.items():
            if name in ("expected", "oracles", "reference") and value is not None:
                found = getattr(value, "torch_nn", value)
                if isinstance(found, dict) and "output" in found:
                    return found["output"], found["h_n"][0]
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and set(obj) == {"output", "h_n"}:
            out, h = obj["output"], obj["h_n"]
            if isinstance(out, torch.Tensor) and out.shape[:2] == x.shape[:2] and out.dtype == x.dtype:
                return out.clone(), h[0].clone()
    return torch.zeros(x.shape[0], x.shape[1], w_hh.shape[1], dtype=x.dtype), h0
"""


@pytest.mark.parametrize("isolate", [(), ("--rnn-isolate",)])
def test_no_expected_result_exists_while_the_implementation_runs(pytester, run_suite, isolate):
    pytester.makepyfile(impl=STACK_WALKER)
    result, statuses, _ = run(run_suite, "impl.py:rnn_forward", *isolate, features="forward,edge_cases")
    assert statuses["forward"] == "fail" and result.ret == 1  # it found nothing to copy


GC_HOOK = """
import gc
import torch

class Forger:
    def pytest_runtest_logreport(self, report):
        report.outcome = "passed"
        report.user_properties[:] = []

def configs():
    # the Config itself is frozen out of gc's lists (the plugin freezes import-time objects), but the
    # test items made after it are not, and each holds it
    for obj in gc.get_objects():
        try:
            config = obj if type(obj).__name__ == "Config" else getattr(obj, "config", None)
        except Exception:
            continue
        if type(config).__name__ == "Config" and hasattr(config, "pluginmanager"):
            yield config

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    for config in configs():
        if config.pluginmanager.get_plugin("forger") is None:
            config.pluginmanager.register(Forger(), "forger")
    return torch.zeros(x.shape[0], x.shape[1], w_hh.shape[1], dtype=x.dtype), h0
"""


def test_a_hook_registered_from_inside_is_removed_and_the_run_fails(pytester, run_suite):
    pytester.makepyfile(impl=GC_HOOK)
    result, statuses, data = run(run_suite, "impl.py:rnn_forward", features="forward,shape")
    assert result.ret == 1
    assert statuses["forward"] in ("fail", "error") and "pass" not in statuses.values()
    assert "pytest's plugins (it registered forger)" in message(data, "forward")


ATEXIT = """
import atexit, json, os, sys
import torch

def rewrite():
    path = sys.argv[sys.argv.index("--rnn-report") + 1]
    data = json.load(open(path))
    for feature in data["features"].values():
        feature["status"] = "pass"
    json.dump(data, open(path, "w"))
    os._exit(0)

atexit.register(rewrite)

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    atexit.register(rewrite)
    return torch.zeros(x.shape[0], x.shape[1], w_hh.shape[1], dtype=x.dtype), h0
"""


def test_an_exit_handler_cannot_rewrite_the_report_or_the_exit_status(pytester, run_suite):
    pytester.makepyfile(impl=ATEXIT)
    result, statuses, data = run(run_suite, "impl.py:rnn_forward", features="forward,purity")
    assert result.ret == 1
    assert statuses["forward"] in ("fail", "error") and statuses["purity"] == "error"
    assert "atexit" in message(data, "purity") or any("atexit" in entry for entry in data.get("tampering", []))


REPATCHING = """
import torch
import pytest_rnnconformance.features.base as base
import pytest_rnnconformance.judge.compare as compare

def _no_failure(*args, **kwargs):
    return None

def _nothing(*args, **kwargs):
    return 0.0

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    base.judge = _no_failure                          # a name another module imported
    compare.max_abs_diff.__code__ = _nothing.__code__  # a function's code, identity unchanged
    return torch.zeros(x.shape[0], x.shape[1], w_hh.shape[1], dtype=x.dtype), h0
"""


def test_judging_functions_patched_on_every_call_are_caught_and_put_back(pytester, run_suite, monkeypatch):
    pytester.makepyfile(impl=REPATCHING)
    result, statuses, data = run(run_suite, "impl.py:rnn_forward", features="forward,edge_cases")
    assert result.ret == 1 and "pass" not in statuses.values()
    text = message(data, "forward")
    assert "tampering" in text and "features.base.judge" in text and "max_abs_diff (its code)" in text
    monkeypatch.setenv(TOOL_ENV, "none")  # a worker that can import the plugin (a sandboxed one cannot)
    _, statuses, _ = run(run_suite, "impl.py:rnn_forward", "--rnn-isolate", features="forward")
    assert statuses["forward"] == "fail"  # isolated, the patches land in the worker: judged honestly


def test_a_problems_brief_is_cut_at_a_clause_or_a_word_never_inside_one():
    from pytest_rnnconformance.run.call import BRIEF, Problem

    restarted = Problem("error", "timed out: the call took longer than 10 s (--rnn-timeout); the worker was killed and "
                                 "will be restarted")
    assert restarted.brief() == "timed out: the call took longer than 10 s (--rnn-timeout)"
    long = Problem("error", "returned " + " ".join(["garbage"] * 40))
    assert long.brief().endswith("garbage ...") and len(long.brief()) <= BRIEF + 4
    unbroken = Problem("error", "x" * 300)
    assert unbroken.brief() == "x" * BRIEF + " ..."
