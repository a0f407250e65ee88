"""The words a learner reads: ``feedback/<name>.md`` and the text of each Gradescope test.

Per feature: what happened, the likely cause (the catalogue's sentence, written for the person who
has to fix the code), the smallest failing case in words, the first divergence and, when no known
mistake explains it, where the difference enters, then the snippet that reproduces it. All of it is
read from the plugin's structured failures (each cell's ``failure``: ``explanations``,
``divergence``, ``localisation``, ``counterexample``, ``reproduce``); only a report without them
(an older plugin) is read from its message text. Paths are made relative to the learner's
submission. A required row the learner left unsupported says what to implement; a blocked row
names the row to fix first. Hidden features never appear here: not in the table, not in the score
shown, not in the list of things to fix, not in the command that reruns the checks.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Optional

from ..judge.catalogue import SENTENCES
from ..judge.compare import Divergence
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
CAUSE = re.compile(r"^\s*likely cause \[(?P<id>[\w.-]+)\](?: \(explains [^)]*\))?: (?P<sentence>.+)$")
MESSAGE_LINES = 60


def _points(n: float) -> str:
    return f"{n:g} point" + ("" if n == 1 else "s")


def failures(feature: dict) -> list:
    """The structured failures of a feature's cells (fail and error first, then blocked), in order."""
    found = [c["failure"] for c in (feature.get("cells") or {}).values() if isinstance(c.get("failure"), dict)]
    return sorted(found, key=lambda f: f.get("status") == "blocked")


def first_failure(feature: dict) -> Optional[dict]:
    """The failure the feedback is about: the first cell that failed or errored."""
    found = [f for f in failures(feature) if f.get("status") in ("fail", "error")]
    return found[0] if found else None


def likely_causes(feature: dict) -> list:
    """[(catalogue id, sentence)] of a feature's report entry, best first."""
    found: dict = {}
    structured = failures(feature)
    for failure in structured:
        if failure.get("status") == "blocked":
            continue
        for explanation in failure.get("explanations") or []:
            if isinstance(explanation, dict) and explanation.get("id"):
                found.setdefault(explanation["id"], str(explanation.get("sentence") or "").strip())
        for ident in failure.get("diagnosis") or []:
            found.setdefault(ident, _catalogue_sentence(ident))
    if not structured:  # an older plugin: only the rendered message
        for line in feature.get("message", "").splitlines():
            match = CAUSE.match(line)
            if match and match["id"] not in found:
                found[match["id"]] = match["sentence"].strip()
    for ident in feature.get("diagnosis", []):
        found.setdefault(ident, _catalogue_sentence(ident))
    return [(ident, sentence or ident.replace("_", " ")) for ident, sentence in found.items()]


def _catalogue_sentence(ident: str) -> str:
    """The catalogue's sentence for a mistake told without a configuration ("" for the others, whose
    sentence the report's explanation carries, worded for its case)."""
    return SENTENCES.get(ident, "")


def divergence_words(divergence: dict) -> str:
    """Where a tensor first departs, in the plugin's own words (``compare.Divergence.describe``)."""
    try:
        return Divergence(**divergence).describe()
    except (TypeError, ValueError):  # another schema: say what is there
        where = [str(divergence.get("tensor", "?"))]
        for key, label in (("layer", "layer"), ("step", "time step")):
            if divergence.get(key) is not None:
                where.append(f"{label} {divergence[key]}")
        return ", ".join(where)


def counterexample_words(example: Optional[dict]) -> str:
    """'an LSTM with input_size 1, hidden_size 1, ...; 2 time steps, batch 2; in float32 on cpu'."""
    if not example or not isinstance(example.get("spec"), dict):
        return ""
    spec, recipe = example["spec"], example.get("recipe") or {}
    mode = str(spec.get("mode", "")).upper()
    if mode == "RNN":
        mode = f"RNN ({spec.get('nonlinearity', 'tanh')})"
    parts = [f"input_size {spec.get('input_size')}", f"hidden_size {spec.get('hidden_size')}"]
    if spec.get("proj_size"):
        parts.append(f"proj_size {spec['proj_size']}")
    layers = spec.get("num_layers", 1)
    parts.append(f"{layers} layer{'s' if layers != 1 else ''}")
    parts.append("two directions" if spec.get("bidirectional") else "one direction")
    parts.append("with biases" if spec.get("bias", True) else "without biases")
    parts.append("batch-first" if spec.get("batch_first") else "seq-first")
    data = []
    if "time" in recipe:
        data.append(f"{recipe['time']} time step{'s' if recipe['time'] != 1 else ''}")
    if recipe.get("batch") is None and "batch" in recipe:
        data.append("unbatched (2-D) input")
    elif "batch" in recipe:
        data.append(f"batch {recipe['batch']}")
    if recipe.get("lengths"):
        data.append(f"packed sequences of lengths {recipe['lengths']}")
    if recipe.get("hx_none"):
        data.append("hx omitted")
    if recipe.get("scale") not in (None, 1, 1.0):
        data.append(f"inputs scaled by {recipe['scale']:g}")
    where = " ".join(x for x in (f"in {example['dtype']}" if example.get("dtype") else "",
                                 f"on {example['device']}" if example.get("device") else "") if x)
    text = f"an {mode} with " if mode[:1] in "AEFHILMNORSX" else f"a {mode} with "  # an LSTM, an RNN, a GRU
    return text + ", ".join(parts) + ("; " + ", ".join(data) if data else "") + (f"; {where}" if where else "")


def _root(grade: Grade) -> Path:
    path = Path(grade.path)
    return path.parent if path.suffix in SOURCE_SUFFIXES else path


def _hidden(grade: Grade, text: str) -> str:
    return hide_paths(text, _root(grade))


def _details(grade: Grade, feature: dict) -> str:
    lines = _hidden(grade, feature.get("message", "")).rstrip().splitlines()
    if len(lines) > MESSAGE_LINES:
        lines = lines[:MESSAGE_LINES] + [f"[... {len(lines) - MESSAGE_LINES} more lines]"]
    return "\n".join(lines)


def _unsupported_reason(feature: dict) -> str:
    return re.sub(r"^unsupported:\s*", "", feature.get("message", "").strip().splitlines()[0]
                  if feature.get("message", "").strip() else "")


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


def _structured_lines(grade: Grade, failure: dict, feature: dict, status: str, bold) -> tuple:
    """(lines, details) of one structured failure."""
    lines, details = [], []
    where = f" ({failure['column']})" if failure.get("column") else ""
    lines.append(f"{bold('What went wrong')}{where}: {_hidden(grade, str(failure.get('summary', '')))}")
    for line in failure.get("details") or []:
        lines.append(_hidden(grade, str(line)))
    for ident, sentence in likely_causes({"cells": {"": {"failure": failure}}}):
        lines.append(f"{bold('Likely cause')} ({ident}): {sentence}")
    example = counterexample_words(failure.get("counterexample") or feature.get("counterexample"))
    if example:
        label = "Smallest failing case" if status == "fail" else "The case that went wrong"
        lines.append(f"{bold(label)}: {example}.")
    for divergence in (failure.get("divergence") or [])[:3]:
        if not isinstance(divergence, dict):
            continue
        text = f"{bold('First divergence')}: {divergence_words(divergence)}"
        if divergence.get("expected") is not None:
            text += f"\n    expected {divergence['expected']}\n    got      {divergence.get('actual')}"
        lines.append(text)
    localisation = [str(line) for line in failure.get("localisation") or []]
    if localisation and not failure.get("explanations"):
        lines.append(f"{bold('Where it goes wrong')} (no known mistake reproduces it):\n"
                     + "\n".join(f"    {line}" for line in localisation))
    tensors = failure.get("tensors") or {}
    if tensors:
        details.append("errors (max abs) against the float64 reference; allowed:")
        for name, error in tensors.items():
            if isinstance(error, dict):
                details.append(f"  {name:6} {error.get('error', float('nan')):.3g} (allowed {error.get('allowed', 0):.3g})"
                               f" {'ok' if error.get('ok') else 'FAIL'}")
    for note in failure.get("notes") or []:
        details.append(f"note: {note}")
    if failure.get("reproduce"):
        details += ["reproduce:"] + ["  " + line for line in _hidden(grade, failure["reproduce"]).splitlines()]
    return lines, "\n".join(details)


def feature_text(grade: Grade, name: str, markdown: bool = True) -> str:
    """What one feature's result says to the learner (markdown, or plain text for Gradescope)."""
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
    if scored.status in ("fail", "error") and feature:
        failure = first_failure(feature)
        details = ""
        if failure is not None:
            body, details = _structured_lines(grade, failure, feature, scored.status, bold)
            lines += body
        else:  # an older plugin's report: its causes and message as they are
            for ident, sentence in likely_causes(feature):
                lines.append(f"{bold('Likely cause')} ({ident}): {sentence}")
            example = counterexample_words(feature.get("counterexample"))
            if example:
                label = "Smallest failing case" if scored.status == "fail" else "The case that went wrong"
                lines.append(f"{bold(label)}: {example}.")
            details = _details(grade, feature)
        if details:
            lines.append(f"<details><summary>Details</summary>\n\n```text\n{details}\n```\n</details>"
                         if markdown else f"Details:\n{details}")
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
    feature = grade.report["features"][name]
    failure = first_failure(feature)
    if failure is None:
        return _details(grade, feature)
    lines, details = _structured_lines(grade, failure, feature, feature["status"], lambda s: f"**{s}**")
    if details:
        lines.append(f"<details><summary>Details</summary>\n\n```text\n{details}\n```\n</details>")
    return "\n\n".join(lines)


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
            text = feature_text(grade, names[0])
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
        if failure is not None and not failure.get("counterexample") and not failure.get("explanations"):
            key = (failure.get("status"), failure.get("summary"))
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
