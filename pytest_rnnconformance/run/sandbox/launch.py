"""Starting the worker in a sandbox: a private copy of the submission, the bundle, the limits.

The submission's folder is copied afresh for every start (a restart after a crash starts from the
files as they were handed in), and the copy is bound at the folder's own path, so the target, the
messages and the paths the submission sees are the ones it would see unconfined. The copy belongs
to the sandbox's user (nobody), the original is not in the sandbox at all.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ...bind.load import REFERENCE, split_target
from .answer_key import bundle
from .processes import Limits
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
    """A started sandbox: its process (``bwrap`` or ``unshare``) and its host folder (copies, bundle)."""

    process: subprocess.Popen
    scratch: Path

    def remove(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def _give_to_nobody(folder: Path) -> None:
    """As root, the sandbox's user is nobody: it must own its private copies to write and delete them."""
    if os.geteuid() != 0:
        return
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, NOBODY, NOBODY)


def start_worker(tool: str, target: str, rootdir: str, fd: int, log: IO, limits: Limits) -> Sandboxed:
    """``python worker.zip FD`` confined by `tool`, serving the judge on socket `fd`."""
    folder = submission_folder(target, rootdir)
    scratch = Path(tempfile.mkdtemp(prefix="rnnsandbox-"))
    try:
        files, keys, root = scratch / "files", scratch / "bundle", scratch / "root"
        shutil.copytree(folder, files, symlinks=True, ignore=NOT_COPIED)
        keys.mkdir()
        root.mkdir()
        shutil.copyfile(bundle(), keys / "worker.zip")
        _give_to_nobody(files)
        _give_to_nobody(keys)
        confinement = environment_confinement(private=((str(files), str(folder)), (str(keys), BUNDLE_INSIDE)),
                                              cwd=str(folder), env=WORKER_ENV)
        argv = [sys.executable, f"{BUNDLE_INSIDE}/worker.zip", str(fd)]
        process = subprocess.Popen(command(tool, confinement, argv, str(root)), pass_fds=[fd],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                   preexec_fn=limits.apply)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Sandboxed(process, scratch)
