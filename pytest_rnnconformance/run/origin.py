"""Whose is it: torch's own machinery, or the implementation's?

While an implementation runs, torch itself may start threads and processes (inductor's compile
workers), register exit handlers (dynamo, inductor) and finalizers (``torch.library``). They happen
during a call, but they are not the implementation's doing, and calling them tampering would fail
every ``torch.compile``-d kernel. What decides is the code that made them: the innermost frame
outside the standard library (``threading``, ``concurrent.futures``, ``weakref`` only carry out a
request) and outside this plugin (whose wrappers notice the request). When that frame is in torch's
packages, torch made it; anywhere else, the implementation (or what it imported) did.
"""
from __future__ import annotations

import sys
import sysconfig
from types import FrameType
from typing import Callable, Optional

#: Top-level packages whose machinery is torch's: torch, and what torch.compile drives.
TORCH_PACKAGES = frozenset({"torch", "functorch", "triton"})
PACKAGE = __name__.split(".")[0]
_STDLIB_PATH = sysconfig.get_paths()["stdlib"]


def _top_level(module_name: str) -> str:
    return module_name.split(".")[0]


def is_stdlib(module_name: str) -> bool:
    """Whether a module belongs to Python's standard library (by name where Python lists the names,
    else by where its file lies)."""
    names = getattr(sys, "stdlib_module_names", None)  # Python 3.10+
    if names is not None:
        return _top_level(module_name) in names
    if _top_level(module_name) in sys.builtin_module_names:
        return True
    filename = getattr(sys.modules.get(module_name), "__file__", None) or ""
    return filename.startswith(_STDLIB_PATH) and "-packages" not in filename


def _carries_out(frame: FrameType) -> bool:
    """A frame that only carries out a request (the standard library, this plugin)."""
    name = frame.f_globals.get("__name__", "")
    return _top_level(name) == PACKAGE or is_stdlib(name)


def _requester(frame: Optional[FrameType]) -> tuple[str, list]:
    """The module of the innermost frame from `frame` outwards that made the request, and the
    modules whose import (their module-level code) carried it out on the way."""
    importing = []
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if frame.f_code.co_name == "<module>" and not is_torchs(name) and not _carries_out(frame):
            importing.append(name)  # a package torch imports registers at import time (filelock's handler)
        elif not _carries_out(frame):
            return name, importing
        frame = frame.f_back
    return "", importing


def requesting_module(frame: Optional[FrameType]) -> str:
    """Who asked, from `frame` outwards: a module imported along the way is not the asker, its importer is."""
    return _requester(frame)[0]


def is_torchs(module_name: str) -> bool:
    return _top_level(module_name) in TORCH_PACKAGES


def torch_registers(frame: Optional[FrameType], callback: Callable) -> bool:
    """Whether torch's code, at `frame`, registers a callback of torch's: torch's own, the standard
    library's (the exit function of ``weakref.finalize`` running torch.library's finalizers), or that of
    a package torch is importing (filelock's exit handler)."""
    asker, importing = _requester(frame)
    module = getattr(callback, "__module__", None) or ""
    return is_torchs(asker) and (is_torchs(module) or is_stdlib(module) or module in importing)
