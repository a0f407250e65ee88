"""Noticing, in process, an implementation that tampers with what judges it.

In-process, the implementation shares an interpreter with the judge; it can replace any function
(``torch.allclose``, pytest's outcome machinery, this plugin's own comparisons, even a function's
code object), register pytest hooks it finds through ``gc``, leave an ``atexit`` handler behind to
rewrite the report, or start a thread. `TamperWatch` takes its references *before* the
implementation is imported and, after every call, checks them, puts back what was replaced and
reports it, so the check in progress is an error:

* watched functions (torch's comparison and arithmetic, numpy's allclose, pytest's outcome and
  reporting machinery, and every function of this plugin), by identity and by code object;
* ``atexit.register`` is replaced while the implementation runs, and the number of exit handlers
  is compared, so no handler it leaves behind runs after the judge has finished;
* threads it starts and leaves running;
* the pytest hooks registered in the run (`hooks_fingerprint`, compared at the end of each row).

This *detects* a tamperer; it cannot make one harmless: only ``--rnn-isolate`` does that, by
judging in another process. The README says so.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib
import pkgutil
import sys
import threading
import types
from typing import Any, Iterator, Optional

#: (module, attribute path) of the outside functions verdicts depend on.
WATCHED = (
    ("torch", "allclose"), ("torch", "isclose"), ("torch", "equal"), ("torch", "abs"), ("torch", "sub"),
    ("torch", "max"), ("torch", "amax"), ("torch", "where"), ("torch", "nan_to_num"), ("torch", "zeros_like"),
    ("torch", "Tensor.__sub__"), ("torch", "Tensor.__eq__"), ("torch", "Tensor.__le__"), ("torch", "Tensor.__gt__"),
    ("torch", "Tensor.abs"), ("torch", "Tensor.max"), ("torch", "Tensor.amax"), ("torch", "Tensor.to"),
    ("torch", "Tensor.detach"), ("torch", "Tensor.clone"), ("torch", "Tensor.__float__"),
    ("torch.testing", "assert_close"),
    ("numpy", "allclose"), ("numpy", "isclose"), ("numpy.testing", "assert_allclose"),
    ("pytest", "skip"), ("pytest", "fail"), ("pytest", "xfail"), ("_pytest.runner", "call_and_report"),
    ("_pytest.runner", "CallInfo.from_call"), ("_pytest.reports", "TestReport.from_item_and_call"),
    ("_pytest.terminal", "TerminalReporter.summary_stats"), ("_pytest.main", "Session.__init__"),
    ("os", "_exit"), ("sys", "exit"), ("json", "dump"), ("json", "dumps"),
)
PACKAGE = __name__.split(".")[0]


def _resolve(module_name: str, path: str) -> tuple[Any, str, Any]:
    owner: Any = importlib.import_module(module_name)
    parts = path.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    return owner, parts[-1], owner.__dict__.get(parts[-1], getattr(owner, parts[-1]))


def _plugin_functions() -> list:
    """(label, owner, name, value) of every function and method defined in this plugin."""
    import pytest_rnnconformance as package

    found = []
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        if info.name.endswith("__main__") or ".grading" in info.name:
            continue
        module = sys.modules.get(info.name) or importlib.import_module(info.name)
        for name, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
                found.append((f"{module.__name__}.{name}", module, name, value))
            elif isinstance(value, type) and value.__module__ == module.__name__:
                for attribute, member in list(vars(value).items()):
                    if isinstance(member, (types.FunctionType, staticmethod, classmethod, property)):
                        found.append((f"{module.__name__}.{name}.{attribute}", value, attribute, member))
    return found


def _code_of(value: Any) -> Any:
    function = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
    return getattr(function, "__code__", None), getattr(function, "__defaults__", None)


class TamperWatch:
    """References to what verdicts depend on, taken once; `check_and_restore` after each call."""

    def __init__(self) -> None:
        self.originals: list = []
        for module_name, path in WATCHED:
            try:
                owner, name, value = _resolve(module_name, path)
            except (ImportError, AttributeError):
                continue  # numpy is optional
            self.originals.append((f"{module_name}.{path}", owner, name, value))
        self.originals += _plugin_functions()
        self.codes = [_code_of(value) for _, _, _, value in self.originals]
        self.exit_handlers = atexit._ncallbacks()

    def check_and_restore(self) -> list:
        """What was replaced or added (and is now put back where that can be done)."""
        replaced = []
        for (label, owner, name, value), (code, defaults) in zip(self.originals, self.codes):
            current = owner.__dict__.get(name, getattr(owner, name, None))
            if current is not value:
                replaced.append(label)
                setattr(owner, name, value)
            elif _code_of(value) != (code, defaults):
                replaced.append(f"{label} (its code)")
                function = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
                function.__code__, function.__defaults__ = code, defaults
        if atexit._ncallbacks() > self.exit_handlers:
            replaced.append("atexit (an exit handler was registered)")
            atexit._clear()  # none of them may run after the verdicts; the plugin keeps none of its own
            self.exit_handlers = 0
        return replaced


@contextlib.contextmanager
def watching(watch: Optional[TamperWatch]) -> Iterator[list]:
    """While the implementation runs: no exit handlers, and a list of threads it left running."""
    left_running: list = []
    if watch is None:
        yield left_running
        return
    before = set(threading.enumerate())
    register = atexit.register
    refused: list = []

    def refuse(function, *args, **kwargs):
        refused.append(getattr(function, "__qualname__", repr(function)))
        return function

    atexit.register = refuse
    try:
        yield left_running
    finally:
        atexit.register = register
        left_running += [f"atexit.register({name})" for name in refused]
        left_running += [f"a thread it started ({thread.name})" for thread in threading.enumerate()
                         if thread not in before and thread.is_alive()]


def hooks_fingerprint(pluginmanager) -> tuple:
    """The registered plugins and every hook implementation's function, to compare after a row."""
    implementations = []
    for name in sorted(vars(pluginmanager.hook)):
        caller = getattr(pluginmanager.hook, name)
        for impl in getattr(caller, "get_hookimpls", lambda: [])():
            implementations.append((name, impl.plugin_name, id(impl.function)))
    return tuple(sorted(id(plugin) for plugin in pluginmanager.get_plugins())), tuple(implementations)
