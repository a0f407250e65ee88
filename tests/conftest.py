"""Shared helpers for the plugin's own tests: run the suite on an implementation, read its report."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

pytest_plugins = ["pytester"]


class SuiteRun:
    def __init__(self, result, report_path: Path) -> None:
        self.result = result
        self.report = json.loads(report_path.read_text()) if report_path.exists() else None
        self.output = result.stdout.str() + result.stderr.str()

    def status(self, feature: str) -> str:
        return self.report["features"][feature]["status"]

    def statuses(self) -> dict:
        return {name: f["status"] for name, f in self.report["features"].items()}


@pytest.fixture
def run_suite(pytester):
    """``run_suite("examples/x.py:f", "--rnn-max-examples", "5")`` runs the suite in a subprocess."""

    def run(target: str, *args: str) -> SuiteRun:
        if ":" in target and not target.startswith(("/", "reference")) and (REPO / target.split(":")[0]).exists():
            target = str(REPO / target.split(":")[0]) + ":" + target.split(":", 1)[1]
        report = pytester.path / "report.json"
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--rnn-impl", target, "--rnn-report", str(report), *args)
        return SuiteRun(result, report)

    return run
