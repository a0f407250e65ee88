"""The answer key out of reach: the sandboxed worker runs the plugin without the plugin being there.

The worker must run the plugin's code (binding, calling, the wire), and that code imports the
bundled reference (``modes`` does, to know each recurrence). A submission in the same process must
not get at either. So the worker is not given the plugin's folder at all: it is started on a
*bundle*, a zip of the compiled modules it needs (`bundle`), copied into its private folder. First
thing inside (`main`), it imports everything it will need, deletes its copy of the bundle, takes
every ``pytest_rnnconformance`` module out of ``sys.modules`` and installs `AnswerKeyGuard`. From
then on, in that process:

* ``import pytest_rnnconformance.reference`` (or any module of the plugin), ``importlib.import_module``
  and ``__import__`` raise ``ModuleNotFoundError`` for the submission;
* ``sys.modules`` holds none of them, and no file of the plugin exists to be read or imported anew
  (the bundle is deleted; an installed plugin's folder is covered, see `tools.plugin_folders`);
* the worker's own code, which imports lazily, still gets its modules: the guard hands a plugin
  module only to code whose globals are one of the plugin's own modules;
* the one exception is the declaration API an implementation is told to use (README:
  ``from pytest_rnnconformance import implements``): a plain ``import pytest_rnnconformance`` by
  anyone else gets a stand-in package holding `PUBLIC` and nothing else, so a declared
  implementation loads as it does unconfined, and ``from pytest_rnnconformance import reference``
  still fails.

What it cannot do: hide objects the process holds. A submission that walks the garbage collector's
objects or the caller's frames can still find the worker's functions; that is in-process reach, not
an import, and the judge that scores it runs in another process that never imports the submission.
"""
from __future__ import annotations

import builtins
import functools
import importlib
import importlib.util
import marshal
import os
import pkgutil
import sys
import tempfile
import types
import zipfile
import zipimport
from pathlib import Path
from typing import Any

PACKAGE = "pytest_rnnconformance"
#: The stages the worker runs (load, bind, settle, run; the reference and the judge's oracles they
#: import): imported before the plugin's files go away. The others (features, suite, report,
#: grading, the pytest plugin) are the judge's and never run in a worker; the bundle holds them all
#: the same, for whatever a worker module imports from them at import time.
WORKER_PARTS = ("bind", "draw", "judge", "reference", "run", "modes", "spec")
WORKER_ENTRY = "import sys\nfrom pytest_rnnconformance.run.sandbox import answer_key\nsys.exit(answer_key.main())\n"
#: What a submission may import of the plugin: the declaration decorator (module, name).
PUBLIC = {"implements": (f"{PACKAGE}.bind.support", "implements")}


def _is_plugin(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def worker_modules() -> list:
    """The names of every module of `WORKER_PARTS`, packages first."""
    names = []
    for part in WORKER_PARTS:
        module = importlib.import_module(f"{PACKAGE}.{part}")
        names.append(module.__name__)
        if hasattr(module, "__path__"):
            names += [info.name for info in pkgutil.walk_packages(module.__path__, prefix=module.__name__ + ".")]
    return names


def plugin_modules() -> list:
    """(module name, is a package, source file) for every module of the plugin (the reference too,
    which an editable install maps from another folder)."""
    package = importlib.import_module(PACKAGE)
    reference = importlib.import_module(f"{PACKAGE}.reference")
    found = [(PACKAGE, True, package.__file__), (reference.__name__, True, reference.__file__)]
    for root in (package, reference):
        for info in pkgutil.walk_packages(root.__path__, prefix=root.__name__ + "."):
            spec = importlib.util.find_spec(info.name)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                found.append((info.name, info.ispkg, spec.origin))
    return list({name: (name, is_package, origin) for name, is_package, origin in found}.values())


@functools.lru_cache(maxsize=None)
def import_worker_modules() -> None:
    """Import every module the worker may need, before a forked worker joins a sandbox where the
    plugin's files are not (its lazy imports are then answered from memory by the guard)."""
    for name in worker_modules():
        importlib.import_module(name)


@functools.lru_cache(maxsize=None)
def bundle() -> Path:
    """A zip of the plugin's modules, compiled, with a ``__main__`` that starts the worker: built
    once per process (the grader builds it before forking its runs, which then share it)."""
    folder = Path(tempfile.mkdtemp(prefix="rnnconformance-bundle-"))
    path = folder / "worker.zip"
    header = importlib.util.MAGIC_NUMBER + bytes(12)  # flags 0, no source mtime or size: a sourceless module
    with zipfile.ZipFile(path, "w") as archive:
        for name, is_package, origin in plugin_modules():
            inside = name.replace(".", "/") + ("/__init__" if is_package else "")
            code = compile(Path(origin).read_bytes(), inside + ".py", "exec", dont_inherit=True)
            archive.writestr(inside + ".pyc", header + marshal.dumps(code))
        archive.writestr("__main__.py", WORKER_ENTRY)
    return path


class AnswerKeyGuard:
    """``builtins.__import__`` and a ``sys.meta_path`` finder that refuse the plugin's modules to
    everyone but the plugin's own code (see the module doc)."""

    def __init__(self, modules: dict) -> None:
        self.modules = modules
        self.own_globals = {id(vars(module)) for module in modules.values()}
        self.original_import = builtins.__import__
        self.public = types.ModuleType(PACKAGE, "All a submission may import of the plugin: its declarations.")
        for name, (module, attribute) in PUBLIC.items():
            if module in modules:
                setattr(self.public, name, getattr(modules[module], attribute))

    @classmethod
    def install(cls) -> "AnswerKeyGuard":
        modules = {name: sys.modules.pop(name) for name in list(sys.modules) if _is_plugin(name)}
        guard = cls(modules)
        builtins.__import__ = guard.import_
        sys.meta_path.insert(0, guard)
        return guard

    def import_(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0):
        # Every import statement that runs passes here, torch's lazy ones inside its functions too: the
        # common case is decided without resolving the name. A relative import never leaves the top
        # package of the module it is written in, so only one written in the plugin's may reach it.
        within = ((globals or {}).get("__package__") or "") if level else name
        if not _is_plugin(within.partition(".")[0]):
            return self.original_import(name, globals, locals, fromlist, level)
        absolute = self._absolute(name, globals, level)
        if absolute is None or not _is_plugin(absolute):
            return self.original_import(name, globals, locals, fromlist, level)
        if globals is None or id(globals) not in self.own_globals:
            if absolute == PACKAGE:
                return self.public
            raise ModuleNotFoundError(f"No module named {absolute!r}", name=absolute)
        try:
            module = self.modules[absolute]
        except KeyError:
            raise ModuleNotFoundError(f"No module named {absolute!r} (not in the worker's bundle)",
                                      name=absolute) from None
        if fromlist or level:
            return module
        return self.modules[absolute.partition(".")[0]]

    @staticmethod
    def _absolute(name: str, globals: Any, level: int):
        if not level:
            return name
        package = (globals or {}).get("__package__") or ""
        try:
            return importlib.util.resolve_name("." * level + name, package) if package else None
        except (ImportError, ValueError):
            return None

    def find_spec(self, name: str, path: Any = None, target: Any = None):
        """``importlib`` and the import system's own lookups: the plugin's modules do not exist."""
        if _is_plugin(name):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _forget(bundle_path: str) -> None:
    """Delete the bundle and every trace of it in the import system."""
    os.unlink(bundle_path)
    sys.path[:] = [p for p in sys.path if p != bundle_path]
    sys.path_importer_cache.pop(bundle_path, None)
    zipimport._zip_directory_cache.pop(bundle_path, None)  # type: ignore[attr-defined]


def main() -> int:
    """Inside the sandbox: ``python worker.zip FD``. Import the worker's modules, forget the bundle,
    guard the answer key, then serve the judge on socket FD (see `run.worker`)."""
    bundle_path, fd = sys.argv[0], int(sys.argv[1])
    import_worker_modules()
    worker = importlib.import_module(f"{PACKAGE}.run.worker")
    _forget(bundle_path)
    AnswerKeyGuard.install()
    return worker.main(fd)
