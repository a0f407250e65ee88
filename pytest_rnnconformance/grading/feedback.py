"""The words a learner reads: ``feedback/<name>.md`` and the text of each Gradescope test.

Per feature: what happened, the likely cause (the plugin's diagnosis sentence, written for the
person who has to fix the code), the smallest failing case in words, and the plugin's own details
with the paths made relative to the learner's submission. Hidden features never appear here: not
in the table, not in the score shown, not in the list of things to fix.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from .record import Grade
from .rubric import Rubric
from .runner import hide_paths

STATUS_WORDS = {"pass": "passed", "fail": "failed", "unsupported": "not supported", "error": "error",
                "blocked": "not judged on its own (another check's mistake)", "not_checked": "not checked"}
OUTCOME_WORDS = {"timeout": "The run did not finish", "crashed": "The run did not finish",
                 "unloadable": "Your submission could not be loaded", "no_entry": "Your entry point was not found"}
#: The outcomes in the teacher's words (summary).
OUTCOME_LABELS = {"finished": "finished", "timeout": "timed out", "crashed": "crashed",
                  "unloadable": "could not be loaded", "no_entry": "entry not found"}
CAUSE = re.compile(r"^\s*likely cause \[(?P<id>[\w.-]+)\](?: \(explains [^)]*\))?: (?P<sentence>.+)$")
MESSAGE_LINES = 60


def _points(n: float) -> str:
    return f"{n:g} point" + ("" if n == 1 else "s")


def likely_causes(feature: dict) -> list:
    """[(catalogue id, sentence)] of a feature's report entry, best first."""
    found = {}
    for line in feature.get("message", "").splitlines():
        match = CAUSE.match(line)
        if match and match["id"] not in found:
            found[match["id"]] = match["sentence"].strip()
    for ident in feature.get("diagnosis", []):
        found.setdefault(ident, ident.replace("_", " "))
    return list(found.items())


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
    return path.parent if path.suffix == ".py" else path


def _details(grade: Grade, feature: dict) -> str:
    lines = hide_paths(feature.get("message", ""), _root(grade)).rstrip().splitlines()
    if len(lines) > MESSAGE_LINES:
        lines = lines[:MESSAGE_LINES] + [f"[... {len(lines) - MESSAGE_LINES} more lines]"]
    return "\n".join(lines)


def _unsupported_reason(feature: dict) -> str:
    return re.sub(r"^unsupported:\s*", "", feature.get("message", "").strip().splitlines()[0]
                  if feature.get("message", "").strip() else "")


def visible_score(grade: Grade) -> tuple:
    """(score, max) over the features the learner may see, after the same penalties."""
    shown = [f for f in grade.result.features.values() if not f.hidden]
    hidden_points = sum(f.points for f in grade.result.features.values() if f.hidden)
    score = max(0.0, min(sum(f.points for f in shown), grade.score - hidden_points))
    return round(score, 4), round(sum(f.max_points for f in shown), 4)


def feature_text(grade: Grade, name: str, markdown: bool = True) -> str:
    """What one feature's result says to the learner (markdown, or plain text for Gradescope)."""
    scored = grade.result.features[name]
    feature = (grade.report or {}).get("features", {}).get(name, {})
    bold = (lambda s: f"**{s}**") if markdown else (lambda s: s)
    lines = [f"{STATUS_WORDS[scored.status]}: {scored.points:g} of {_points(scored.max_points)}"]
    if scored.note:
        lines.append(scored.note)
    if scored.status == "unsupported":
        reason = _unsupported_reason(feature)
        lines.append(f"Your implementation does not support this{': ' + reason if reason else ''}. "
                     "(Only raising NotImplementedError, or a signature that cannot take it, makes a check "
                     "'not supported'.)")
    if scored.status in ("fail", "error") and feature:
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


def header_lines(grade: Grade, rubric: Rubric) -> list:
    lines = [f"Submission: {grade.target}"]
    if not grade.path.endswith(".py") and grade.outcome != "no_entry":
        lines.append(f"Where: {grade.located}")
    checks = f"Checked on {', '.join(rubric.devices)} in {', '.join(rubric.dtypes)}, {rubric.max_examples} " \
             f"examples per check"
    modes = (grade.report or {}).get("modes") or ([rubric.mode] if rubric.mode else [])
    if modes:
        checks += f", as {'/'.join(m.upper() for m in modes)}"
    lines.append(checks + ".")
    if grade.outcome != "finished":
        lines.append(f"{OUTCOME_WORDS[grade.outcome]}: {grade.reason}.")
        if grade.outcome in ("timeout", "crashed"):
            lines.append("Checks the run never reached count as errors. Look for an infinite loop, a call that "
                         "exits the process, or very large tensors.")
    hidden = any(f.hidden for f in grade.result.features.values())
    if grade.outcome in ("finished", "timeout", "crashed") and not hidden:  # it would show hidden checks too
        mode = f" --rnn-mode {rubric.mode}" if rubric.mode else ""
        lines.append(f"Run the same checks yourself: `pytest --rnn-impl {grade.target}{mode} --rnn-dtype "
                     f"{','.join(rubric.dtypes)} --rnn-max-examples {rubric.max_examples} --hypothesis-profile ci`")
    lines += [f"Penalty: {p}." for p in grade.result.penalties]
    if hidden:
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
                if n in reported and (f.status in ("fail", "error") or (f.note and f.max_points))]
    causes: dict = {}
    for name in problems:
        for ident, sentence in likely_causes(reported[name]):
            causes.setdefault(ident, (sentence, []))[1].append(name)
    if causes:
        out += ["", "## Likely causes", ""]
        out += [f"- **{ident}** (in {', '.join(names)}): {sentence}" for ident, (sentence, names) in causes.items()]
    if problems:
        out += ["", "## What to fix", ""]
        for name in problems:
            out += [f"### {name}: {STATUS_WORDS[shown[name].status]}", "", feature_text(grade, name), ""]
    unsupported = [n for n, f in shown.items() if f.status == "unsupported"]
    if unsupported:
        out += ["", "## Not supported by your implementation", ""]
        for name in unsupported:
            feature = (grade.report or {}).get("features", {}).get(name, {})
            reason = _unsupported_reason(feature)
            out.append(f"- {name}{': ' + reason if reason else ''}"
                       + (f" ({_points(shown[name].max_points)} missed)" if shown[name].max_points else ""))
    return "\n".join(out).rstrip() + "\n"


def top_issue(grade: Grade) -> str:
    """One phrase for the teacher's progress line (hidden features included)."""
    if grade.outcome != "finished":
        return f"{grade.outcome}: {grade.reason}"
    bad = [(n, f) for n, f in grade.result.features.items() if f.status in ("fail", "error")]
    if grade.result.penalties:
        return grade.result.penalties[0]
    if not bad:
        missing = [n for n, f in grade.result.features.items() if f.status == "unsupported" and f.max_points]
        return "all supported checks passed" + (f"; not supported: {', '.join(missing)}" if missing else "")
    name, scored = bad[0]
    causes = (grade.report or {}).get("features", {}).get(name, {}).get("diagnosis", [])
    text = f"{scored.status} {name}" + (f" [{causes[0]}]" if causes else "")
    return text + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")
