"""The words a learner reads: ``feedback/<name>.md`` and the text of each Gradescope test.

Per feature: its points, then the failure as the terminal prints it. Each cell's ``failure`` in
the submission's JSON report is read back into the plugin's `Failure` and put into words by the
one renderer (``report/render.py``): what went wrong, the smallest failing case, where the
results first depart, the likely cause (the catalogue's sentence, found by the mistake's id) or,
when no known mistake explains it, where the difference enters, and the snippet that reproduces
it. Nothing here words a failure again, so the feedback and the learner's own ``pytest`` run say
the same thing. Paths are made relative to the learner's submission. A required row the learner
left unsupported says what to implement; a blocked row names the row to fix first. Hidden
features never appear here: not in the table, not in the score shown, not in the list of things
to fix, not in the command that reruns the checks.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Optional

from ..judge.failure import Failure
from ..judge.status import Status
from ..report import render
from .record import Grade
from .rows import plugin_rows
from .rubric import Rubric
from .runner import hide_paths, learner_command
from .scoring import blocked_by, blocked_note
from .submissions import SOURCE_SUFFIXES

STATUS_WORDS = {"pass": "passed", "fail": "failed", "unsupported": "not supported", "error": "error",
                "blocked": "not judged on its own", "not_checked": "not checked"}
OUTCOME_WORDS = {"timeout": "The run did not finish", "crashed": "The run did not finish",
                 "unloadable": "Your submission", "no_entry": "Your entry point was not found",
                 "withheld": "Your grade is withheld"}
#: The outcomes in the teacher's words (summary).
OUTCOME_LABELS = {"finished": "finished", "timeout": "timed out", "crashed": "crashed",
                  "unloadable": "could not be loaded", "no_entry": "entry not found", "withheld": "withheld"}


def _points(n: float) -> str:
    return f"{n:g} point" + ("" if n == 1 else "s")


def failures(feature: dict) -> list:
    """The `Failure`s of a feature's cells, read back from the report (fail and error first, then
    blocked), in order."""
    found = [Failure.from_dict(c["failure"]) for c in (feature.get("cells") or {}).values()
             if isinstance(c.get("failure"), dict)]
    return sorted(found, key=lambda f: f.status == Status.BLOCKED)


def first_failure(feature: dict) -> Optional[Failure]:
    """The failure the feedback is about: the first cell that failed or errored."""
    return next((f for f in failures(feature) if f.status.failing), None)


def likely_causes(feature: dict) -> list:
    """[(mistake id, sentence)] of a feature's report entry, best first, as the renderer words them
    (``render.likely_causes``): never read from a message's text."""
    found: dict = {}
    for failure in failures(feature):
        if failure.status.failing:
            for ident, sentence in render.likely_causes(failure):
                found.setdefault(ident, sentence)
    return list(found.items())


def _root(grade: Grade) -> Path:
    path = Path(grade.path)
    return path.parent if path.suffix in SOURCE_SUFFIXES else path


def _hidden(grade: Grade, text: str) -> str:
    return hide_paths(text, _root(grade))


def _unsupported_reason(feature: dict) -> str:
    return re.sub(r"^unsupported:\s*", "", feature.get("message", "").strip().splitlines()[0]
                  if feature.get("message", "").strip() else "")


def failure_text(grade: Grade, feature: dict, markdown: bool = True, rows: tuple = ()) -> str:
    """A feature's first failure, in the renderer's words (the row named `rows` when it speaks for a
    group); a report without structured failures shows its message, which that renderer wrote."""
    failure = first_failure(feature)
    if failure is not None and rows:
        failure = failure.replace(row=", ".join(rows))
    text = _hidden(grade, render.render(failure) if failure is not None else feature.get("message", "")).rstrip()
    if not text or not markdown:
        return text
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}"


def feature_doc(name: str) -> str:
    """What the row asks, in the plugin's words (its ``Feature.doc``)."""
    feature = plugin_rows().get(name)
    return feature.doc if feature is not None else ""


def visible_score(grade: Grade) -> tuple:
    """(score, max) over the features the learner may see, after the same penalties."""
    shown = [f for f in grade.result.features.values() if not f.hidden]
    hidden_points = sum(f.points for f in grade.result.features.values() if f.hidden)
    score = max(0.0, min(sum(f.points for f in shown), grade.score - hidden_points))
    return round(score, 4), round(sum(f.max_points for f in shown), 4)


def feature_text(grade: Grade, name: str, markdown: bool = True, rows: tuple = ()) -> str:
    """What one feature's result says to the learner (markdown, or plain text for Gradescope); `rows`:
    the group of rows whose failure it tells (see `_grouped`)."""
    scored = grade.result.features[name]
    feature = (grade.report or {}).get("features", {}).get(name, {})
    bold = (lambda s: f"**{s}**") if markdown else (lambda s: s)
    lines = [f"{STATUS_WORDS[scored.status]}: {scored.points:g} of {_points(scored.max_points)}"]
    if scored.note and scored.status != "blocked":
        lines.append(scored.note)
    if scored.status == "unsupported":
        reason = _unsupported_reason(feature)
        lines.append(f"Your implementation does not support this{': ' + reason if reason else ''}. "
                     "(Only raising NotImplementedError, or a signature that cannot take it, makes a check "
                     "'not supported'.)")
        if scored.max_points:
            doc = feature_doc(name)
            lines.append(f"{bold('To implement')}: {doc}" if doc else f"{bold('To implement')}: {name}.")
    if scored.status == "blocked":
        lines.append(_blocked_words(grade, name))
    told = failure_text(grade, feature, markdown, rows) if scored.status in ("fail", "error") else ""
    if told:
        lines.append(told)
    return "\n\n".join(lines) if markdown else "\n".join(lines)


def _blocked_words(grade: Grade, name: str) -> str:
    """"not judged on its own: forward fails, fix that first", without naming a hidden row."""
    feature = (grade.report or {}).get("features", {}).get(name, {})
    owner = blocked_by(feature)
    if owner and owner in hidden_rows(grade):
        return "not judged on its own: another check fails, fix that first"
    return blocked_note(feature) if feature else grade.result.features[name].note


def _owner_text(grade: Grade, name: str) -> str:
    """The failure of a row that is not graded but that graded rows are blocked by."""
    return failure_text(grade, grade.report["features"][name])


def hidden_rows(grade: Grade) -> tuple:
    return tuple(n for n, f in grade.result.features.items() if f.hidden)


def rerun_command(grade: Grade, rubric: Rubric) -> str:
    """The command that runs the grader's checks on this submission (the visible ones only)."""
    hidden = hidden_rows(grade)
    if hidden and rubric.features is not None:
        rubric = replace(rubric, features={n: r for n, r in rubric.features.items() if n not in hidden})
    return learner_command(grade.target, rubric, exclude=hidden)


def header_lines(grade: Grade, rubric: Rubric, markdown: bool = True) -> list:
    lines = [f"Submission: {grade.target}"]
    if not grade.path.endswith(SOURCE_SUFFIXES) and grade.outcome not in ("no_entry", "unloadable"):
        lines.append(f"Where: {grade.located}")
    checks = f"Checked on {', '.join(rubric.devices)} in {', '.join(rubric.dtypes)}, {rubric.max_examples} " \
             f"examples per check"
    modes = (grade.report or {}).get("modes") or ([rubric.mode] if rubric.mode else [])
    if modes:
        checks += f", as {'/'.join(m.upper() for m in modes)}"
    lines.append(checks + ".")
    if grade.outcome != "finished":
        lines.append(f"{OUTCOME_WORDS[grade.outcome]}{' ' if grade.outcome == 'unloadable' else ': '}"
                     f"{grade.reason}.")
        if grade.outcome in ("timeout", "crashed"):
            lines.append("Checks the run never reached count as errors. Look for an infinite loop, a call that "
                         "exits the process, or very large tensors.")
    if grade.outcome in ("finished", "timeout", "crashed", "unloadable") and ":" in grade.target:
        command = rerun_command(grade, rubric)
        which = "the visible checks" if hidden_rows(grade) else "the same checks"
        lines.append(f"Run {which} yourself, from the folder of your submission: "
                     + (f"`{command}`" if markdown else command))
    lines += [f"Penalty: {p}." for p in grade.result.penalties]
    if hidden_rows(grade):
        lines.append("Some checks are hidden until grades are released; they are not shown here.")
    return lines


def markdown(grade: Grade, rubric: Rubric) -> str:
    score, most = visible_score(grade)
    out = [f"# Feedback for {grade.submission}", ""]
    out += [line + "  " for line in header_lines(grade, rubric)]
    out += ["", f"**Score: {score:g} of {most:g}**", ""]
    shown = {n: f for n, f in grade.result.features.items() if not f.hidden}
    if shown:
        out += ["| check | result | points |", "|---|---|---|"]
        out += [f"| {n} | {STATUS_WORDS[f.status]} | {f.points:g} / {f.max_points:g} |" for n, f in shown.items()]
    reported = (grade.report or {}).get("features", {})
    problems = [n for n, f in shown.items()
                if n in reported and (f.status in ("fail", "error") or (f.note and f.max_points and f.status
                                                                         not in ("unsupported", "blocked")))]
    causes: dict = {}
    for name in problems:
        for ident, sentence in likely_causes(reported[name]):
            causes.setdefault(ident, (sentence, []))[1].append(name)
    if causes:
        out += ["", "## Likely causes", ""]
        out += [f"- **{ident}** (in {', '.join(names)}): {sentence}" for ident, (sentence, names) in causes.items()]
    if problems:
        out += ["", "## What to fix", ""]
        for names in _grouped(problems, reported):
            text = feature_text(grade, names[0], rows=tuple(names) if len(names) > 1 else ())
            if len(names) > 1:  # one text for the group; its first line counts the group's points
                got, most = sum(shown[n].points for n in names), sum(shown[n].max_points for n in names)
                text = f"{STATUS_WORDS[shown[names[0]].status]}: {got:g} of {_points(most)} in all" \
                    + text[text.index("\n\n"):] if "\n\n" in text else text
            out += [f"### {', '.join(names)}: {STATUS_WORDS[shown[names[0]].status]}", "", text, ""]
    blocked = [n for n, f in shown.items() if f.status == "blocked"]
    owners = [o for o in dict.fromkeys(blocked_by(reported.get(n, {})) for n in blocked)
              if o and o not in grade.result.features and reported.get(o, {}).get("status") in ("fail", "error")]
    if owners:  # rows run only because graded rows wait on them: their failure is what to fix
        out += ["", "## What to fix first (not graded itself; graded checks wait on it)", ""]
        for owner in owners:
            out += [f"### {owner}: {STATUS_WORDS[reported[owner]['status']]}", "", _owner_text(grade, owner), ""]
    if blocked:
        out += ["", "## Not judged on their own yet", ""]
        out += [f"- {name}: {_blocked_words(grade, name)}" for name in blocked]
    unsupported = [n for n, f in shown.items() if f.status == "unsupported"]
    required = [n for n in unsupported if shown[n].max_points]
    if required:
        out += ["", "## To implement (part of the assignment, not supported by your implementation)", ""]
        for name in required:
            reason = _unsupported_reason(reported.get(name, {}))
            doc = feature_doc(name)
            out.append(f"- **{name}** ({_points(shown[name].max_points)})"
                       + (f": {doc}" if doc else "") + (f" Yours: {reason}." if reason else ""))
    others = [n for n in unsupported if n not in required]
    if others:
        out += ["", "## Not supported by your implementation (not graded)", ""]
        for name in others:
            reason = _unsupported_reason(reported.get(name, {}))
            out.append(f"- {name}{': ' + reason if reason else ''}")
    return "\n".join(out).rstrip() + "\n"


def _grouped(names: list, reported: dict) -> list:
    """Rows whose failure says the same thing about no particular case ("not run: the implementation
    hung in forward") in one group; every other row alone."""
    groups: list = []
    seen: dict = {}
    for name in names:
        failure = first_failure(reported.get(name, {}))
        key = None
        if failure is not None and not failure.counterexample and not failure.explanations:
            key = (failure.status, failure.summary)
        if key is not None and key in seen:
            groups[seen[key]].append(name)
            continue
        if key is not None:
            seen[key] = len(groups)
        groups.append([name])
    return groups


def top_issue(grade: Grade) -> str:
    """One phrase for the teacher's progress line (hidden features included), never cut."""
    if grade.outcome in ("unloadable", "no_entry"):
        return grade.reason
    if grade.outcome != "finished":
        return f"{OUTCOME_LABELS[grade.outcome]}: {grade.reason}"
    bad = [(n, f) for n, f in grade.result.features.items() if f.status in ("fail", "error")]
    if grade.result.penalties:
        return grade.result.penalties[0]
    if not bad:
        reported = (grade.report or {}).get("features", {})
        waiting = [f"{n} (until {blocked_by(reported.get(n, {})) or 'another row'} passes)"
                   for n, f in grade.result.features.items() if f.status == "blocked" and f.max_points]
        missing = [n for n, f in grade.result.features.items() if f.status == "unsupported" and f.max_points]
        words = ([f"not supported: {', '.join(missing)}"] if missing else []) + \
            ([f"not judged on its own: {', '.join(waiting)}"] if waiting else [])
        return "; ".join(words) or "all graded checks passed"
    name, scored = bad[0]
    causes = (grade.report or {}).get("features", {}).get(name, {}).get("diagnosis", [])
    text = f"{scored.status} {name}" + (f" [{causes[0]}]" if causes else "")
    return text + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")
