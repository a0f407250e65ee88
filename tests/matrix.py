"""Running the whole matrix in this process, as the suite would, for tests that need many runs.

A pytest run per implementation costs a second or more; these tests run dozens. `run_matrix`
binds and settles the implementation once (`api.runner_for`), then runs every row in every column
through the suite's own engine (`features.engine.run_row`) and sums each row up as the report does.
Only pytest's collection and reporting are left out, and tests of those use real runs (conftest's
`run_suite`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pytest

from pytest_rnnconformance.api import runner_for
from pytest_rnnconformance.features import registry
from pytest_rnnconformance.features.engine import Column, RunContext, run_row
from pytest_rnnconformance.judge.failure import FailureRaised
from pytest_rnnconformance.report.log import summarise


@dataclass
class Matrix:
    """Each row's status (summed over its columns as the JSON report does) and its first failure."""

    statuses: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)  # row -> the first Failure (fail, error or blocked)
    reasons: dict = field(default_factory=dict)  # row -> why it was unsupported
    summary: object = None

    def failing(self) -> set:
        return {row for row, status in self.statuses.items() if status in ("fail", "error")}

    def first_failure(self, named: bool = False) -> tuple:
        """(row, Failure) of the first row that failed on its own (not blocked), or (None, None); with
        `named`, of the first such row whose failure names a likely cause."""
        for row, failure in self.failures.items():
            if failure.status != "blocked" and (failure.diagnosis or not named):
                return row, failure
        return None, None

    def verdicts(self) -> str:
        """Each row's status, its first failure or its reason: an assertion's message."""
        lines = [self.summary.description]
        for row, status in self.statuses.items():
            failure = self.failures.get(row)
            said = f" {failure.summary} {failure.diagnosis} {failure.blocked_by}" if failure is not None else ""
            lines.append(f"  {row}: {status}{said}{' (' + self.reasons[row] + ')' if row in self.reasons else ''}")
        return "\n".join(lines)


def run_matrix(target, *, mode: Optional[str] = None, bind: Optional[str] = None, returns: Optional[str] = None,
               dtypes: tuple = ("float32", "float64"), half: bool = False, max_examples: int = 3,
               rows: Optional[tuple] = None, stop_at_first_failure: bool = False, named: bool = False) -> Matrix:
    """The matrix of `target` (a ``file.py:name`` or an object) on the CPU; with
    `stop_at_first_failure`, only up to the first row that fails on its own (like ``pytest -x``), or
    with `named` too, up to the first that names a likely cause."""
    runner = runner_for(target, mode, bind=bind, returns=returns)
    features = registry()
    context = RunContext(str(target), runner, max_examples, features, base_dtype=dtypes[0])
    halves = ("float16", "bfloat16") if half else ()
    columns = {"first": dtypes[:1], "float64": tuple(d for d in dtypes if d == "float64"), "half": halves,
               "base": dtypes, "all": dtypes + halves}
    matrix = Matrix(summary=runner.summary)
    for feature in features.values():
        if rows is not None and feature.name not in rows:
            continue
        found = []
        for mode_name in runner.summary.modes:
            if not feature.applies_to(mode_name):
                continue
            for dtype in columns[feature.dtypes]:
                try:
                    run_row(context, feature, Column(mode_name, "cpu", dtype))
                    found.append("pass")
                except FailureRaised as raised:
                    found.append(raised.failure.status)
                    matrix.failures.setdefault(feature.name, raised.failure)
                except pytest.skip.Exception as skip:
                    found.append("unsupported")
                    matrix.reasons.setdefault(feature.name, str(skip.msg))
        if found:
            matrix.statuses[feature.name] = summarise(found)
        if stop_at_first_failure and matrix.first_failure(named)[0] is not None:
            break
    return matrix
