"""Notebooks as implementations: ``hw.ipynb:rnn_forward``, and ``hw.py:rnn_forward`` in jupytext's
percent format (a ``.py`` file whose cells start with ``# %%``).

A notebook is not a module: run top to bottom it would train, plot and print for minutes. So a
notebook is loaded as a module made of *some* of its code cells, by one rule, the same in pytest,
under ``--rnn-isolate`` (the worker loads the same target) and in the grader's sandbox:

* code cells run in order, from the first up to and including the **last** cell that defines the
  entry at the top level (``def``, ``class`` or an assignment of its name; for ``Class.method``, the
  class). What follows it (training, plots, the learner's own checks) does not run;
* a cell tagged ``skip``, ``skip-grading``, ``train``, ``plot`` or ``otter_ignore`` does not run,
  wherever it is (tags are the cell's ``metadata.tags``; in percent format ``# %% tags=["skip"]``);
* IPython syntax is not Python: a line magic or shell line (``%matplotlib inline``, ``!pip install
  torch``) becomes ``pass``; a cell magic runs its body when it is only a timer or a capture
  (``%%time``, ``%%timeit``, ``%%capture``) and is skipped otherwise (``%%bash``). Each is named in
  `NotebookModule.notes`, which the binding's notes (the header line) repeat;
* each cell runs under a time limit (`CELL_SECONDS`): a cell that trains for an hour stops the
  load with the advice to tag it.

Every cell is compiled under its own file name, ``/path/hw.ipynb#cell3`` (cells counted from 1 as
they appear, markdown included), and its lines are put in `linecache`: a crash while loading or in
any later call of the code it defined is placed as "hw.ipynb, cell 3, line 5" (`location`) and
quotes the line.
"""
from __future__ import annotations

import ast
import linecache
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .. import alarm

#: Tags (any case) that keep a cell from running; nbgrader has none of its own, otter uses otter_ignore.
SKIP_TAGS = frozenset({"skip", "skip-grading", "train", "plot", "otter_ignore"})
#: Seconds one cell may take while the notebook is loaded.
CELL_SECONDS = 60.0
#: Cell magics whose body is plain Python run as it is.
TRANSPARENT_CELL_MAGICS = ("time", "timeit", "capture")

_PERCENT_CELL = re.compile(r"^# %%", re.MULTILINE)
_CELL_FILE = re.compile(r"^(?P<path>.*)#cell(?P<number>\d+)$")
#: A line magic (``%matplotlib inline``) or a shell line (``!pip install x``); not a continued
#: expression's ``% b`` or ``!= b``.
_IPYTHON_LINE = re.compile(r"^(?P<indent>\s*)(?P<syntax>%[A-Za-z].*|![^=].*)$")


class NotebookError(Exception):
    """A notebook that cannot be loaded; the message is one line and names the cell."""


@dataclass(frozen=True)
class Cell:
    """One cell: its position (from 1, markdown counted), kind, tags and source."""

    number: int
    kind: str
    tags: frozenset
    source: str

    def filename(self, path: Path) -> str:
        return f"{path}#cell{self.number}"


@dataclass
class NotebookModule:
    """What loading did: the cells run, those left out, and the IPython lines replaced."""

    ran: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        """One note for the binding's header: which cells ran, and what was left out."""
        return "; ".join([f"notebook cells run: {', '.join(map(str, self.ran))}"] + self.notes)


def notebook_of(target: Any) -> Optional[NotebookModule]:
    """What loading the notebook that defines `target` did; None for anything not from a notebook."""
    module = sys.modules.get(getattr(target, "__module__", None) or "")
    loaded = getattr(module, "__notebook__", None)
    return loaded if isinstance(loaded, NotebookModule) else None


def is_notebook(path: Path) -> bool:
    """An ``.ipynb`` file, or a ``.py`` file in percent format (a line starting ``# %%``)."""
    if path.suffix == ".ipynb":
        return True
    if path.suffix != ".py" or not path.is_file():
        return False
    return bool(_PERCENT_CELL.search(path.read_text(encoding="utf-8", errors="replace")))


def read_cells(path: Path) -> list:
    """The notebook's cells (nbformat for ``.ipynb``, jupytext for percent-format ``.py``)."""
    try:
        import jupytext
        import nbformat
    except ImportError:
        raise NotebookError(f"{path.name} is a notebook: loading it needs nbformat and jupytext "
                            "(pip install 'pytest-rnnconformance[notebooks]')") from None
    try:
        if path.suffix == ".ipynb":
            notebook = nbformat.read(str(path), as_version=4)
        else:
            notebook = jupytext.read(str(path), fmt="py:percent")
    except Exception as error:  # noqa: BLE001 - a malformed notebook is the submission's, in one line
        raise NotebookError(f"{path.name} is not a readable notebook ({type(error).__name__}: "
                            f"{str(error).strip().splitlines()[0] if str(error).strip() else 'no detail'})") from None
    cells = []
    for number, cell in enumerate(notebook.cells, start=1):
        tags = frozenset(str(tag).lower() for tag in cell.get("metadata", {}).get("tags", []) or [])
        cells.append(Cell(number, cell.get("cell_type", "code"), tags, cell.get("source", "") or ""))
    return cells


def python_of(cell: Cell) -> tuple[str, list]:
    """(the cell's source as Python, notes on what IPython syntax was replaced); the lines keep their
    numbers, so a location in the result is a location in the cell."""
    lines = cell.source.splitlines()
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in TRANSPARENT_CELL_MAGICS:
            return "", [f"cell {cell.number} (%%{magic}) is not Python: not run"]
        lines = ["pass"] + lines[1:]
    notes, python = [], []
    for line in lines:
        match = _IPYTHON_LINE.match(line)
        if match:
            python.append(f"{match.group('indent')}pass")
            notes.append(f"cell {cell.number}: {match.group('syntax').strip()[:40]} (IPython) not run")
        else:
            python.append(line)
    return "\n".join(python) + "\n", notes


def defines(source: str, name: str) -> bool:
    """Whether `source` defines `name` at the top level (``def``, ``class``, an assignment)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return True
    return False


def runnable_cells(path: Path, entry: str) -> tuple[list, list]:
    """([(cell, its Python)] that run for `entry`, notes), by the rule of the module docstring."""
    cells = read_cells(path)
    owner = entry.split(".")[0]
    code, notes = [], []
    for cell in cells:
        if cell.kind != "code" or not cell.source.strip():
            continue
        skipping = sorted(cell.tags & SKIP_TAGS)
        if skipping:
            notes.append(f"cell {cell.number} tagged {skipping[0]}: not run")
            continue
        python, replaced = python_of(cell)
        if not python.strip():  # a cell magic that is not Python
            notes += replaced
            continue
        code.append((cell, python, replaced))
    last = max((i for i, (_, python, _) in enumerate(code) if defines(python, owner)), default=None)
    if last is None:
        defined = sorted({name for _, python, _ in code for name in _top_level_names(python)})
        raise NotebookError(f"no code cell of {path.name} defines {owner} at the top level"
                            + (f" (its cells define: {', '.join(defined[:12])})" if defined else ""))
    chosen = code[:last + 1]
    later = [cell.number for cell, _, _ in code[last + 1:]]
    if later:
        notes.append(f"cells after {chosen[-1][0].number} (the last defining {owner}) not run: "
                     + ", ".join(map(str, later)))
    return [(cell, python) for cell, python, _ in chosen], [n for _, _, r in chosen for n in r] + notes


def defining_cell(path: Path, entry: str) -> Optional[int]:
    """The number of the cell `entry` is loaded from (the last that defines it); None if none does."""
    try:
        cells, _ = runnable_cells(path, entry)
    except NotebookError:
        return None
    return cells[-1][0].number


def parseable_code(path: Path) -> str:
    """The Python of every code cell not tagged to skip that parses, joined: what a reader looking
    for definitions (the grader finding the entry) reads without running anything. A cell that does
    not parse is left out here; loading the notebook reports it by cell and line. An unreadable
    notebook reads as no code."""
    try:
        cells = read_cells(path)
    except NotebookError:
        return ""
    code = []
    for cell in cells:
        if cell.kind == "code" and not cell.tags & SKIP_TAGS:
            python, _ = python_of(cell)
            try:
                ast.parse(python)
            except SyntaxError:
                continue
            code.append(python)
    return "".join(code)


def execute(path: Path, entry: str, module: types.ModuleType) -> NotebookModule:
    """Run the notebook's cells for `entry` in `module`'s namespace (see the module docstring)."""
    cells, notes = runnable_cells(path, entry)
    loaded = NotebookModule(notes=notes)
    for cell, python in cells:
        filename = cell.filename(path)
        linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)
        try:
            code = compile(python, filename, "exec")
        except SyntaxError as error:
            raise NotebookError(f"syntax error in {path.name}, cell {cell.number}, line {error.lineno}: "
                                f"{error.msg}") from None
        with cell_time_limit(CELL_SECONDS, path, cell):
            exec(code, module.__dict__)  # noqa: S102 - running the learner's cell is the point
        loaded.ran.append(cell.number)
    return loaded


def cell_time_limit(seconds: float, path: Path, cell: Cell):
    """Stop a cell after `seconds` (SIGALRM: the main thread only; elsewhere no limit applies)."""
    return alarm.time_limit(seconds, lambda: NotebookError(
        f"{path.name}, cell {cell.number} ran longer than {seconds:g} s while the notebook was loaded (training or "
        "plotting? tag the cell 'skip')"))


def frame_location(filename: str, line: int) -> str:
    """Where a frame is, as the learner finds it: ``hw.ipynb, cell 3, line 5: `h = tanh(z)``` for a
    notebook cell (the line quoted: a cell has no line numbers on screen), ``my_rnn.py:12`` otherwise."""
    match = _CELL_FILE.match(filename)
    if not match:
        return f"{Path(filename).name}:{line}"
    text = linecache.getline(filename, line).strip()
    quoted = f": `{text[:80]}`" if text else ""
    return f"{Path(match.group('path')).name}, cell {match.group('number')}, line {line}{quoted}"


def is_cell_of(filename: str, path: Path) -> bool:
    """Whether a frame's file name is one of `path`'s cells."""
    match = _CELL_FILE.match(filename)
    return bool(match) and Path(match.group("path")) == path


def _top_level_names(source: str) -> list:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]

