"""Resolve ``--rnn-impl``: ``pkg.module:attr``, ``path/to/file.py:attr``, ``hw.ipynb:attr`` or ``reference``.

A file is imported under a private module name derived from its full path, never its bare stem,
so two submissions both called ``lstm.py`` do not collide in `sys.modules` (the second would
otherwise silently get the first's code). Every way loading can fail becomes one `LoadError` whose
message names the file and the cause in one line; the plugin turns it into a usage error.
A notebook (``.ipynb``, or a ``.py`` file in percent format) runs the cells `notebooks` chooses for the
entry, each under its own file name, so an error names the cell and the line.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Any

from .notebooks import NotebookError, execute, frame_location, is_cell_of, is_notebook

REFERENCE = "reference"


class LoadError(Exception):
    """An ``--rnn-impl`` that cannot be loaded; the message is the one line to show."""


def split_target(target: str) -> tuple[str, str]:
    """``'a/b.py:fn'`` -> ``('a/b.py', 'fn')``; the attribute may be dotted (``Class.method``)."""
    location, sep, attr = target.rpartition(":")
    if not sep or not location or not attr:
        raise LoadError(
            f"--rnn-impl {target!r}: expected 'path/to/file.py:name', 'package.module:name' or 'reference'"
        )
    return location, attr


def load_target(target: str, rootdir: str | os.PathLike = ".") -> Any:
    """Import what `target` names and return the object (function, class or factory)."""
    if target == REFERENCE:
        from ..modes import reference

        return reference
    location, attr = split_target(target)
    if location.endswith((".py", ".ipynb")) or os.sep in location or "/" in location:
        path = Path(location)
        if not path.is_absolute():
            path = Path(rootdir) / path
        module = _import_file(path.resolve(), target, attr)
    else:
        module = _import_module(location, target)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            available = sorted(n for n in dir(module) if not n.startswith("_"))[:12]
            raise LoadError(
                f"--rnn-impl {target}: {location} has no attribute {part!r}"
                + (f" (it defines: {', '.join(available)})" if available else "")
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise LoadError(f"--rnn-impl {target}: {attr} is a {type(obj).__name__}, not a function or class")
    return obj


def private_module_name(path: Path) -> str:
    """A module name of its own for each file and each content of it: a file rewritten at the same
    path (a re-graded submission, a generated implementation) is loaded again, never served stale."""
    content = path.read_bytes() if path.is_file() else b""
    digest = hashlib.sha1(str(path).encode() + b"\0" + content).hexdigest()[:12]
    return f"_rnnconformance_impl_{path.stem}_{digest}"


def _import_file(path: Path, target: str, attr: str) -> Any:
    if not path.exists():
        raise LoadError(f"--rnn-impl {target}: file not found: {path}")
    if path.is_dir():
        raise LoadError(f"--rnn-impl {target}: {path} is a directory, expected a .py or .ipynb file")
    name = private_module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    notebook = is_notebook(path)
    if notebook:
        module = types.ModuleType(name)
        module.__file__ = str(path)
    else:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise LoadError(f"--rnn-impl {target}: cannot import {path}")
        module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it executes
    # Let the submission import its sibling files, as it would when run as a script.
    sys.path.insert(0, str(path.parent))
    try:
        if notebook:
            module.__notebook__ = execute(path, attr, module)
        else:
            spec.loader.exec_module(module)
    except NotebookError as error:
        del sys.modules[name]
        raise LoadError(f"--rnn-impl {target}: {error}") from None
    except SyntaxError as error:
        del sys.modules[name]
        raise LoadError(f"--rnn-impl {target}: syntax error in {error.filename}, line {error.lineno}: {error.msg}") from None
    except BaseException as error:  # noqa: BLE001 - anything at import time is the submission's fault
        del sys.modules[name]
        raise LoadError(f"--rnn-impl {target}: importing {path} raised {_one_line(error, path)}") from None
    finally:
        try:
            sys.path.remove(str(path.parent))
        except ValueError:
            pass
    return module


def _import_module(location: str, target: str) -> Any:
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as error:
        if error.name and location.startswith(error.name):
            raise LoadError(f"--rnn-impl {target}: no module named {error.name!r}") from None
        raise LoadError(f"--rnn-impl {target}: importing {location} raised {_one_line(error)}") from None
    except SyntaxError as error:
        raise LoadError(f"--rnn-impl {target}: syntax error in {error.filename}, line {error.lineno}: {error.msg}") from None
    except BaseException as error:  # noqa: BLE001
        raise LoadError(f"--rnn-impl {target}: importing {location} raised {_one_line(error)}") from None


def _one_line(error: BaseException, path: Path | None = None) -> str:
    """``ValueError: boom (at my_lstm.py:12)``: the exception and the deepest frame in the user's file."""
    where = ""
    frames = traceback.extract_tb(error.__traceback__)
    if path is not None:
        frames = [f for f in frames if is_cell_of(f.filename, path) or Path(f.filename).resolve() == path] or frames
    if frames:
        where = f" (at {frame_location(frames[-1].filename, frames[-1].lineno)})"
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"
