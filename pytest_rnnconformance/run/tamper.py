"""Noticing, in process, an implementation that tampers with what judges it.

In-process, the implementation shares an interpreter with the judge; it can replace any function
(``torch.allclose``, pytest's outcome machinery, this plugin's own comparisons, even a function's
code object), register pytest hooks it finds through ``gc``, leave an ``atexit`` handler behind to
rewrite the report, or start a thread. `TamperWatch` takes its references *before* the
implementation is imported and, after every call, checks them, puts back what was replaced and
reports it, so the check in progress is an error:

* watched functions (torch's comparison and arithmetic, numpy's allclose, pytest's outcome and
  reporting machinery, and every function of this plugin), by identity and by code object;
* exit handlers: ``atexit.register`` goes through `ExitHandlerGate`, which refuses the handlers the
  implementation registers while it is imported or called, so none runs after the judge has
  finished; torch's own (dynamo's, inductor's, the exit function behind torch.library's finalizers)
  are registered as usual (``origin`` tells them apart), and none registered before is ever removed;
* pytest's plugins: none registered, no hook implementation's function swapped (a hook found
  through ``gc`` that forges reports).

Threads and processes it leaves running are ``purity`` findings, seen in both modes (``lingering``).

This *detects* a tamperer; it cannot make one harmless: only ``--rnn-isolate`` does that, by
judging in another process. The README says so.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib
import operator
import pkgutil
import sys
import types
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from .origin import torch_registers

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
    ("os", "_exit"), ("sys", "exit"), ("json", "dump"), ("json", "dumps"), ("atexit", "register"),
)
PACKAGE = __name__.split(".")[0]
#: The plugin's own folder, whose modules are walked for the names a verdict could go through.
PACKAGE_FOLDER = Path(__file__).resolve().parents[1]
_CODE, _DEFAULTS = operator.attrgetter("__code__"), operator.attrgetter("__defaults__")


def _resolve(module_name: str, path: str) -> tuple[Any, str, Any]:
    owner: Any = importlib.import_module(module_name)
    parts = path.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    return owner, parts[-1], owner.__dict__.get(parts[-1], getattr(owner, parts[-1]))


def _plugin_functions() -> list:
    """(label, owner, name, value) of every name the plugin's modules hold that a verdict could go
    through: their functions, classes and imported modules (an imported name counts: replacing
    ``features.base.judge`` would bypass ``judge.judge.judge``), and the methods of their classes."""
    found = []
    for info in pkgutil.walk_packages([str(PACKAGE_FOLDER)], prefix=f"{PACKAGE_FOLDER.name}."):
        if info.name.endswith("__main__") or ".grading" in info.name:
            continue
        module = sys.modules.get(info.name) or importlib.import_module(info.name)
        for name, value in list(vars(module).items()):
            if name.startswith("__") or not isinstance(value, (types.FunctionType, type, types.ModuleType,
                                                              types.BuiltinFunctionType)):
                continue
            found.append((f"{module.__name__}.{name}", module, name, value))
            if isinstance(value, type) and value.__module__ == module.__name__:
                for attribute, member in list(vars(value).items()):
                    if isinstance(member, (types.FunctionType, staticmethod, classmethod, property)):
                        found.append((f"{module.__name__}.{name}.{attribute}", value, attribute, member))
    return found


def _function(value: Any) -> Any:
    """The plain function behind a function, staticmethod, classmethod or property (or None)."""
    function = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
    return function if isinstance(function, types.FunctionType) else None


def _code_of(value: Any) -> Any:
    function = _function(value)
    return getattr(function, "__code__", None), getattr(function, "__defaults__", None)


class ExitHandlerGate:
    """``atexit.register`` for the rest of the process: while the implementation runs (`refusing`),
    a handler is registered only when torch's code asks for one of torch's (or the standard
    library's) callbacks; the others are refused and named by `findings`.

    Refusing at the door, not clearing afterwards: ``atexit._clear()`` would also drop the exit
    function of ``weakref.finalize``, and torch.library's finalizers would then run during the
    interpreter's teardown, each printing "'NoneType' object is not callable".
    """

    def __init__(self) -> None:
        self.original = atexit.register
        self.refusing_now = False
        self.refused: list = []
        self.expected = atexit._ncallbacks()  # handlers there should be: those before and those let through
        atexit.register = self.register

    def register(self, function: Callable, *args: Any, **kwargs: Any) -> Callable:
        if self.refusing_now and not torch_registers(sys._getframe(1), function):
            self.refused.append(getattr(function, "__qualname__", repr(function)))
            return function
        self.original(function, *args, **kwargs)
        self.expected = atexit._ncallbacks()
        return function

    @contextlib.contextmanager
    def refusing(self) -> Iterator[None]:
        """While the implementation is imported or called."""
        self.refusing_now = True
        try:
            yield
        finally:
            self.refusing_now = False

    def findings(self) -> list:
        """The handlers refused since the last time, and handlers registered around the gate
        (``atexit._ncallbacks`` grew unseen): those cannot be told apart from the others, so all are
        dropped (a tamperer's run is an error anyway; only then may exit tracebacks follow)."""
        found = [f"atexit (it registered the exit handler {name})" for name in self.refused]
        self.refused.clear()
        if atexit._ncallbacks() > self.expected:
            found.append("atexit (an exit handler was registered around atexit.register; all were removed)")
            atexit._clear()
            self.expected = 0
        return found


class TamperWatch:
    """References to what verdicts depend on, taken once; `check_and_restore` after each call.

    The check runs after every call of the implementation, so it is a few list comprehensions over
    prepared references (about 0.1 ms), and the slow, explaining pass only when something differs.
    """

    def __init__(self) -> None:
        self.exit_gate = ExitHandlerGate()  # first: ``atexit.register`` is then watched as the gate
        self.originals: list = []
        for module_name, path in WATCHED:
            try:
                owner, name, value = _resolve(module_name, path)
            except (ImportError, AttributeError):
                continue  # numpy is optional
            self.originals.append((f"{module_name}.{path}", owner, name, value))
        self.external = len(self.originals)  # the plugin's own references follow
        self.originals += _plugin_functions()
        self.codes = [_code_of(value) for _, _, _, value in self.originals]
        in_dict = [name in owner.__dict__ for _, owner, name, _ in self.originals]
        self._quick = [(o[1], o[2], o[3]) for o in self.originals[:self.external]]
        self._places = [(o[1].__dict__, o[2]) for o, found in zip(self.originals, in_dict) if found]
        self._values = [o[3] for o, found in zip(self.originals, in_dict) if found]
        self._inherited = [(o[1], o[2], o[3]) for o, found in zip(self.originals, in_dict) if not found]
        self._functions = [_function(value) for _, _, _, value in self.originals]
        self._functions = [f for f in self._functions if f is not None]
        self._codes = [f.__code__ for f in self._functions]
        self._defaults = [f.__defaults__ for f in self._functions]
        self.pluginmanager = None  # pytest's, in process: plugins and hooks are watched too
        self.hook_functions: list = []

    def _untouched(self) -> bool:
        """The quick check: every reference and every code object as it was."""
        return (all(map(operator.is_, [mapping.get(name) for mapping, name in self._places], self._values))
                and all(getattr(owner, name, None) is value for owner, name, value in self._inherited)
                and all(map(operator.is_, map(_CODE, self._functions), self._codes))
                and all(map(operator.is_, map(_DEFAULTS, self._functions), self._defaults)))

    def watch_hooks(self, pluginmanager) -> None:
        """Once every plugin is registered: no hook implementation's function may be swapped."""
        self.pluginmanager = pluginmanager
        self.hook_functions = [(impl, impl.function) for name in vars(pluginmanager.hook)
                               for impl in getattr(getattr(pluginmanager.hook, name), "get_hookimpls", list)()]

    def check_and_restore(self, *, full: bool = True) -> list:
        """What was replaced or added (and is now put back where that can be done).

        After each call the outside functions are checked (`full=False`: some 40 references); the
        plugin's own names, some 1,400, at the end of each row and before any verdict is kept.
        """
        replaced = []
        if full:
            suspects = [] if self._untouched() else list(zip(self.originals, self.codes))
        else:
            suspects = [] if all(getattr(owner, name, None) is value for owner, name, value in self._quick) else \
                list(zip(self.originals[:self.external], self.codes[:self.external]))
        for (label, owner, name, value), (code, defaults) in suspects:
            current = owner.__dict__.get(name, getattr(owner, name, None))
            if current is not value:
                replaced.append(label)
                setattr(owner, name, value)
            elif _code_of(value) != (code, defaults):
                replaced.append(f"{label} (its code)")
                function = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
                function.__code__, function.__defaults__ = code, defaults
        replaced += self.exit_gate.findings()
        if full:  # a hook acts at report time: after the row, and this check comes before then
            replaced += self._hooks_restored()
        return replaced

    def _hooks_restored(self) -> list:
        """Hook functions swapped since `watch_hooks`, put back."""
        found = []
        for impl, function in self.hook_functions:
            if impl.function is not function:
                impl.function = function
                found.append(f"pytest's hook {impl.plugin_name}.{function.__name__}")
        return found


@contextlib.contextmanager
def watching(watch: Optional[TamperWatch], pluginmanager=None) -> Iterator[list]:
    """While the implementation runs: its exit handlers refused; afterwards, pytest plugins it
    registered (unregistered again)."""
    registered: list = []
    if watch is None:
        yield registered
        return
    plugins = set(map(id, pluginmanager.get_plugins())) if pluginmanager is not None else set()
    try:
        with watch.exit_gate.refusing():
            yield registered
    finally:
        for plugin in list(pluginmanager.get_plugins()) if pluginmanager is not None else ():
            if id(plugin) not in plugins:
                name = pluginmanager.get_name(plugin) or type(plugin).__name__
                pluginmanager.unregister(plugin)
                registered.append(f"pytest's plugins (it registered {name})")
