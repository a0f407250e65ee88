"""Starting the worker in a sandbox: a private copy of the submission, the limits, one of two ways.

The submission's folder is copied afresh for every start (a restart after a crash starts from the
files as they were handed in), and the copy is bound at the folder's own path, so the target, the
messages and the paths the submission sees are the ones it would see unconfined. The copy belongs
to the sandbox's user (nobody), the original is not in the sandbox at all.

Two ways in, the same sandbox: as root, where forking is safe, the worker is forked from the judge
and joins the sandbox the tool built around a placeholder (`enter`: milliseconds); otherwise it is a
new interpreter started by the tool on the plugin's bundle (`answer_key`: seconds, importing torch).
Either way the plugin's modules are out of the submission's reach before it is loaded.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Optional, Union

from ...bind.load import REFERENCE, split_target
from .. import worker
from ..forking import ForkedChild, fork_child
from .answer_key import AnswerKeyGuard, bundle, import_worker_modules
from .enter import PLACEHOLDER, join, placeholder_pid
from .processes import Limits, kill_tree
from .tools import NOBODY, command, environment_confinement

#: Where the bundle lies inside the sandbox (deleted by the worker once it is loaded).
BUNDLE_INSIDE = "/rnnconformance"
NOT_COPIED = shutil.ignore_patterns(".git", ".hypothesis", "__pycache__", ".venv", "venv", "node_modules")
WORKER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
              "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "PYTHONHASHSEED": "0",
              "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def submission_folder(target: str, rootdir: str) -> Path:
    """The folder the sandbox gets a copy of: the target file's folder, or `rootdir` for a module
    target (``package.module:attr`` imports from there)."""
    if target == REFERENCE:
        return Path(rootdir).resolve()
    location, _ = split_target(target)
    if location.endswith((".py", ".ipynb")) or "/" in location or os.sep in location:
        return (Path(rootdir) / location).resolve().parent
    return Path(rootdir).resolve()


@dataclass
class Sandboxed:
    """A started sandbox: the tool's process (``bwrap`` or ``unshare``), the process that stands for
    the worker (the same one, or the child that joined), and its host folder (copies, bundle)."""

    process: subprocess.Popen
    worker: Union[subprocess.Popen, ForkedChild]
    scratch: Path

    def worker_status(self, code: Optional[int]) -> Optional[int]:
        """The worker's exit status as `subprocess` gives it (-N: killed by signal N). A worker the
        tool started is its child, and bubblewrap reports a child killed by signal N as 128 + N."""
        if self.worker is self.process and code is not None and code > 128:
            return 128 - code
        return code

    def remove(self) -> None:
        """End everything in the sandbox and delete its folder."""
        for process in (self.worker, self.process):
            if process.poll() is None:
                kill_tree(process.pid)
                process.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _give_to_nobody(folder: Path) -> None:
    """As root, the sandbox's user is nobody: it must own its private copies to write and delete them."""
    if os.geteuid() != 0:
        return
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, NOBODY, NOBODY)


def _copy(folder: Path, scratch: Path) -> Path:
    """The sandbox's private copy of `folder`, owned by its user."""
    files = scratch / "files"
    shutil.copytree(folder, files, symlinks=True, ignore=NOT_COPIED)
    _give_to_nobody(files)
    return files


def start_worker(tool: str, target: str, rootdir: str, fd: int, log: IO, limits: Limits) -> Sandboxed:
    """A new interpreter, ``python worker.zip FD``, confined by `tool`, serving the judge on socket `fd`."""
    folder = submission_folder(target, rootdir)
    scratch = Path(tempfile.mkdtemp(prefix="rnnsandbox-"))
    try:
        files, keys, root = _copy(folder, scratch), scratch / "bundle", scratch / "root"
        keys.mkdir()
        root.mkdir()
        shutil.copyfile(bundle(), keys / "worker.zip")
        _give_to_nobody(keys)
        confinement = environment_confinement(private=((str(files), str(folder)), (str(keys), BUNDLE_INSIDE)),
                                              cwd=str(folder), env=WORKER_ENV, tmp_mb=limits.memory_mb)
        argv = [sys.executable, f"{BUNDLE_INSIDE}/worker.zip", str(fd)]
        process = subprocess.Popen(command(tool, confinement, argv, str(root)), pass_fds=[fd],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                   preexec_fn=limits.apply)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Sandboxed(process, process, scratch)


def _serve(fd: int) -> int:
    """The joined worker's body: the answer key out of reach, then the worker as usual."""
    AnswerKeyGuard.install()
    return worker.main(fd)


def enter_worker(tool: str, target: str, rootdir: str, fd: int, log: IO, limits: Limits) -> Sandboxed:
    """A worker forked from this (preloaded) process that joins the sandbox `tool` built (see `enter`)."""
    folder = submission_folder(target, rootdir)
    import_worker_modules()
    scratch = Path(tempfile.mkdtemp(prefix="rnnsandbox-"))
    process = None
    try:
        files, root = _copy(folder, scratch), scratch / "root"
        root.mkdir()
        confinement = environment_confinement(private=((str(files), str(folder)),), cwd=str(folder), env=WORKER_ENV,
                                              tmp_mb=limits.memory_mb)
        process = subprocess.Popen(command(tool, confinement, PLACEHOLDER, str(root)), stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, start_new_session=True)
        pid = placeholder_pid(process.pid)
        joined = fork_child(lambda: join(pid, str(folder), limits, WORKER_ENV, lambda: _serve(fd)), cwd="/",
                            stdout_fd=log.fileno(), stderr_fd=log.fileno(), keep_fds=(fd,))
    except BaseException:
        if process is not None:
            kill_tree(process.pid)
            process.wait()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Sandboxed(process, joined, scratch)
