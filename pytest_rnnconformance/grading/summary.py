"""The class summary: what a teacher needs for the next lecture.

Per feature how many passed, the score distribution, the most common diagnoses across the class
("3 of 12: reverse_hn_last_step"), the runs that did not finish, and duplicate submissions
(identical normalised source). Printed at the end of a run and written to ``summary.md``, with a
histogram ``summary.png`` when matplotlib is installed (``pip install pytest-rnnconformance[plot]``;
otherwise a note says how to get it).
Hidden features are included: this page is for the teacher.
"""
from __future__ import annotations

import io
import statistics
from collections import Counter
from pathlib import Path
from typing import Optional

from .feedback import OUTCOME_LABELS, likely_causes
from .outputs import write_atomic
from .record import Grade
from .rubric import Rubric

BINS = 10


def percent(grade: Grade) -> float:
    return 100.0 * grade.score / grade.max_score if grade.max_score else 0.0


def duplicates(grades: list) -> list:
    """Groups of submission names with the same normalised source."""
    groups: dict = {}
    for grade in grades:
        groups.setdefault(grade.fingerprint, []).append(grade.submission)
    return sorted(sorted(names) for names in groups.values() if len(names) > 1)


def common_diagnoses(grades: list) -> list:
    """[(catalogue id, how many submissions, an example sentence)], most common first."""
    counts: Counter = Counter()
    sentences: dict = {}
    for grade in grades:
        seen = set()
        for feature in (grade.report or {}).get("features", {}).values():
            if feature.get("status") not in ("fail", "error"):
                continue
            for ident, sentence in likely_causes(feature):
                seen.add(ident)
                sentences.setdefault(ident, sentence)
        counts.update(seen)
    return [(ident, n, sentences[ident]) for ident, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def summarise(grades: list, rubric: Rubric, picture_note: str = "") -> str:
    grades = sorted(grades, key=lambda g: g.submission)
    total = len(grades)
    out = ["# Class summary", ""]
    if not grades:
        return "\n".join(out + ["No submissions graded.", ""])
    scores = [g.score for g in grades]
    source = rubric.source.strip("()") if rubric.source.startswith("(") else f"rubric {rubric.source}"
    if rubric.features is not None and rubric.assignment != "rubric":
        source += f"; graded rows: {rubric.assignment}"
    out.append(f"{total} submissions graded ({source}). Mean score {statistics.mean(scores):.2f}, median "
               f"{statistics.median(scores):g}; mean {statistics.mean(percent(g) for g in grades):.0f}% of the "
               f"maximum.")
    outcomes = Counter(g.outcome for g in grades)
    out.append("Runs: " + ", ".join(f"{outcomes[o]} {label}" for o, label in OUTCOME_LABELS.items() if outcomes[o]) + ".")

    out += ["", "## Per feature", "",
            "| feature | passed | failed | not judged on its own | error | not supported | mean points |",
            "|---|---|---|---|---|---|---|"]
    names: list = []
    for grade in grades:
        names += [n for n in grade.result.features if n not in names]
    for name in names:
        scored = [g.result.features[name] for g in grades if name in g.result.features]
        count = Counter(f.status for f in scored)
        hidden = " (hidden)" if any(f.hidden for f in scored) else ""
        mean = statistics.mean(f.points for f in scored)
        out.append(f"| {name}{hidden} | {count['pass']} of {len(scored)} | {count['fail']} | {count['blocked']} | "
                   f"{count['error']} | {count['unsupported']} | {mean:.2f} / {max(f.max_points for f in scored):g} |")

    out += ["", "## Score distribution (percent of the maximum)", "", "```"]
    bins = Counter(min(BINS - 1, int(percent(g) // (100 / BINS))) for g in grades)
    for b in range(BINS):
        low = b * 100 // BINS
        label = f"{low:>3}-{low + 100 // BINS - (0 if b == BINS - 1 else 1):>3}%"
        out.append(f"{label} | {'#' * bins[b]} {bins[b] or ''}".rstrip())
    out.append("```")
    if picture_note:
        out += ["", picture_note]

    diagnoses = common_diagnoses(grades)
    out += ["", "## Most common diagnoses", ""]
    out += [f"- {n} of {total}: {ident} ({sentence})" for ident, n, sentence in diagnoses] or ["- none"]

    trouble = [g for g in grades if g.outcome != "finished" or g.result.penalties]
    if trouble:
        out += ["", "## Runs that did not finish, and penalties", ""]
        for g in trouble:
            label = OUTCOME_LABELS[g.outcome]
            why = [] if g.outcome == "finished" else [g.reason if g.reason.startswith(label) else f"{label}: {g.reason}"]
            out.append(f"- {g.submission}: " + "; ".join(why + g.result.penalties))
    groups = duplicates(grades)
    out += ["", "## Duplicates (identical source after normalising comments, docstrings and layout)", ""]
    out += [f"- {', '.join(group)}" for group in groups] or ["- none"]
    return "\n".join(out) + "\n"


def histogram(grades: list, path: Path) -> Optional[str]:
    """Draw summary.png; returns the note for summary.md."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ("(summary.png skipped: matplotlib is not installed; pip install 'pytest-rnnconformance[plot]' "
                "draws it)")
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.hist([percent(g) for g in grades], bins=BINS, range=(0, 100), color="#4878a8", edgecolor="white")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("score, % of the maximum")
    axes.set_ylabel("submissions")
    axes.set_title(f"{len(grades)} submissions")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_atomic(path, buffer.getvalue())
    return "![score histogram](summary.png)"


def write_summary(folder: Path, grades: list, rubric: Rubric) -> str:
    note = histogram(grades, folder / "summary.png") if grades else ""
    text = summarise(grades, rubric, note or "")
    write_atomic(folder / "summary.md", text)
    return text
