"""Finding the submissions: a class folder, a list or a glob; the entry inside a folder.

A folder is searched without importing anything: each ``.py`` file (and each ``.ipynb`` notebook's code
cells, `bind.notebooks.parseable_code`) is parsed and its top-level
definitions (``def``, ``class``, an assignment, a re-export by ``import``) are looked up by the
entry's name. The learner is told where it was found, or why not (no file defines it, or a file
that might have defined it does not parse: "could not be loaded: syntax error at line 5 of
model.py"): a missing entry is a zero with a reason, not a mystery. A single file that does not
parse is reported the same way, without running anything.

Every submission gets a name that is safe as a file name and unique in the class (it names the
CSV row, ``results/<name>.json`` and ``feedback/<name>.md``), and a fingerprint of its normalised
source (the syntax tree without comments, docstrings or layout) so that copies are flagged.
"""
from __future__ import annotations

import ast
import glob
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from ..bind.notebooks import defining_cell, parseable_code

#: What a submission's source files end with: Python, and Jupyter notebooks.
SOURCE_SUFFIXES = (".py", ".ipynb")

class SubmissionError(Exception):
    """A command-line path that is not a submission (missing, or neither .py file nor folder)."""


@dataclass(frozen=True)
class Submission:
    name: str
    path: Path  # the file or folder, absolute
    entry: str
    file: Optional[Path]  # the .py file to load the entry from; None when a folder has no entry
    located: str  # where the entry was found, or why not, in words for the learner
    fingerprint: str
    problem: str = ""  # why it cannot be run at all ("could not be loaded: syntax error at line 5 of ...")

    @property
    def root(self) -> Path:
        """The folder whose absolute path is hidden from messages the learner reads."""
        return self.path if self.path.is_dir() else self.path.parent

    @property
    def target(self) -> Optional[str]:
        return f"{self.file}:{self.entry}" if self.file is not None else None

    @property
    def shown_target(self) -> str:
        """The target as the learner knows it: relative to their submission."""
        if self.file is None:
            return f"{self.path.name}/" if self.path.is_dir() else self.path.name
        return f"{self.file.relative_to(self.root)}:{self.entry}"


SKIPPED_FOLDERS = ("__pycache__", "venv", "site-packages", "node_modules")


def discover(paths: Iterable[str], entry: str, skipped: Optional[list] = None) -> list:
    """Submissions for the command line's paths, sorted by name.

    Each path is a ``.py`` file (one submission), a folder, or a glob pattern the shell did not
    expand (``'class/*'``). A folder is one submission when it holds the entry itself (see
    `is_class_folder`); otherwise it is a class folder and each child folder or ``.py`` file is one
    submission (its other files, a README, are not). Other files named on the command line (a README
    matched by ``class/*``) are left out and listed in `skipped`.
    """
    paths, found = [str(p) for p in paths], []
    for given in paths:
        path = Path(given)
        if path.exists():
            matches, explicit = [path], True
        elif glob.has_magic(given):
            matches, explicit = [Path(p) for p in sorted(glob.glob(given))], False
            if not matches:
                raise SubmissionError(f"{given}: no file or folder matches")
        else:
            raise SubmissionError(f"{given}: no such file or folder")
        for match in matches:
            match = match.resolve()
            if match.is_dir():
                found += _units(match) if is_class_folder(match, entry) else [match]
            elif match.suffix in SOURCE_SUFFIXES:
                found.append(match)
            elif explicit and len(paths) == 1:
                raise SubmissionError(f"{given}: a submission is a .py file or a folder")
            elif skipped is not None:
                skipped.append(str(given if explicit else match))
    if not found:
        raise SubmissionError(f"no submission found in {', '.join(map(str, paths))} (a submission is a .py file "
                              "or a folder)")
    names = _unique_names(sorted(set(found)))
    submissions = [_submission(names[path], path, entry) for path in names]
    return sorted(submissions, key=lambda s: s.name)


def is_class_folder(folder: Path, entry: str) -> bool:
    """Whether `folder` holds many submissions rather than being one.

    Its *units* are its own ``.py`` files and its subfolders. It is one submission only when it
    holds the entry itself: exactly one unit defines it (a top-level ``def``, ``class`` or
    assignment of that name, not an import: a file that defines it, or a subfolder with such a
    file: a student's folder with ``model.py`` and helpers, or with ``src/model.py``). Otherwise it
    is a class folder: two or more units define it, a unit that does not parse counting as one that
    might (a class of ``alice.py``, ``bob.py``... or of ``alice/``, ``bob/``...), or none does (an
    entry nobody defines is then a usage error, see `entries_found`, never one student of the class).
    """
    units = _units(folder)
    defining = broken = 0
    for unit in units:
        files = [unit] if unit.is_file() else python_files(unit)
        parsed = [_parse(f) for f in files]
        if any(tree is not None and any(kind == "def" for kind, _ in _top_level_names(tree, entry))
               for tree, _ in parsed):
            defining += 1
        elif any(tree is None for tree, _ in parsed):
            broken += 1
    return defining + broken != 1


def defines_entry(submission: Submission) -> bool:
    """Whether the submission's file defines (or re-exports) the entry at the top level."""
    if submission.file is None or submission.problem:
        return False
    tree, _ = _parse(submission.file)
    return tree is not None and bool(_top_level_names(tree, submission.entry))


def entries_found(submissions: list, limit: int = 8) -> list:
    """The top-level functions and classes the submissions define, the most common first: what a
    teacher may have meant by an ``--entry`` nobody defines."""
    counts: dict = {}
    for submission in submissions:
        files = [submission.path] if submission.path.is_file() else python_files(submission.path)
        names: set = set()
        for file in files:
            tree, _ = _parse(file)
            if tree is not None:
                names.update(node.name for node in tree.body
                             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                             and not node.name.startswith("_"))
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))[:limit]


def entry_parameters(submissions: list) -> tuple:
    """The parameter names of the entry as the submissions define it (a function), the most common."""
    counts: dict = {}
    for submission in submissions:
        tree, _ = _parse(submission.file) if submission.file is not None and not submission.problem else (None, None)
        for node in tree.body if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == submission.entry:
                names = tuple(a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs)
                counts[names] = counts.get(names, 0) + 1
    return max(counts, key=lambda names: counts[names]) if counts else ()


def _units(folder: Path) -> list:
    return sorted(child for child in folder.iterdir()
                  if not child.name.startswith(".") and (
                      (child.is_dir() and child.name not in SKIPPED_FOLDERS)
                      or (child.is_file() and child.suffix in SOURCE_SUFFIXES and child.name != "__init__.py")))




def _unique_names(paths: list) -> dict:
    names: dict = {}
    used: set = set()
    for path in paths:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem if path.is_file() else path.name).strip("._") or "submission"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        names[path] = name
    return names


def _submission(name: str, path: Path, entry: str) -> Submission:
    if path.is_file():
        source = _read(path)
        tree, error = _parse(path, source)
        problem = unloadable(path.name, error) if tree is None else ""
        return Submission(name, path, entry, path, problem or f"{entry} is loaded from {path.name}",
                          fingerprint([(path.name, source)]), problem)
    files = python_files(path)
    file, located, problem = locate_entry(path, files, entry)
    return Submission(name, path, entry, file, located,
                      fingerprint([(str(f.relative_to(path)), _read(f)) for f in files]), problem)


def python_files(folder: Path) -> list:
    """The folder's .py and .ipynb files, shallowest first, skipping hidden folders (a notebook's
    .ipynb_checkpoints) and caches."""
    files = [f for f in folder.rglob("*") if f.suffix in SOURCE_SUFFIXES and f.is_file()
             if not any(part.startswith(".") or part in SKIPPED_FOLDERS
                        for part in f.relative_to(folder).parts[:-1])]
    return sorted(files, key=lambda f: (len(f.relative_to(folder).parts), str(f)))


def _parse(path: Path, source: Optional[str] = None) -> tuple:
    """(syntax tree, None) or (None, the SyntaxError or ValueError)."""
    try:
        return ast.parse(_read(path) if source is None else source, filename=path.name), None
    except (SyntaxError, ValueError) as error:
        return None, error


def unloadable(shown: str, error: Exception) -> str:
    """The reason a file cannot be loaded, for the gradebook and the learner."""
    if isinstance(error, SyntaxError):
        return f"could not be loaded: syntax error at line {error.lineno} of {shown} ({error.msg})"
    return f"could not be loaded: {shown} is not Python source ({error})"


def locate_entry(folder: Path, files: list, entry: str) -> tuple:
    """(file defining `entry`, sentence saying where, "") or (None, why it was not found, problem):
    the problem is the reason it cannot be loaded when a file that does not parse may define it."""
    if not files:
        return None, f"the folder {folder.name}/ holds no .py file, so {entry} could not be found", ""
    definitions, reexports, broken = [], [], []
    for file in files:
        relative = file.relative_to(folder)
        tree, error = _parse(file)
        if tree is None:
            broken.append((relative, error))
            continue
        for kind, line in _top_level_names(tree, entry):
            (reexports if kind == "import" else definitions).append((file, relative, line))
    candidates = definitions or reexports
    if not candidates:
        if broken:
            problem = unloadable(str(broken[0][0]), broken[0][1])
            if len(broken) > 1:
                problem += f"; {', '.join(str(r) for r, _ in broken[1:])} do{'es' if len(broken) == 2 else ''} " \
                           "not parse either"
            return None, problem, problem
        searched = ", ".join(str(f.relative_to(folder)) for f in files[:8]) + (", ..." if len(files) > 8 else "")
        return None, f"no .py file in {folder.name}/ defines {entry} at the top level (searched {searched})", ""
    file, relative, line = candidates[0]
    cell = defining_cell(file, entry) if file.suffix == ".ipynb" else None
    located = f"{entry} found in {relative} ({f'cell {cell}' if cell is not None else f'line {line}'})"
    others = sorted({str(r) for _, r, _ in candidates[1:] if r != relative})
    if others:
        located += f"; also defined in {', '.join(others)} (not used)"
    return file, located, ""


def _top_level_names(tree: ast.Module, entry: str) -> list:
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == entry:
            found.append(("def", node.lineno))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == entry for t in targets):
                found.append(("def", node.lineno))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name.split(".")[0]) == entry for alias in node.names):
                found.append(("import", node.lineno))
    return found


def fingerprint(sources: list) -> str:
    """Hash of the normalised sources (file names left out, so a renamed copy is still a copy):
    equal for copies that differ only in comments, docstrings, blank lines or spacing."""
    digest = hashlib.sha256()
    for text in sorted(normalise(source) for _, source in sources):
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()[:16]


def normalise(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.sub(r"#[^\n]*|\s+", "", source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False)


def _read(path: Path) -> str:
    """A file's Python: a notebook's is its code cells'."""
    if path.suffix == ".ipynb":
        return parseable_code(path)
    return path.read_text(encoding="utf-8", errors="replace")
