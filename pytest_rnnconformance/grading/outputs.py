"""The output folder: gradebook, Gradescope results and feedback, written once all runs have ended.

Layout of ``--out DIR``::

    grades.csv            one row a submission: submission, score, max_score, one column a feature, reason
    grades.json           the rubric, and per submission the plugin's report, outcome and score details
    results/<name>.json   Gradescope's results.json format (hidden features have visibility "hidden")
    feedback/<name>.md    what the learner reads (nothing from hidden features)
    summary.md            the class summary (written at the end, see `summary`)

    journal.jsonl         while grading only: each grade as it is reached (removed once the files above are written)

Every file is replaced atomically (write a temporary file, then rename), so a grader interrupted
at any moment leaves a consistent folder that ``--resume`` can continue from. The files are written
once all runs have ended; until then each grade is appended to the journal as it is reached, so that
a grader killed outright (``kill -9``, the machine's OOM killer, a lost node) loses no grade it had:
``--resume`` reads the journal with grades.json. Files get the mode
the umask gives a new file (0644 under the usual 022), as ``open`` would, not the temporary
file's private 0600.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Optional, Union

from .feedback import feature_text, header_lines, markdown, visible_score
from .record import Grade
from .rubric import Rubric

SCHEMA = 1


class OutputError(Exception):
    """An output folder that cannot be used as asked (another rubric, unreadable grades.json)."""


def file_mode() -> int:
    """The mode ``open`` gives a new file under the current umask (0o644 under 0o022)."""
    try:  # Linux says it without changing it
        with open("/proc/self/status") as status:
            mask = next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o022)  # elsewhere, reading it means setting it (the grader writes from one thread)
        os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, text: Union[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(text)
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        os.chmod(temporary, file_mode())  # mkstemp makes it 0600, private to the grader
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class OutputFolder:
    def __init__(self, path: Union[str, Path]) -> None:
        self.path = Path(path)

    @property
    def grades_json(self) -> Path:
        return self.path / "grades.json"

    @property
    def journal(self) -> Path:
        return self.path / "journal.jsonl"

    def load(self) -> tuple:
        """(rubric, {name: Grade}) stored in the folder, the journal's grades over grades.json's;
        (None, {}) if it holds no grades yet."""
        rubric, grades = None, {}
        if self.grades_json.exists():
            try:
                data = json.loads(self.grades_json.read_text())
                rubric = Rubric.from_json(data["rubric"])
                grades = {g["submission"]: Grade.from_json(g, rubric) for g in data["submissions"]}
            except (ValueError, KeyError, TypeError) as error:
                raise OutputError(f"{self.grades_json}: not a grades.json written by rnnconformance "
                                  f"({error})") from None
        journaled, journaled_grades = self._read_journal()
        if journaled is not None and rubric is not None and journaled.fingerprint() != rubric.fingerprint():
            raise OutputError(f"{self.journal} was written with another rubric than {self.grades_json}")
        return rubric or journaled, {**grades, **journaled_grades}

    def _read_journal(self) -> tuple:
        """(rubric, {name: Grade}) of the journal; a last line cut short by a kill is left out."""
        if not self.journal.exists():
            return None, {}
        rubric, grades = None, {}
        for line in self.journal.read_text().splitlines():
            try:
                entry = json.loads(line)
                if "rubric" in entry:
                    rubric = Rubric.from_json(entry["rubric"])
                elif rubric is not None:
                    grade = Grade.from_json(entry["grade"], rubric)
                    grades[grade.submission] = grade
            except (ValueError, KeyError, TypeError):
                continue
        return rubric, grades

    def begin_journal(self, rubric: Rubric) -> None:
        """Start (or continue) the journal of this grading, headed by its rubric."""
        if not self.journal.exists():
            self._append({"rubric": rubric.to_json()})

    def record(self, grade: Grade) -> None:
        """Append one grade to the journal, on disk before the next run starts."""
        self._append({"grade": grade.to_json()})

    def _append(self, entry: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.journal, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def end_journal(self) -> None:
        """The gradebook holds every grade now: the journal is no longer needed."""
        self.journal.unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget earlier grades (a fresh run into a used folder): only the files this tool writes,
        and only in a folder it wrote before (one holding grades.json or a journal)."""
        if not self.grades_json.exists() and not self.journal.exists():
            return
        for name in ("results", "feedback"):
            shutil.rmtree(self.path / name, ignore_errors=True)
        for name in ("grades.json", "grades.csv", "summary.md", "summary.png", "journal.jsonl"):
            (self.path / name).unlink(missing_ok=True)

    def write_grade(self, grade: Grade, rubric: Rubric) -> None:
        write_atomic(self.path / "results" / f"{grade.submission}.json",
                     json.dumps(gradescope(grade, rubric), indent=1) + "\n")
        write_atomic(self.path / "feedback" / f"{grade.submission}.md", markdown(grade, rubric))

    def sandbox(self) -> str:
        """What the stored grades ran in (``bwrap``, ``unshare``, or why none); "" before any."""
        try:
            return str(json.loads(self.grades_json.read_text()).get("sandbox", ""))
        except (OSError, ValueError, AttributeError):
            return ""

    def write_gradebook(self, grades: Iterable[Grade], rubric: Rubric, sandbox: str = "",
                        integrity: Optional[list] = None) -> None:
        """`sandbox`: the tool the submissions ran in, or why none (grades.json's ``sandbox``);
        `integrity`: the inputs that changed while grading, and who was running (``integrity``)."""
        ordered = sorted(grades, key=lambda g: g.submission)
        data = {"schema": SCHEMA, "rubric": rubric.to_json(), "rubric_fingerprint": rubric.fingerprint(),
                "sandbox": sandbox, "integrity": integrity or [], "submissions": [g.to_json() for g in ordered]}
        write_atomic(self.grades_json, json.dumps(data, indent=1, default=str) + "\n")
        write_atomic(self.path / "grades.csv", gradebook_csv(ordered, rubric))


def feature_columns(grades: Iterable[Grade], rubric: Rubric) -> list:
    """The rubric's features in its order; without one, every feature seen, in report order."""
    if rubric.features is not None:
        return list(rubric.features)
    columns: list = []
    for grade in grades:
        for name in grade.result.features:
            if name not in columns:
                columns.append(name)
    return columns


def gradebook_csv(grades: list, rubric: Rubric) -> str:
    columns = feature_columns(grades, rubric)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", *columns, "reason"])
    for grade in grades:
        cells = []
        for name in columns:
            scored = grade.result.features.get(name)
            cells.append(f"{scored.points:g}" if scored is not None and scored.max_points else "")
        writer.writerow([grade.submission, f"{grade.score:g}", f"{grade.max_score:g}", *cells, grade.reason])
    return buffer.getvalue()


def gradescope(grade: Grade, rubric: Rubric) -> dict:
    """Gradescope's results.json: total, per-test score/output/visibility, visible output only."""
    tests = []
    for name, scored in grade.result.features.items():
        test = {"name": name, "score": scored.points, "max_score": scored.max_points,
                "output": feature_text(grade, name, markdown=False),
                "visibility": "hidden" if scored.hidden else "visible"}
        if scored.max_points:
            test["status"] = "passed" if scored.points >= scored.max_points else "failed"
        tests.append(test)
    shown, shown_max = visible_score(grade)
    output = "\n".join(header_lines(grade, rubric, markdown=False) + [f"Score on the visible checks: {shown:g} of {shown_max:g}."])
    return {"score": grade.score, "max_score": grade.max_score, "output": output,
            "visibility": rubric.visibility, "stdout_visibility": "hidden", "tests": tests}
