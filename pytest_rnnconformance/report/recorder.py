"""The end of a run: verdicts collected as they arrive, then benchmark, expectations, summary.

Registered by the plugin only when ``--rnn-impl`` is given, on the process where reports arrive
(the only process, or the xdist controller), so the JSON report is written once and in full.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest

PROPERTY = "rnnconformance"


class RunRecorder:
    def __init__(self, run, *, benchmark: bool = False, compare_with: Optional[str] = None,
                 factor: float = 1.25, quick: bool = False) -> None:
        self.run = run
        self.benchmark = benchmark or compare_with is not None
        self.compare_with = compare_with
        self.factor = factor
        self.quick = quick
        self.lines: list = []  # extra lines for the terminal summary

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in getattr(report, "user_properties", ()):
            if name == PROPERTY:
                verdict = json.loads(value)
                feature, cell = verdict.pop("feature"), verdict.pop("cell")
                self.run.log.record(feature, cell, verdict)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):
            return
        if self.run.expectations is not None:
            judgement = self.run.expectations.judge(self.run.log.cells)
            self.run.log.extra["expectations"] = {"unexpected": [list(u) for u in judgement.unexpected],
                                                  "unmatched_entries": judgement.unmatched_entries}
            self.lines += [f"--rnn-expect: entry {entry!r} matched no cell of this run (warning)"
                           for entry in judgement.unmatched_entries]
        if self.benchmark and session.exitstatus in (0, 1):
            self._benchmark(session)
        self.run.log.write()
        inflight = getattr(self.run, "inflight_path", None)
        if inflight is not None and inflight.exists():
            inflight.unlink()  # the run ended on its own: no call is in flight
        session.config.hook.pytest_rnnconformance_report(report=self.run.log.to_json(), config=session.config)

    def _benchmark(self, session: pytest.Session) -> None:
        from .benchmark import BenchmarkError, compare, format_table, load_saved, missing_entries, run_benchmark

        results = run_benchmark(self.run.binding, self.run.devices, self.run.dtypes, quick=self.quick)
        self.run.log.extra["benchmark"] = results
        self.lines += ["speed against torch.nn (ratio = implementation / torch.nn, medians):", *format_table(results)]
        if self.compare_with is None:
            return
        try:
            saved = load_saved(Path(session.config.invocation_params.dir, self.compare_with))
        except BenchmarkError as error:
            self.lines.append(f"--rnn-benchmark-compare: {error}")
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        regressions = compare(results, saved, self.factor)
        self.lines += [f"(not measured now) {line}" for line in missing_entries(results, saved)]
        if regressions:
            self.lines += [f"REGRESSION: {line}" for line in regressions]
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        log = self.run.log
        if not log.cells:
            return
        terminalreporter.section("RNN conformance")
        terminalreporter.write_line(f"{self.run.impl}: {self.run.binding.describe()}")
        for line in log.matrix():
            terminalreporter.write_line(line)
        for line in log.extra.get("tampering", []):
            terminalreporter.write_line(f"TAMPERING {line}", red=True)
        for line in self.lines:
            terminalreporter.write_line(line)
        if log.path is not None:
            terminalreporter.write_line(f"JSON report: {log.path}")
