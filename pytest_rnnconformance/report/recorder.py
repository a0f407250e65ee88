"""The end of a run: verdicts collected as they arrive, each defect printed once, then benchmark,
expectations, the exit status checked against the plugin's own records, and the summary.

Two checks keep the summary honest. pytest's own counts of the suite's tests are tallied as its
reports arrive and must equal the cells the plugin recorded (a test without a verdict, or a report
changed by a hook, shows as a difference and fails the run). And every blocked cell must point at a
row that failed in this run: where the owner did not fail on its own cases, the finding the blocked
row's check made is printed in full, and the run fails.

Registered by the plugin only when ``--rnn-impl`` is given, on the process where reports arrive
(the only process, or the xdist controller), so the JSON report is written once and in full.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

import pytest

from ..judge.status import Status
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
        self.pytest_counts: Counter = Counter()  # passed / failed / skipped / error, as pytest reports the suite

    @staticmethod
    def _outcome(report: pytest.TestReport) -> Optional[str]:
        """How pytest counts this report of a suite test (None: another phase, or not the suite's)."""
        if "rnnconformance" not in report.keywords:
            return None
        if report.when == "call":
            return "xfailed" if hasattr(report, "wasxfail") else report.outcome
        return "error" if report.failed else "skipped" if report.when == "setup" and report.skipped else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = self._outcome(report)
        if outcome is not None:
            self.pytest_counts[outcome] += 1
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
        statuses = [Status(verdict["status"]) for cells in self.run.log.cells.values() for verdict in cells.values()]
        expected_gaps = self.run.expectations is not None
        failing = [s for s in statuses if s.failing]
        if failing and not expected_gaps and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.tampered.append(f"pytest's outcome said all passed, but the plugin recorded {len(failing)} failing "
                                 "cell(s): the exit status is set from the plugin's records (tampering?)")
        owners = sorted({verdict.get("blocked_by", "") for cells in self.run.log.cells.values()
                         for verdict in cells.values() if verdict["status"] == Status.BLOCKED} - set(self.run.log.cells))
        if owners and not expected_gaps and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a blocked row is a defect, found in a row not run
            self.lines.append(f"blocked by {', '.join(owners)}, which this run did not check (--rnn-rows): "
                              "the defect is there all the same")
        unshown = self._blocked_by_rows_that_passed()
        if unshown and not expected_gaps and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self._check_counts(session, expected_gaps)
        checked = [s for s in statuses if s is not Status.UNSUPPORTED]
        if statuses and not checked and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.lines.append("nothing could be checked: every row was unsupported, so the run cannot pass")
        if self.tampered:
            self.run.log.extra.setdefault("tampering", []).extend(self.tampered)

    def _failing_rows(self) -> set:
        return {feature for feature, cells in self.run.log.cells.items()
                if any(Status(verdict["status"]).failing for verdict in cells.values())}

    def _blocked_by_rows_that_passed(self) -> list:
        """Blocked cells whose owner ran and failed nowhere: their finding is printed here in full
        (the owner's own cases missed what the blocked row's check of it found)."""
        failing, cells = self._failing_rows(), self.run.log.cells
        unshown = [(feature, cell, verdict) for feature, row in cells.items() for cell, verdict in row.items()
                   if verdict["status"] == Status.BLOCKED and verdict.get("blocked_by") in set(cells) - failing]
        for feature, cell, verdict in unshown:
            self.lines.append(f"{feature} [{cell}] is {verdict['failure']['summary']}; {verdict['blocked_by']} did "
                              "not fail on its own cases, so here is that finding:")
            self.lines += ["  " + line for line in verdict["message"].splitlines()]
        return unshown

    def _check_counts(self, session: pytest.Session, expected_gaps: bool) -> None:
        """pytest's counts of the suite's tests equal the cells the plugin recorded, or the run fails."""
        recorded = self.run.log.cell_counts()["pytest"]
        counted = {outcome: self.pytest_counts[outcome] for outcome in ("passed", "failed", "skipped")}
        if expected_gaps or not self.run.log.cells or (counted == recorded and not self.pytest_counts["error"]):
            return
        self.lines.append(f"pytest counted {self._words(self.pytest_counts)} of the suite's tests, but the plugin "
                          f"recorded {self._words(recorded)}: a test ended without its verdict, or a hook changed its "
                          "report")
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @staticmethod
    def _words(counts) -> str:
        return ", ".join(f"{counts[outcome]} {outcome}" for outcome in sorted(counts) if counts[outcome])

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
        blocked = [v for cells in log.cells.values() for v in cells.values() if v["status"] == Status.BLOCKED]
        shown = sorted({v.get("blocked_by", "") for v in blocked} & self._failing_rows())
        if shown and terminalreporter.config.option.tbstyle != "no":
            count = sum(v.get("blocked_by") in shown for v in blocked)
            terminalreporter.write_line(f"{count} cell(s) blocked by {', '.join(shown)}: the same defect, not another "
                                        f"(the failing block{'s' if len(shown) > 1 else ''} of {', '.join(shown)} above "
                                        f"{'say' if len(shown) > 1 else 'says'} what it is)")
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

