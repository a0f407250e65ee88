"""The end of a run: verdicts collected as they arrive, each defect printed once, then benchmark,
expectations, the exit status checked against the plugin's own records, and the summary.

Registered by the plugin only when ``--rnn-impl`` is given, on the process where reports arrive
(the only process, or the xdist controller), so the JSON report is written once and in full.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from .verdicts import from_properties


class RunRecorder:
    def __init__(self, run, *, benchmark: bool = False, compare_with: Optional[str] = None,
                 factor: float = 1.25, quick: bool = False) -> None:
        self.run = run
        self.benchmark = benchmark or compare_with is not None
        self.compare_with = compare_with
        self.factor = factor
        self.quick = quick
        self.lines: list = []  # extra lines for the terminal summary
        self.defects: dict = {}  # a defect's key -> the first "row [column]" that showed it
        self.tampered: list = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        verdict = from_properties(getattr(report, "user_properties", ()))
        if verdict is None:
            return
        feature, cell = verdict.pop("feature"), verdict.pop("cell")
        self.run.log.record(feature, cell, verdict)
        if report.when == "call" and report.failed and verdict.get("defect"):
            key = tuple(verdict["defect"])
            first = self.defects.setdefault(key, f"{feature}[{cell}]")
            if first != f"{feature}[{cell}]":
                report.longrepr = f"same defect as {first}: {verdict['failure']['summary']}"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):
            return
        log = self.run.log
        if self.run.expectations is not None:
            judgement = self.run.expectations.judge(log.cells)
            log.extra["expectations"] = {"unexpected": [list(u) for u in judgement.unexpected],
                                         "unmatched_entries": judgement.unmatched_entries}
            self.lines += [f"--rnn-expect: entry {entry!r} matched no cell of this run (warning)"
                           for entry in judgement.unmatched_entries]
        if self.benchmark and session.exitstatus in (0, 1):
            self._benchmark(session)
        self._check_exit_status(session)
        log.write()
        inflight = getattr(self.run, "inflight_path", None)
        if inflight is not None and inflight.exists():
            inflight.unlink()  # the run ended on its own: no call is in flight
        session.config.hook.pytest_rnnconformance_report(report=log.to_json(), config=session.config)

    def _check_exit_status(self, session: pytest.Session) -> None:
        """A run whose own records hold a failure never exits 0, whatever pytest's reports say."""
        statuses = [verdict["status"] for cells in self.run.log.cells.values() for verdict in cells.values()]
        expected_gaps = self.run.expectations is not None
        failing = [s for s in statuses if s in ("fail", "error")]
        if failing and not expected_gaps and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.tampered.append(f"pytest's outcome said all passed, but the plugin recorded {len(failing)} failing "
                                 "cell(s): the exit status is set from the plugin's records (tampering?)")
        owners = sorted({verdict.get("blocked_by", "") for cells in self.run.log.cells.values()
                         for verdict in cells.values() if verdict["status"] == "blocked"} - set(self.run.log.cells))
        if owners and not expected_gaps and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a blocked row is a defect, found in a row not run
            self.lines.append(f"blocked by {', '.join(owners)}, which this run did not check (--rnn-rows): "
                              "the defect is there all the same")
        checked = [s for s in statuses if s in ("pass", "fail", "error", "blocked")]
        if statuses and not checked and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.lines.append("nothing could be checked: every row was unsupported, so the run cannot pass")
        if self.tampered:
            self.run.log.extra.setdefault("tampering", []).extend(self.tampered)

    def _benchmark(self, session: pytest.Session) -> None:
        from .benchmark import BenchmarkError, compare, format_table, load_saved, missing_entries, run_benchmark

        results = run_benchmark(self.run.benchmark_prepare, self.run.summary, self.run.devices, self.run.dtypes,
                                quick=self.quick)
        self.run.log.extra["benchmark"] = results
        self.lines += ["speed against torch.nn (ratio = implementation / torch.nn, median of paired ratios):",
                       *format_table(results)]
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
        terminalreporter.write_line(f"{self.run.impl}: {self.run.summary.description}")
        for line in log.matrix():
            terminalreporter.write_line(line)
        blocked = [(f, c, v) for f, cells in log.cells.items() for c, v in cells.items() if v["status"] == "blocked"]
        if blocked and terminalreporter.config.option.tbstyle != "no":
            owners = sorted({v.get("blocked_by", "") for _, _, v in blocked})
            terminalreporter.write_line(f"{len(blocked)} cell(s) blocked by {', '.join(owners)}: the same defect, "
                                        "not another (the failing row's block above says what it is)")
        for line in log.extra.get("tampering", []):
            terminalreporter.write_line(f"TAMPERING {line}", red=True)
        for line in self.lines:
            terminalreporter.write_line(line)
        if log.path is not None:
            terminalreporter.write_line(f"JSON report: {log.path}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if not hasattr(config, "workerinput") and self.run.log.changed_by_others():
            import sys

            sys.stderr.write(f"rnnconformance: TAMPERING: the JSON report {self.run.log.path} was changed after the "
                             "plugin wrote it\n")

