"""From a pytest report to a verdict: pass, fail, unsupported or error, with its explanation."""
from __future__ import annotations

from typing import Any

import pytest

from .outcomes import CandidateError, ConformanceFailure, OracleDisagreement

MESSAGE_LIMIT = 4000


def verdict_of(report: pytest.TestReport, call: pytest.CallInfo) -> dict:
    if report.passed:
        return {"status": "pass", "diagnosis": [], "message": ""}
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        return {"status": "unsupported", "diagnosis": [], "message": reason}
    error: Any = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, ConformanceFailure):
        verdict = {"status": "fail", "diagnosis": error.diagnosis, "message": _clip(str(error)),
                   "details": error.details}
        if error.shape_only:
            verdict["shape_only"] = True
    elif isinstance(error, CandidateError):
        verdict = {"status": "error", "diagnosis": [], "message": _clip(str(error))}
    elif isinstance(error, OracleDisagreement):
        verdict = {"status": "error", "diagnosis": ["oracle_disagreement"], "message": _clip(str(error))}
    elif isinstance(error, pytest.fail.Exception):
        verdict = {"status": "fail", "diagnosis": [], "message": _clip(str(error.msg))}
    else:
        text = f"{type(error).__name__}: {error}" if error is not None else str(report.longrepr)
        verdict = {"status": "error", "diagnosis": [], "message": _clip(text)}
    counterexample = getattr(error, "counterexample", None)
    if counterexample:
        verdict["counterexample"] = counterexample
    return verdict


def _clip(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + " [...]"


def failure_text(error: BaseException) -> str:
    """What pytest shows for a failed cell: our message and hypothesis's notes, no traceback wall."""
    if isinstance(error, (ConformanceFailure, CandidateError, OracleDisagreement)):
        text = str(error)
    elif isinstance(error, pytest.fail.Exception):
        text = str(error.msg)
    else:
        import traceback

        return "".join(traceback.format_exception(type(error), error, error.__traceback__))
    notes = [n for n in getattr(error, "__notes__", []) if "Falsifying" in n or "reproduce" in n.lower() or "seed" in n]
    return "\n".join([text, *notes])
