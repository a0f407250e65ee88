"""Confining a process with an existing, well-kept tool: bubblewrap, else util-linux's ``unshare``.

Why a tool and not our own namespace code: bubblewrap (``bwrap``, the sandbox Flatpak uses) and
``unshare``/``setpriv`` are maintained, audited and installed on most Linux machines; the grader only
says what the sandbox holds (`Confinement`) and reads back the command line that builds it.

Inside, whichever tool builds it:

* the system (``/usr``, ``/lib``, ``/etc``...) and the Python environment (interpreter prefix, venv,
  site-packages) read-only, with the plugin's own package folder covered by an empty folder;
* the private folders given (a copy of the submission), read-write, at the paths given;
* a private ``/tmp`` of at most `Confinement.tmp_mb` (a tmpfs lives in memory, which the address-space
  limit does not count: uncapped, a flood of files there could take the machine's memory), a private
  ``/proc``, a minimal ``/dev``; no network (a new network namespace
  holds only a loopback that is down); a new PID namespace, so that nothing started inside (a double
  fork into its own session included) outlives the sandbox's first process; no IPC with the host;
* an unprivileged user: uid and gid 65534 (nobody) with no capabilities, ``no_new_privs`` set.

Nothing else of the host's file system is there: not the class folder, the rubric, the solution or
the output folder. `working_tool` checks that a tool actually works here (a trivial ``true`` through
it), because a tool can be installed yet refused by the kernel (user namespaces switched off).
"""
from __future__ import annotations

import functools
import os
import shlex
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ... import reference

PACKAGE_FOLDER = Path(__file__).resolve().parents[2]

#: Set to ``bwrap``, ``unshare`` or ``none`` to choose the tool (``none``: no sandbox); unset, the
#: first tool that works is used.
TOOL_ENV = "RNNCONFORMANCE_SANDBOX"
TOOLS = ("bwrap", "unshare")
NOBODY = 65534
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
DEVICES = ("null", "zero", "random", "urandom")
#: The sandbox's /tmp when no memory limit sizes it (torch.compile's caches fit in a few hundred MB).
TMP_MB = 1024


class SandboxUnavailable(Exception):
    """No sandbox tool works on this machine (or the one asked for does not)."""


@dataclass(frozen=True)
class Confinement:
    """What a sandbox holds. Paths are absolute; `private` maps a host folder to its path inside."""

    readable: tuple = ()
    private: tuple = ()  # ((host folder, path inside), ...), read-write
    hidden: tuple = ()  # folders inside `readable` ones covered by an empty, read-only folder
    cwd: str = "/"
    env: dict = field(default_factory=dict)
    tmp_mb: int = TMP_MB  # the most its /tmp holds


def environment_confinement(private: tuple = (), cwd: str = "/", env: Optional[dict] = None,
                            tmp_mb: Optional[int] = None) -> Confinement:
    """The system and this Python environment read-only, the plugin's package hidden, `private` writable."""
    return Confinement(environment_folders(), tuple(private), plugin_folders(), cwd, dict(env or {}),
                       tmp_mb or TMP_MB)


@functools.lru_cache(maxsize=None)
def environment_folders() -> tuple:
    """The folders a Python process of this environment reads: the system's, the interpreter's
    prefixes and every site-packages folder (their real paths too: a venv's python is a symlink)."""
    candidates = list(SYSTEM_FOLDERS) + [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += [sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    candidates += site.getsitepackages() + [os.path.dirname(sys.executable)]
    found = []
    for path in candidates:
        for form in (os.path.abspath(path), os.path.realpath(path)):
            if os.path.isdir(form) and form not in found:
                found.append(form)
    return _outermost(found)


@functools.lru_cache(maxsize=None)
def plugin_folders() -> tuple:
    """This package's folders that lie inside the environment (an installed plugin, not a checkout):
    covered inside, so that neither its reference nor its judge can be read there."""
    folders = [str(PACKAGE_FOLDER)] + [os.path.realpath(p) for p in reference.__path__]
    readable = environment_folders()
    return tuple(dict.fromkeys(f for f in folders if any(_inside(f, r) for r in readable)))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: list) -> tuple:
    """`paths` without those inside another one of them (a bind of the outer one holds them)."""
    return tuple(p for p in paths if not any(q != p and _inside(p, q) for q in paths))


def _as_root() -> bool:
    return os.geteuid() == 0


def _drop_privileges() -> list:
    """The unprivileged user, as root: setpriv to nobody, no capabilities, no new privileges."""
    ids = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if _as_root() else []
    return ["setpriv", *ids, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def _environment(confinement: Confinement) -> list:
    """``env -i -C CWD K=V...``: only the variables given, started in its own folder."""
    return ["env", "-i", "-C", confinement.cwd] + [f"{k}={v}" for k, v in sorted(confinement.env.items())]


def _bwrap(confinement: Confinement, argv: list) -> list:
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try"]
    made: set = set()

    def folder(path: str) -> None:  # every folder on the way, traversable by nobody
        for parent in reversed(Path(path).parents):
            if str(parent) != "/" and str(parent) not in made:
                made.add(str(parent))
                args.extend(["--perms", "0755", "--dir", str(parent)])

    args += ["--perms", "1777", "--size", str(confinement.tmp_mb << 20), "--tmpfs", "/tmp", "--proc", "/proc",
             "--dev", "/dev", "--clearenv"]
    for path in confinement.readable:
        folder(path)
        args.extend(["--ro-bind", path, path])
    for path in confinement.hidden:
        args.extend(["--perms", "0555", "--tmpfs", path, "--remount-ro", path])
    for host, inside in confinement.private:
        folder(inside)
        args.extend(["--bind", host, inside])
    if _as_root():  # setpriv needs these two to become nobody; it drops them, and every other
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:  # an unprivileged user namespace, nobody inside
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    return args + ["--", *_drop_privileges(), *_environment(confinement), *argv]


def _unshare(confinement: Confinement, argv: list, scratch: str) -> list:
    """util-linux: new namespaces, then a shell script that mounts the new root in `scratch` and
    enters it with chroot, as nobody without capabilities (setpriv)."""
    root = shlex.quote(scratch)
    lines = ["set -e", f"mount -t tmpfs -o mode=0755 none {root}"]

    def bind(source: str, target: str, read_only: bool) -> None:
        inside = shlex.quote(scratch + target)
        lines.append(f"mkdir -p {inside} && mount --bind {shlex.quote(source)} {inside}")
        if read_only:
            lines.append(f"mount -o remount,bind,ro {inside}")

    lines += [f"mkdir -p {root}/tmp {root}/proc {root}/dev", f"mount -t tmpfs -o mode=1777,size={confinement.tmp_mb}m none {root}/tmp",
              f"mount -t proc proc {root}/proc"]
    for device in DEVICES:
        lines.append(f"touch {root}/dev/{device} && mount --bind /dev/{device} {root}/dev/{device}")
    for path in confinement.readable:
        bind(path, path, True)
    for path in confinement.hidden:
        lines.append(f"mount -t tmpfs -o ro,mode=0555 none {shlex.quote(scratch + path)}")
    for host, inside in confinement.private:
        bind(host, inside, False)
    inner = ["chroot", scratch, *_drop_privileges(), *_environment(confinement), *argv]
    lines.append("exec " + shlex.join(inner))
    user = [] if _as_root() else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child",
            "--propagation", "private", "--", "sh", "-c", "\n".join(lines)]


def command(tool: str, confinement: Confinement, argv: list, scratch: str) -> list:
    """The command line that runs `argv` confined by `tool`; `scratch` is an empty host folder the
    tool may use (``unshare`` mounts its new root there)."""
    if tool == "bwrap":
        return _bwrap(confinement, argv)
    if tool == "unshare":
        return _unshare(confinement, argv, scratch)
    raise ValueError(f"unknown sandbox tool {tool!r}")


@functools.lru_cache(maxsize=None)
def _works(tool: str) -> bool:
    """Whether `tool` is installed and can build a sandbox here (a trivial ``true`` inside); once a process."""
    if shutil.which(tool) is None or shutil.which("setpriv") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="rnnsandbox-check-") as scratch:
        try:
            done = subprocess.run(command(tool, environment_confinement(), ["true"], scratch),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=30)
        except (OSError, subprocess.SubprocessError):
            return False
    return done.returncode == 0


def working_tool(choice: Optional[str] = None) -> Optional[str]:
    """The sandbox tool to use: `choice` (or ``$RNNCONFORMANCE_SANDBOX``) when given, else the first
    of bwrap, unshare that works; None for none (``none`` asked, or none works). Raises
    `SandboxUnavailable` when the tool asked for does not work."""
    choice = choice or os.environ.get(TOOL_ENV) or None
    if choice == "none":
        return None
    if choice is not None:
        if choice not in TOOLS:
            raise SandboxUnavailable(f"{TOOL_ENV}={choice}: expected one of {', '.join(TOOLS)} or none")
        if not _works(choice):
            raise SandboxUnavailable(f"the sandbox tool {choice} does not work on this machine")
        return choice
    return next((tool for tool in TOOLS if _works(tool)), None)
