"""Never a crash, always one count: whatever an implementation returns or does, the run ends with
its verdicts (no INTERNALERROR, the report written), the matrix's cells equal pytest's own counts,
and every blocked row points at a row that fails, whose block is printed.

Each implementation here is one way a run used to lie or crash: a list of one step too many (an
INTERNALERROR in reading it), ``--rnn-returns "_,h_n"`` (continuation read the output it was told
was not there: 1,000 lines of traceback, the score "0 failed, 1 error" against pytest's "3 failed"),
a default-dtype buffer that crashes under float64 (float64 and dtype blocked each other, and the
finding was only in the JSON), results that change from call to call (hypothesis's raw Flaky), and
a row of a plugin's own whose check raises.
"""
from __future__ import annotations

import re

import pytest

RIGHT_STEP = "h = torch.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)"


def rnn(returned: str, *, before: str = "", step: str = RIGHT_STEP, header: str = "") -> str:
    """A seq-first one-layer RNN whose last line returns `returned` (built from outs, h)."""
    return (f"import torch\n{header}\n\ndef rnn_forward(input, hx, weight_ih, weight_hh, bias_ih, bias_hh):\n"
            f"    h = hx[0]\n    outs = []\n{before}    for x in input:\n        {step}\n        outs.append(h)\n"
            f"    return {returned}\n")


#: name -> (source, extra arguments, exit status or None (either: the binder may prove a reading of an
#: odd structure that reproduces torch.nn), the row that must fail or error, a line its block prints)
CASES = {
    "declared_hn_only": (rnn("torch.stack(outs), h.unsqueeze(0)"), ("--rnn-returns", "_,h_n"), 0, None, None),
    "one_step_too_many": (rnn("[hx[0]] + outs, h.unsqueeze(0)"), ("--rnn-returns", "output,h_n"), 1, "forward",
                          "steps for output; the input has"),
    "dict": (rnn("{'output': torch.stack(outs), 'h_n': h}"), (), None, None, None),
    "generator": (rnn("(o for o in outs), h.unsqueeze(0)"), (), None, None, None),
}
DEFAULT_DTYPE_BUFFER = rnn("torch.stack(outs), h.unsqueeze(0)", before="    h = torch.zeros(h.shape) + h.float()\n")
FLAKY = rnn("torch.stack(outs) + (1 if draws.random() < 0.2 else 0), h.unsqueeze(0)",
            header="import random\ndraws = random.Random(0)")


def _pytest_counts(output: str) -> dict:
    """pytest's own counts from its last line: ``3 failed, 21 passed, 16 skipped in 0.83s``."""
    last = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|skipped).* in [\d.]+s", line)][-1]
    counts = {outcome: 0 for outcome in ("passed", "failed", "skipped")}
    counts.update({outcome: int(n) for n, outcome in re.findall(r"(\d+) (passed|failed|skipped|error)", last)})
    return counts


def check_counts_and_blocks(run) -> None:
    """What holds of every run: no INTERNALERROR, a report, equal counts, no blocked cycle, and every
    blocked row's owner failing in this run or its finding printed."""
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output, run.output[-3000:]
    assert run.report is not None, run.output[-3000:]
    counted, recorded = _pytest_counts(run.output), run.report["cell_counts"]["pytest"]
    assert {k: counted[k] for k in recorded} == recorded and not counted.get("error"), (counted, recorded)
    assert (f"cells: {recorded['passed']} passed, {recorded['failed']} failed" in run.output)
    cells = {row: feature["cells"] for row, feature in run.report["features"].items()}
    failing = {row for row, row_cells in cells.items() if any(v["status"] in ("fail", "error") for v in row_cells.values())}
    for row, row_cells in cells.items():
        for cell, verdict in row_cells.items():
            if verdict["status"] != "blocked":
                continue
            owner = verdict["blocked_by"]
            assert owner != row and owner in cells, (row, cell, owner)
            owner_blocked_by = {v.get("blocked_by") for v in cells[owner].values() if v["status"] == "blocked"}
            assert row not in owner_blocked_by, f"{row} and {owner} block each other"
            assert owner in failing or f"{row} [{cell}] is blocked by {owner}" in run.output, (row, cell, owner)


@pytest.mark.parametrize("case", CASES)
def test_every_run_ends_in_verdicts_that_pytest_counts_alike(case, run_suite, pytester):
    source, extra, status, row, line = CASES[case]
    pytester.makepyfile(impl=source)
    run = run_suite("impl.py:rnn_forward", "--rnn-max-examples", "3", *extra)
    assert run.result.ret == status if status is not None else run.result.ret in (0, 1), run.output[-3000:]
    check_counts_and_blocks(run)
    if row is not None:
        assert run.report["features"][row]["status"] in ("fail", "error"), run.report["features"][row]
        block = run.output.split(f"{row} [rnn-cpu-", 1)[1].split("\n_____", 1)[0]  # the row's own block
        assert line in block, block


def test_a_default_dtype_buffer_is_dtypes_finding_not_a_cycle(run_suite, pytester):
    """The issue's case: float64 and dtype blocked each other; now dtype fails, naming the cause,
    and float64's column is blocked by dtype."""
    pytester.makepyfile(impl=DEFAULT_DTYPE_BUFFER)
    run = run_suite("impl.py:rnn_forward", "--rnn-max-examples", "3")
    assert run.result.ret == 1
    features = run.report["features"]
    assert features["dtype"]["status"] == "error" and features["dtype"]["diagnosis"] == ["default_dtype_buffer"]
    block = run.output.split("\ndtype [rnn-cpu-", 1)[1].split("\n_____", 1)[0]  # printed in dtype's own block
    assert "likely cause [default_dtype_buffer]" in block, run.output[-3000:]
    assert features["float64"]["status"] == "blocked" and features["float64"]["blocked_by"] == "dtype"
    assert features["forward"]["status"] == "pass"  # float32 is right: the base is not blamed
    check_counts_and_blocks(run)


def test_a_flaky_failure_is_one_error_line_of_its_row(run_suite, pytester):
    pytester.makepyfile(impl=FLAKY)
    run = run_suite("impl.py:rnn_forward", "--rnn-max-examples", "4")
    assert run.result.ret == 1
    check_counts_and_blocks(run)
    flaky = [v for f in run.report["features"].values() for v in f["cells"].values()
             if v["status"] == "error" and v["failure"]["kind"] == "flaky"]
    assert flaky, run.output[-3000:]
    assert all(v["failure"]["summary"].startswith("flaky: ") and "\n" not in v["failure"]["summary"] for v in flaky)
    assert "FlakyFailure" not in run.output and "Falsifying" not in run.output


ROW_THAT_RAISES = '''
from pytest_rnnconformance.features.base import Feature


def check(row, inputs):
    row.result(inputs).tensors["no such result"]


def pytest_rnnconformance_register_features(config):
    return Feature("raises", 215, "A row whose own check raises.", check, judges_values=False)
'''


def test_a_check_that_raises_is_one_error_line_counted_like_any(run_suite, pytester):
    pytester.makepyfile(impl=rnn("torch.stack(outs), h.unsqueeze(0)"))
    pytester.makeconftest(ROW_THAT_RAISES)
    run = run_suite("impl.py:rnn_forward", "--rnn-max-examples", "3", "--rnn-rows", "forward,raises")
    assert run.result.ret == 1
    verdict = run.report["features"]["raises"]
    assert verdict["status"] == "error" and verdict["cells"]["rnn-cpu-float32"]["failure"]["kind"] == "internal"
    assert "raised KeyError: 'no such result' (at conftest.py:" in run.output
    assert "not of the implementation" in run.output
    check_counts_and_blocks(run)


REPORT_FLIPPED = '''
import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        report.outcome = "passed"
    return report
'''


def test_counts_that_disagree_with_the_verdicts_fail_the_run(run_suite, pytester):
    """A hook that turns failed reports into passes: pytest's counts no longer match the cells the
    plugin recorded, which the summary says, and the run fails."""
    pytester.makepyfile(impl=rnn("torch.stack(outs), h.unsqueeze(0)", step=RIGHT_STEP.replace(" + bias_hh", "")))
    pytester.makepyfile(flipper=REPORT_FLIPPED)  # a plugin (-p): a conftest's hooks do not reach the suite's items
    run = run_suite("impl.py:rnn_forward", "-p", "flipper", "--rnn-max-examples", "3", "--rnn-rows", "forward,shape")
    assert run.result.ret == 1
    assert "pytest counted 3 passed of the suite's tests, but the plugin recorded 1 failed, 2 passed" in run.output


ROW_THAT_OVERFLOWS = '''
from pytest_rnnconformance.features.base import Feature
from pytest_rnnconformance.judge.failure import OutOfRange


def check(row, inputs):
    raise OutOfRange("the exact result does not fit")


def pytest_rnnconformance_register_features(config):
    return Feature("overflows", 215, "A row none of whose cases can be judged.", check, judges_values=False)
'''


def test_a_row_that_judged_no_case_is_unsupported_saying_why(run_suite, pytester):
    """Every case rejected (hypothesis's Unsatisfiable): unsupported with the reason, not a crash."""
    pytester.makepyfile(impl=rnn("torch.stack(outs), h.unsqueeze(0)"))
    pytester.makeconftest(ROW_THAT_OVERFLOWS)
    run = run_suite("impl.py:rnn_forward", "--rnn-max-examples", "3", "--rnn-rows", "forward,overflows")
    assert run.result.ret == 0, run.output[-3000:]
    verdict = run.report["features"]["overflows"]["cells"]["rnn-cpu-float32"]
    assert verdict["status"] == "unsupported" and "every case drawn overflows float32" in verdict["message"]
    check_counts_and_blocks(run)
