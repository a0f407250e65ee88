"""Finding the submissions: a ``.py`` file each, or a folder each; the entry inside a folder.

A folder is searched without importing anything: each ``.py`` file is parsed and its top-level
definitions (``def``, ``class``, an assignment, a re-export by ``import``) are looked up by the
entry's name. The learner is told where it was found, or why not (no file defines it, a file that
might have defined it does not parse): a missing entry is a zero with a reason, not a mystery.

Every submission gets a name that is safe as a file name and unique in the class (it names the
CSV row, ``results/<name>.json`` and ``feedback/<name>.md``), and a fingerprint of its normalised
source (the syntax tree without comments, docstrings or layout) so that copies are flagged.
"""
from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional


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
            return f"{self.path.name}/"
        return f"{self.file.relative_to(self.root)}:{self.entry}"


def discover(paths: Iterable[str], entry: str) -> list:
    """Submissions for the command line's paths, sorted by name."""
    found = []
    for given in paths:
        path = Path(given).resolve()
        if not path.exists():
            raise SubmissionError(f"{given}: no such file or folder")
        if path.is_file() and path.suffix != ".py":
            raise SubmissionError(f"{given}: a submission is a .py file or a folder")
        found.append(path)
    names = _unique_names(sorted(set(found)))
    submissions = [_submission(names[path], path, entry) for path in names]
    return sorted(submissions, key=lambda s: s.name)


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
        return Submission(name, path, entry, path, f"{entry} is loaded from {path.name}",
                          fingerprint([(path.name, _read(path))]))
    files = python_files(path)
    file, located = locate_entry(path, files, entry)
    return Submission(name, path, entry, file, located,
                      fingerprint([(str(f.relative_to(path)), _read(f)) for f in files]))


def python_files(folder: Path) -> list:
    """The folder's .py files, shallowest first, skipping hidden folders and caches."""
    files = [f for f in folder.rglob("*.py")
             if not any(part.startswith(".") or part in ("__pycache__", "venv", "site-packages")
                        for part in f.relative_to(folder).parts[:-1])]
    return sorted(files, key=lambda f: (len(f.relative_to(folder).parts), str(f)))


def locate_entry(folder: Path, files: list, entry: str) -> tuple:
    """(file defining `entry`, sentence saying where) or (None, why it was not found)."""
    if not files:
        return None, f"the folder {folder.name}/ holds no .py file, so {entry} could not be found"
    definitions, reexports, broken = [], [], []
    for file in files:
        relative = file.relative_to(folder)
        try:
            tree = ast.parse(_read(file), filename=str(relative))
        except SyntaxError as error:
            broken.append(f"{relative} does not parse (line {error.lineno}: {error.msg})")
            continue
        for kind, line in _top_level_names(tree, entry):
            (reexports if kind == "import" else definitions).append((file, relative, line))
    candidates = definitions or reexports
    if not candidates:
        searched = ", ".join(str(f.relative_to(folder)) for f in files[:8]) + (", ..." if len(files) > 8 else "")
        why = f"no .py file in {folder.name}/ defines {entry} at the top level (searched {searched})"
        if broken:
            why += "; " + "; ".join(broken) + ", so it could not be searched"
        return None, why
    file, relative, line = candidates[0]
    located = f"{entry} found in {relative} (line {line})"
    others = sorted({str(r) for _, r, _ in candidates[1:] if r != relative})
    if others:
        located += f"; also defined in {', '.join(others)} (not used)"
    return file, located


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
    return path.read_text(encoding="utf-8", errors="replace")
