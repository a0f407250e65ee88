"""The run's verdicts: per feature and cell, the terminal matrix, and the JSON report.

A cell is one (mode, device, dtype) of one feature; a feature's status sums its cells up: error if
any cell errored, else fail if any failed, else blocked if any was blocked (by the row named in
``blocked_by``: the same defect, not another), else pass if any passed, else unsupported. A verdict
exists only once a test has reported one: nothing is ever "pass" by default. The JSON report is
rewritten (atomically) after every verdict, so a run killed from outside still leaves every
verdict reached so far.

The score counts rows; the cells are counted too, as pytest counts their tests (a failed or errored
cell is a failed test, an unsupported or blocked one a skip), so the two summaries can be read
against each other.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..judge.status import Status

SCHEMA_VERSION = 1
#: The score's key for each status (the report schema's names).
SCORE_KEYS = {Status.PASS: "passed", Status.FAIL: "failed", Status.UNSUPPORTED: "unsupported",
              Status.ERROR: "error", Status.BLOCKED: "blocked"}
#: How the terminal matrix marks each status.
MARKS = {Status.PASS: "pass", Status.FAIL: "FAIL", Status.UNSUPPORTED: "-", Status.ERROR: "ERROR",
         Status.BLOCKED: "blocked"}


def summarise(statuses: list) -> Status:
    for status in (Status.ERROR, Status.FAIL, Status.BLOCKED, Status.PASS):
        if status in statuses:
            return status
    return Status.UNSUPPORTED


def pytest_outcome(status: str) -> str:
    """How pytest counts a cell of this status: ``failed``, ``passed`` or ``skipped``."""
    status = Status(status)
    return "failed" if status.failing else "passed" if status is Status.PASS else "skipped"


@dataclass
class ResultLog:
    impl: str
    modes: tuple
    convention: str
    binding: str
    path: Optional[Path] = None
    order: tuple = ()  # the features in matrix order
    cells: dict = field(default_factory=dict)  # feature -> cell -> verdict dict
    extra: dict = field(default_factory=dict)
    written: str = ""  # the digest of what was last written (a report changed by someone else is flagged)

    def record(self, feature: str, cell: str, verdict: dict) -> None:
        self.cells.setdefault(feature, {})[cell] = verdict
        self.write(readable=False)  # every verdict reached is on disk, should the run be killed

    def feature_summary(self, feature: str) -> dict:
        cells = self.cells.get(feature, {})
        status = summarise([c["status"] for c in cells.values()])
        worst = next((c for c in cells.values() if c["status"] == status), {})
        summary: dict[str, Any] = {
            "status": status,
            "diagnosis": list(worst.get("diagnosis", [])),
            "message": worst.get("message", ""),
        }
        if worst.get("counterexample"):
            summary["counterexample"] = worst["counterexample"]
        if worst.get("blocked_by"):
            summary["blocked_by"] = worst["blocked_by"]
        summary["cells"] = cells
        return summary

    def cell_counts(self) -> dict:
        """Every cell counted by status, and as pytest counts its test (``passed``, ``failed``, ``skipped``)."""
        statuses = [Status(verdict["status"]) for cells in self.cells.values() for verdict in cells.values()]
        counts = {str(status): statuses.count(status) for status in Status}
        counts["pytest"] = {outcome: sum(pytest_outcome(s) == outcome for s in statuses)
                            for outcome in ("passed", "failed", "skipped")}
        return counts

    def ordered_features(self) -> list:
        known = [f for f in self.order if f in self.cells]
        return known + sorted(f for f in self.cells if f not in self.order)

    def to_json(self) -> dict:
        features = {f: self.feature_summary(f) for f in self.ordered_features()}
        score = dict.fromkeys(SCORE_KEYS.values(), 0)
        for summary in features.values():
            score[SCORE_KEYS[Status(summary["status"])]] += 1
        report = {
            "schema": SCHEMA_VERSION,
            "impl": self.impl,
            "mode": ",".join(self.modes),
            "modes": list(self.modes),
            "convention": self.convention,
            "binding": self.binding,
            "features": features,
            "score": score,
            "cell_counts": self.cell_counts(),
        }
        report.update(self.extra)
        return report

    def write(self, readable: bool = True) -> None:
        """The report, replaced atomically. During the run (`readable` false) in one line: json's C
        encoder, where indenting takes its pure-Python one (0.4 s over a canonical run's 200 writes)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), indent=1 if readable else None, default=str)
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".rnnreport-", suffix=".json")
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, self.path)
        self.written = hashlib.sha256(text.encode()).hexdigest()

    def changed_by_others(self) -> bool:
        """Whether the report on disk is no longer what this log last wrote."""
        if self.path is None or not self.written:
            return False
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest() != self.written
        except OSError:
            return True

    # ------------------------------------------------------------------ terminal
    def matrix(self) -> list:
        """Lines of the capability matrix: features down, cells across."""
        columns = sorted({cell for cells in self.cells.values() for cell in cells},
                         key=lambda c: (c.split("-")[0], c.split("-")[1], c))
        if not columns:
            return []
        width = max(14, *(len(c) for c in columns))
        lines = ["feature".ljust(14) + "".join(c.rjust(width + 1) for c in columns) + "   status"]
        for feature in self.ordered_features():
            cells = self.cells[feature]
            row = feature.ljust(14)
            for column in columns:
                verdict = cells.get(column)
                row += (MARKS[Status(verdict["status"])] if verdict else "").rjust(width + 1)
            summary = self.feature_summary(feature)
            row += "   " + MARKS[summary["status"]]
            if summary.get("blocked_by"):
                row += f" by {summary['blocked_by']}"
            elif summary["diagnosis"]:
                row += f" ({', '.join(summary['diagnosis'][:2])})"
            lines.append(row)
        score, cells = self.to_json()["score"], self.cell_counts()
        tests = cells["pytest"]
        lines.append(
            f"score: {score['passed']} passed, {score['failed']} failed, {score['blocked']} blocked, "
            f"{score['unsupported']} unsupported, {score['error']} error  ('-' marks an unsupported cell)"
        )
        lines.append(f"cells: {tests['passed']} passed, {tests['failed']} failed ({cells['fail']} fail, {cells['error']} "
                     f"error), {tests['skipped']} skipped ({cells['unsupported']} unsupported, {cells['blocked']} "
                     "blocked): pytest's counts of these tests")
        return lines


def _umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
