"""One graded submission as stored in ``grades.json``: the raw run, and its score.

The raw part (the plugin's report, the outcome and its reason) is what was observed; the score is
derived from it and the rubric, and recomputed whenever records are read back (``--resume``,
``merge``), so every output of a folder always agrees with its rubric.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .rubric import Rubric
from .runner import RunResult
from .scoring import Score, score_run
from .submissions import Submission


@dataclass
class Grade:
    submission: str  # the name: CSV row, results/<name>.json, feedback/<name>.md
    path: str  # the file or folder graded
    target: str  # file:entry, relative to the submission
    located: str  # where the entry was found, or why not
    fingerprint: str  # of the normalised source, for duplicates
    outcome: str  # finished, timeout, crashed, unloadable, no_entry, withheld
    reason: str
    seconds: float
    report: Optional[dict]
    result: Score

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def max_score(self) -> float:
        return self.result.max_score

    @classmethod
    def of(cls, submission: Submission, run: RunResult, rubric: Rubric) -> "Grade":
        return cls(submission.name, str(submission.path), submission.shown_target, submission.located,
                   submission.fingerprint, run.outcome, run.reason, run.seconds, run.report,
                   score_run(run.outcome, run.reason, run.report, rubric))

    def to_json(self) -> dict:
        data = {"submission": self.submission, "path": self.path, "target": self.target, "located": self.located,
                "fingerprint": self.fingerprint, "outcome": self.outcome, "reason": self.reason,
                "seconds": self.seconds}
        data.update(self.result.to_json())
        data["report"] = self.report
        return data

    @classmethod
    def from_json(cls, data: dict, rubric: Rubric) -> "Grade":
        return cls(data["submission"], data["path"], data["target"], data["located"], data["fingerprint"],
                   data["outcome"], data["reason"], data["seconds"], data["report"],
                   score_run(data["outcome"], data["reason"], data["report"], rubric))
