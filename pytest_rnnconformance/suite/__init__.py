"""The conformance suite as pytest items: one per row of the matrix and column, named after the
implementation (``lstm_forward::forward[lstm-cpu-float32]``), so ``-k``, ``--deselect``,
pytest-xdist and junitxml see the rows as tests.

Each item runs its row (`features.engine.run_row`) and records its own verdict as a user property
of its report, from its own outcome, before pytest makes the report (`report.verdicts`): every
item, whatever happens in it, so the run's counts and pytest's always agree. A failure is rendered
by `report.render` in the style ``--tb`` asks for; a *blocked* row is a skip whose reason names the
row that owns the defect; an *unsupported* one a skip that says why. Should the plugin's own check
raise, the row is one error line naming the check's frame, never a traceback of the plugin.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest._code.code import TerminalRepr

from ..features.base import Unsupported
from ..features.engine import run_row
from ..options import run_config
from ..judge.failure import Failure, FailureRaised
from ..judge.status import Kind, Status
from ..report.render import one_line, render
from ..report.verdicts import properties, verdict


class ConformanceFile(pytest.File):
    """The suite's anchor file: it holds no tests of its own; the run's rows are collected here."""

    def collect(self):
        run = run_config(self.config)
        name = run.impl.rsplit("/", 1)[-1].split(":")[-1] or run.impl
        yield ImplementationSuite.from_parent(self, name=name)


class ImplementationSuite(pytest.Collector):
    """Every row of the matrix for one implementation."""

    def collect(self):
        from ..features import registry
        run = run_config(self.config)
        for feature in registry().values():
            if run.settings.rows and feature.name not in run.settings.rows:
                continue
            for column in run.columns(feature):
                yield RowItem.from_parent(self, name=f"{feature.name}[{column.id}]", feature=feature, column=column)


class RowItem(pytest.Item):
    """One row in one column."""

    def __init__(self, *, feature, column, **kwargs) -> None:
        super().__init__(**kwargs)
        self.feature, self.column = feature, column
        self.add_marker("rnnconformance")

    def runtest(self) -> None:
        run = run_config(self.config)
        try:
            self._refuse_early(run)
            try:
                run_row(run.context, self.feature, self.column)
            except FailureRaised:
                raise
            except Exception as error:  # noqa: BLE001 - the plugin's own bug: one error line, still counted
                raise FailureRaised(self._internal(error)) from None
            finally:
                self._check_tampering(run)
        except FailureRaised as raised:
            failure = raised.failure
            self._record(verdict(failure.status, failure))
            if failure.status == Status.BLOCKED:
                pytest.skip(failure.summary)
            raise
        except pytest.skip.Exception as skip:
            message = str(skip.msg)
            if self.feature.name in run.settings.require and isinstance(skip, Unsupported):
                failure = Failure(Status.FAIL, Kind.REFUSED, f"{self.feature.name} is required (--rnn-require) but "
                                  f"{message}", row=self.feature.name, column=self.column.id)
                self._record(verdict(Status.FAIL, failure))
                raise FailureRaised(failure) from None
            self._record(verdict(Status.UNSUPPORTED, message=message))
            raise
        self._record(verdict(Status.PASS))

    def _internal(self, error: Exception) -> Failure:
        """An error of this row for an exception of the plugin's own check (not the implementation's:
        those are judged where they are raised)."""
        frames = traceback.extract_tb(error.__traceback__)
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return Failure(Status.ERROR, Kind.INTERNAL, f"the check of {self.feature.name} could not judge it: raised "
                       f"{type(error).__name__}{': ' + text if text else ''}{where}; a bug of the check, not of the "
                       "implementation (in one of the plugin's own rows, please report it)",
                       row=self.feature.name, column=self.column.id)

    def _refuse_early(self, run) -> None:
        """What makes the row unsupported (or an error) before anything is called."""
        support = run.summary.support
        column, name = self.column, self.feature.name
        if name in support.unsupported_features:
            raise Unsupported(support.reason('unsupported', 'declared unsupported'))
        if support.dtypes is not None and column.dtype not in support.dtypes:
            raise Unsupported(f"{column.dtype} is not among the implementation's dtypes")
        if support.devices is not None and column.device not in support.devices:
            raise Unsupported(f"{column.device} is not among the implementation's devices")
        if name == "no_delegation" and run.settings.allow_builtin:
            raise Unsupported("not checked: --rnn-allow-builtin")
        if name == "purity" and run.import_tampering:
            raise FailureRaised(Failure(Status.ERROR, Kind.CRASH, "tampering at import: replaced "
                                        f"{', '.join(run.import_tampering)} (restored); run untrusted code with "
                                        "--rnn-isolate", row=name, column=column.id))

    def _check_tampering(self, run) -> None:
        """In process, before this row's verdict is kept: nothing the implementation could have
        changed since its calls may have judged it (see ``run.tamper``)."""
        from ..run import in_process

        if run.settings.isolate or in_process.TAMPER_WATCH is None:
            return
        found = in_process.TAMPER_WATCH.check_and_restore()
        if found:
            raise FailureRaised(Failure(Status.ERROR, Kind.CRASH, f"tampering: the implementation replaced or added "
                                        f"{', '.join(found)} (put back now); its verdicts here cannot be trusted: run "
                                        "untrusted code with --rnn-isolate", row=self.feature.name,
                                        column=self.column.id))

    def _record(self, data: dict) -> None:
        self.user_properties.extend(properties(self.feature.name, self.column.id, data))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, FailureRaised):
            tbstyle = self.config.getoption("tbstyle", "auto")
            failure = excinfo.value.failure
            text = "" if tbstyle == "line" else render(failure, "long" if tbstyle == "auto" else tbstyle)
            notes = getattr(excinfo.value, "__notes__", [])
            if self.config.getoption("verbose", 0) > 0 and notes:
                text += "\n" + "\n".join(notes)
            return RowFailureRepr(text, CrashLine(one_line(failure)))
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}::{self.name}"


@dataclass(frozen=True)
class CrashLine:
    """The failure in one line, where pytest looks for it: ``-r`` summaries, junitxml's message and
    ``--tb=line`` read ``reprcrash.message``."""

    message: str

    def __str__(self) -> str:
        return self.message


class RowFailureRepr(TerminalRepr):
    """A row's failure as pytest prints it: the block `render` made (nothing with ``--tb=line``,
    where pytest prints the crash line alone, as it does for any test)."""

    def __init__(self, text: str, reprcrash: CrashLine) -> None:
        self.text = text
        self.reprcrash = reprcrash

    def toterminal(self, tw) -> None:
        if self.text:
            tw.line(self.text)

    def __str__(self) -> str:  # what crosses to the xdist controller
        return self.text or self.reprcrash.message
