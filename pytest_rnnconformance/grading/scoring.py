"""From one run to points: per feature, then gates, partial credit and penalties.

Kept free of I/O so that the same run always scores the same, and so that `merge` and
``--resume`` can re-score stored runs. The rows graded are the rubric's ``features``, decided once
for the whole class (`assignment`), so every student has the same maximum. The rules, in order:

1. a feature's status is the plugin's (``pass``, ``fail``, ``unsupported``, ``error``, ``blocked``);
   a feature the run never reached (timeout, crash, unloadable) is an ``error`` with the reason; a
   listed feature the plugin asks no question of under the rubric's settings (an unknown name,
   ``relu`` for an LSTM) is ``not_checked`` and counts 0 of 0, for everyone alike;
2. points: ``pass`` earns the feature's points, anything else none, except a ``shape`` failure
   whose every failing cell is shape-only, which earns ``shape_partial_credit`` of them. Every
   graded feature counts toward the maximum, supported or not: a required row left
   ``unsupported`` scores 0 (the note says to implement it), a ``blocked`` one too (the note names
   the row to fix first);
3. gates: a feature whose ``requires`` (or the rubric's ``required``) did not pass earns nothing;
4. penalties on the total: delegating to torch's own RNN kernels (``no_delegation`` failed with
   the diagnosis ``delegation``; it can also fail on wrong results, which is no penalty) and
   tampering at import (the report's ``tampering``), each ``zero``, ``ignore`` or points off.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

from .rows import plugin_rows, unchecked_reason
from .rubric import Penalty, Rubric

NEVER_REACHED = {"timeout": "never checked: the run timed out before it got here",
                 "crashed": "never checked: the run crashed before it got here",
                 "unloadable": "never checked: the submission could not be loaded",
                 "no_entry": "never checked: the entry was not found",
                 "withheld": "not graded: the class's files changed while it ran"}


@dataclass
class FeatureScore:
    status: str  # pass, fail, unsupported, error, blocked, not_checked
    points: float
    max_points: float
    hidden: bool = False
    note: str = ""  # why these points, when it is not simply the status


@dataclass
class Score:
    features: dict  # name -> FeatureScore, in rubric (or report) order
    score: float
    max_score: float
    penalties: list = field(default_factory=list)  # sentences

    def to_json(self) -> dict:
        return {"score": self.score, "max_score": self.max_score, "penalties": self.penalties,
                "features": {name: asdict(f) for name, f in self.features.items()}}


def plugin_features(modes: tuple = (), dtypes: tuple = ()) -> tuple:
    """The plugin's feature names that apply to `modes` (when given), in matrix order."""
    rows = plugin_rows()
    return tuple(name for name, feature in rows.items()
                 if not modes or any(_applies(feature, mode) for mode in modes))


def _applies(feature, mode: str) -> bool:
    try:
        return feature.applies_to(mode)
    except Exception:  # noqa: BLE001 - a mode this process does not know
        return True


def blocked_by(feature: dict) -> str:
    """The row a blocked feature waits for (the report's ``blocked_by``, or its first blocked cell's)."""
    if feature.get("blocked_by"):
        return feature["blocked_by"]
    for cell in (feature.get("cells") or {}).values():
        if cell.get("blocked_by") or (cell.get("failure") or {}).get("blocked_by"):
            return cell.get("blocked_by") or cell["failure"]["blocked_by"]
    return ""


def blocked_note(feature: dict) -> str:
    owner = blocked_by(feature)
    return f"not judged on its own: {owner} fails, fix that first" if owner else \
        "not judged on its own: another check fails, fix that first"


def score_run(outcome: str, reason: str, report: Optional[dict], rubric: Rubric,
              universe: Callable[[tuple, tuple], tuple] = plugin_features) -> Score:
    reported = (report or {}).get("features", {})
    finished = outcome == "finished"
    rows = plugin_rows()
    if rubric.features is not None:
        names = list(rubric.features)
        unchecked = {n: unchecked_reason(n, rubric, rows) for n in names} if rows else {}
    else:  # a gradebook written before the assignment was fixed up front (every supported row, one point)
        names = list(reported)
        if not finished:
            modes = tuple((report or {}).get("modes") or ([rubric.mode] if rubric.mode else []))
            names += [f for f in universe(modes, rubric.dtypes) if f not in reported]
        unchecked = {}

    def status_of(name: str) -> str:
        if unchecked.get(name):
            return "not_checked"
        if name in reported:
            return reported[name]["status"]
        if rubric.features is None and finished:
            return "not_checked"
        return "error"

    features = {}
    for name in names:
        status = status_of(name)
        rule = rubric.rule(name)
        counted = status != "not_checked" and not (rubric.features is None and status == "unsupported")
        most = rule.points if counted else 0.0
        note = ""
        points = most if status == "pass" else 0.0
        if unchecked.get(name):
            note = unchecked[name]
        elif name not in reported:
            if status == "not_checked":
                note = "not checked by this version of the plugin"
            else:
                note = "not reported by the plugin for this submission" if finished else NEVER_REACHED[outcome]
        elif status == "blocked":
            note = blocked_note(reported[name])
        elif status == "unsupported" and most:
            note = "required: your implementation does not support it yet"
        elif status == "fail" and name == "shape" and rubric.shape_partial_credit and shape_only(reported[name]):
            points = round(most * rubric.shape_partial_credit, 4)
            note = f"partial credit ({rubric.shape_partial_credit:g}): the values are right, only the shape is off"
        gated = [g for g in rubric.gates(name) if status_of(g) not in ("pass", "not_checked")]
        if gated and points:
            points = 0.0
            note = "counts only once " + " and ".join(gated) + " pass" + ("es" if len(gated) == 1 else "")
        features[name] = FeatureScore(status, points, most, rule.hidden, note)

    total = sum(f.points for f in features.values())
    penalties = []
    if delegated(reported.get("no_delegation", {})):
        total = _apply(total, rubric.delegation, "it calls torch's own recurrent kernels (no_delegation failed)",
                       penalties)
    if (report or {}).get("tampering"):
        total = _apply(total, rubric.tampering, "it replaced functions the grader relies on ("
                       + "; ".join(report["tampering"]) + ")", penalties)
    return Score(features, round(total, 4), round(sum(f.max_points for f in features.values()), 4), penalties)


def delegated(feature: dict) -> bool:
    """no_delegation failed *because* torch's kernels were called (diagnosis ``delegation``), not
    because the results were wrong on the way (that is an ordinary failure of the feature)."""
    if feature.get("status") != "fail":
        return False
    verdicts = [feature, *feature.get("cells", {}).values()]
    return any("delegation" in v.get("diagnosis", []) or (v.get("details") or {}).get("kernels") for v in verdicts)


def shape_only(feature: dict) -> bool:
    """Every failing cell of the feature failed on shape alone."""
    failing = [c for c in feature.get("cells", {}).values() if c.get("status") in ("fail", "error")]
    return bool(failing) and all(c.get("status") == "fail" and (c.get("failure") or {}).get("kind") == "shape"
                                 for c in failing)


def _apply(total: float, penalty: Penalty, why: str, penalties: list) -> float:
    if penalty == "ignore":
        return total
    if penalty == "zero":
        penalties.append(f"score set to 0: {why}")
        return 0.0
    penalties.append(f"{penalty:g} points off: {why}")
    return max(0.0, total - float(penalty))
