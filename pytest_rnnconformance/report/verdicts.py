"""A row's verdict in one column, as the plain dict the JSON report, junitxml and grading read.

Made where the row ran (the test item), from the plugin's own outcome (a pass, a skip for
*unsupported*, or a `Failure`), never read back from pytest's report: what a hostile hook does to
the report cannot change it. It travels to the process that writes the report as a user property
of the test report, which pytest-xdist carries back from its workers, and junitxml writes
``rnn_status``, ``rnn_diagnosis`` and ``rnn_counterexample`` as properties of the test case.
"""
from __future__ import annotations

import json
from typing import Optional

from ..judge.failure import Failure
from ..judge.status import Status
from .render import render

PROPERTY = "rnnconformance"
MESSAGE_LIMIT = 4000


def verdict(status: Status, failure: Optional[Failure] = None, message: str = "") -> dict:
    """``{"status", "diagnosis", "message", ...}`` for one row in one column."""
    data: dict = {"status": str(status), "diagnosis": [], "message": message}  # plain data: it crosses xdist's wire
    if failure is not None:
        text = render(failure)
        data.update(diagnosis=failure.diagnosis, message=text if len(text) <= MESSAGE_LIMIT else
                    text[:MESSAGE_LIMIT] + " [...]", failure=failure.as_dict(), defect=list(map(str, failure.defect())))
        if failure.counterexample:
            data["counterexample"] = failure.counterexample
        if failure.blocked_by:
            data["blocked_by"] = failure.blocked_by
    return data


def properties(row: str, column: str, data: dict) -> list:
    """The test report's user properties: the whole verdict, and junitxml's readable ones."""
    found = [(PROPERTY, json.dumps({**data, "feature": row, "cell": column}, default=str)),
             ("rnn_status", data["status"])]
    if data["diagnosis"]:
        found.append(("rnn_diagnosis", ",".join(data["diagnosis"])))
    if data.get("blocked_by"):
        found.append(("rnn_blocked_by", data["blocked_by"]))
    if data.get("counterexample"):
        found.append(("rnn_counterexample", json.dumps(data["counterexample"], default=str)))
    return found


def from_properties(user_properties) -> Optional[dict]:
    for name, value in user_properties or ():
        if name == PROPERTY:
            return json.loads(value)
    return None
