"""``--rnn-isolate``: run the implementation in a worker process, judge it in this one.

The worker (`worker`) imports the submission, the pytest process never does: expected results,
comparisons and verdicts stay here, so monkeypatching torch, numpy, pytest or this plugin inside
the submission cannot make it pass. `WorkerRunner` is the `Runner` that talks to it. The worker is
reused across calls and restarted after anything fatal: a crash or segfault, ``os._exit``, running
past the per-call timeout (it is killed), or exceeding its memory cap (RLIMIT_AS). Each of those is
an ``error`` of the check in progress; the run goes on. It is forked from this process where that
is safe (`forking`), which costs milliseconds; otherwise it is a new interpreter, which costs
seconds (importing torch).

The worker runs in the grader's OS sandbox (`sandbox`) wherever a tool for it works: bubblewrap,
else ``unshare`` with ``setpriv``. Inside: a private copy of the implementation's folder, the
environment read-only, no network, its own PID namespace, nobody, and the plugin's modules out of
its reach (as root it is forked and joins the sandbox; otherwise it is a new interpreter in it).
Where no tool works, or the run needs what the sandbox does not hold (CUDA devices; registered
cells, which only a worker forked from pytest knows, where it cannot join the sandbox), the worker
runs unsandboxed, and the header says why (`choose_sandbox`); that never stops the run.
``RNNCONFORMANCE_SANDBOX`` chooses instead: ``none`` for no sandbox, or a tool (as the grader sets
it), which must then work.
"""
from __future__ import annotations

import dataclasses
import os
import select
import socket
import subprocess
import sys
import tempfile
from typing import Optional

from .. import modes as mode_registry
from ..options import DEFAULT_MEMORY_MB
from ..bind.binding import Summary
from ..bind.evidence import Fact, How
from ..bind.expressions import parse_returns
from ..bind.support import Support
from . import wire, worker
from .call import Call, Problem
from .forking import can_fork, fork_child
from .guard import CallRecord
from .results import Plain, Unreadable, read
from .sandbox.enter import can_enter
from .sandbox.launch import Sandboxed, enter_worker, start_worker
from .sandbox.processes import Limits, exit_description, kill_tree
from .sandbox.tools import TOOL_ENV, SandboxUnavailable, working_tool



class WorkerUnavailable(Exception):
    """The worker could not bind the implementation (the message is the usage error)."""


class WorkerFailed(Exception):
    """The worker hung or died during a request; the message says which and how."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


#: Processes and threads the sandbox's user may have (a flood of forks stops there).
SANDBOX_PROCESSES = 256
TOOL_NAMES = {"bwrap": "bubblewrap", "unshare": "unshare and setpriv"}


@dataclasses.dataclass(frozen=True)
class SandboxChoice:
    """Where the worker runs: in `tool`'s sandbox, or unsandboxed (None), and the header's line saying
    which or why. `asked`: ``$RNNCONFORMANCE_SANDBOX`` chose, so a tool it names must work."""

    tool: Optional[str]
    line: str
    asked: bool = False


def sandboxed(tool: str, asked: bool = False) -> SandboxChoice:
    """The worker in `tool`'s sandbox, said in one line with the way out."""
    return SandboxChoice(tool, f"worker sandboxed by {TOOL_NAMES.get(tool, tool)}: a private copy of its folder, "
                               "the environment read-only, no network, its own PID namespace, as nobody "
                               f"({TOOL_ENV}=none turns it off)", asked)


def unsandboxed(reason: str, asked: bool = False) -> SandboxChoice:
    """The worker without a sandbox, and why: said, never silent."""
    return SandboxChoice(None, f"worker not sandboxed: {reason}", asked)


def choose_sandbox(cuda: bool = False) -> SandboxChoice:
    """The sandbox of ``--rnn-isolate``'s worker (see the module docstring); `cuda`: the run checks CUDA."""
    asked = os.environ.get(TOOL_ENV)
    if asked == "none":
        return unsandboxed(f"{TOOL_ENV}=none", asked=True)
    if asked:
        return sandboxed(asked, asked=True)  # checked when the worker starts: a usage error if it does not work
    if cuda:
        return unsandboxed("the sandbox holds no GPU devices, and this run checks cuda")
    if mode_registry.registered_modes() and not (can_enter() and can_fork()):
        return unsandboxed(f"the registered cell(s) {', '.join(mode_registry.registered_modes())} are known only to "
                           "a worker forked from pytest, and only root can fork one into the sandbox")
    tool = working_tool()
    if tool is None:
        return unsandboxed("neither bubblewrap nor unshare with setpriv works on this machine (apt-get install "
                           "bubblewrap gives one)")
    return sandboxed(tool)


class WorkerClient:
    """One worker process for one implementation; restarted on demand."""

    def __init__(self, request: dict, rootdir: str, memory_mb: int = DEFAULT_MEMORY_MB,
                 start_timeout: float = 120.0, choice: Optional[SandboxChoice] = None) -> None:
        self.bind_request = {"op": "bind", "rootdir": rootdir, **request}
        self.choice = choice if choice is not None else choose_sandbox()
        self.rootdir, self.memory_mb, self.start_timeout = rootdir, memory_mb, start_timeout
        self.process = None
        self.sock: Optional[socket.socket] = None
        self.log = tempfile.TemporaryFile()
        self.summaries: Optional[list] = None
        self.chosen: Optional[dict] = None  # the settled way, told again to a restarted worker
        self.restarts = 0
        self.sandbox: Optional[Sandboxed] = None

    def start(self) -> list:
        self.stop()  # what is left of an earlier worker: its sandbox's folder
        parent, child = socket.socketpair()
        limits = Limits(memory_mb=self.memory_mb)
        tool = self.choice.tool
        if tool is not None:
            start = enter_worker if can_enter() and can_fork() else start_worker
            try:
                working_tool(tool)
                self.sandbox = start(tool, self.bind_request["target"], self.rootdir, child.fileno(), self.log,
                                     Limits(memory_mb=self.memory_mb, processes=SANDBOX_PROCESSES))
            except (SandboxUnavailable, OSError) as error:
                child.close()
                parent.close()
                if self.choice.asked or self.summaries is not None:  # asked for, or the run already relies on it
                    raise WorkerUnavailable(f"--rnn-isolate: the sandbox could not start ({error})") from None
                self.choice = unsandboxed(f"the sandbox could not start ({error})")
                return self.start()
            self.process = self.sandbox.worker
        elif can_fork():  # milliseconds instead of seconds: torch and the plugin are already imported
            fd = child.fileno()
            self.process = fork_child(lambda: worker.main(fd), cwd=self.rootdir, stdout_fd=self.log.fileno(),
                                      stderr_fd=self.log.fileno(), prepare=limits.apply, keep_fds=(fd,))
        else:
            if mode_registry.registered_modes():
                child.close()
                parent.close()
                raise WorkerUnavailable(
                    f"--rnn-isolate cannot test the registered cell(s) {', '.join(mode_registry.registered_modes())} "
                    "here: a new worker interpreter does not know them (only a worker forked from pytest does, and "
                    "forking is unsafe now: CUDA is initialised, other threads run, or RNNCONFORMANCE_NO_FORK=1)")
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pytest_rnnconformance.run.worker", str(child.fileno())],
                pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                start_new_session=True, preexec_fn=limits.apply, env=env, cwd=self.rootdir)
        child.close()
        self.sock = parent
        try:
            reply = self.request(self.bind_request, self.start_timeout, what="loading the implementation")
        except WorkerFailed as failure:
            raise WorkerUnavailable(f"--rnn-isolate: {failure}") from None
        if not reply["ok"]:
            self.stop()
            raise WorkerUnavailable(reply["message"])
        self.summaries = reply["summaries"]
        if self.chosen is not None:
            self.request(self.chosen, self.start_timeout, what="choosing how to call it")
        return self.summaries

    def choose(self, way) -> None:
        """Tell the worker how to call the implementation from now on (and after every restart)."""
        self.chosen = {"op": "choose", "way": dataclasses.asdict(way)}
        self.request(self.chosen, self.start_timeout, what="choosing how to call it")

    def request(self, message: dict, timeout: Optional[float], what: str = "the call") -> dict:
        if self.process is None or self.process.poll() is not None:
            self.restarts += self.process is not None
            self.start()
        assert self.sock is not None
        try:
            wire.send(self.sock, wire.encode(message))
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                self.stop()
                raise WorkerFailed(f"timed out: {what} took longer than {timeout:g} s (--rnn-timeout); the worker "
                                   "was killed and will be restarted", timed_out=True)
            return wire.decode(wire.receive(self.sock))
        except (wire.WireError, OSError):
            code = self.process.wait(timeout=10) if self.process else None
            if self.sandbox is not None:
                code = self.sandbox.worker_status(code)
            self.stop()
            raise WorkerFailed(f"the worker process died during {what} ({_exit_description(code)}); it will be "
                               "restarted") from None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            kill_tree(self.process.pid)
            self.process.wait()
        if self.sandbox is not None:
            self.sandbox.remove()
            self.sandbox = None
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def _exit_description(code: Optional[int]) -> str:
    return exit_description(code) + (" after a MemoryError?" if code == 1 else "")


def summary_from(message: dict) -> Summary:
    """The `Summary` a worker sent (see `worker.summary_message`)."""
    fields = {name: (frozenset(value) if isinstance(value, list) else value)
              for name, value in message["support"].items()}
    support = dataclasses.replace(Support(), reasons=dict(message["reasons"]), **fields)
    returns = parse_returns(message["returns"]) if message["returns"] else None
    return Summary(message["name"], message["convention"], tuple(message["modes"]), support, message["per_layer"],
                   returns, message["state_layer_dim"], message["arrays"], tuple(message["notes"]),
                   message["description"], message["from_torch"],
                   tuple(Fact(f["fact"], f["value"], How(f["how"]), f["because"]) for f in message["evidence"]),
                   message["declaration"], message["reading"], message["state_form_open"])


class WorkerRunner:
    """The `Runner` of ``--rnn-isolate``: every call runs in the worker; its result is read here."""

    def __init__(self, client: WorkerClient, timeout: Optional[float], summary: Summary) -> None:
        self.client, self.timeout, self.summary = client, timeout, summary

    def call(self, inputs, *, record_kernels: bool = False, upstream: Optional[dict] = None,
             grad: bool = False) -> Call:
        return self.request({"op": "call", "inputs": inputs, "record_kernels": record_kernels, "upstream": upstream,
                             "grad": grad}, inputs, self.summary, upstream is not None)

    def request(self, message: dict, inputs, summary: Summary, gradients: bool = False,
                timeout: Optional[float] = None) -> Call:
        """Send one call (or probe) and read its reply here, as `summary` says results read."""
        try:
            reply = self.client.request(message, timeout or self.timeout)
        except WorkerFailed as failure:
            return Call(None, Problem("error", str(failure), fatal=True, timed_out=failure.timed_out), CallRecord())
        record = CallRecord(**reply["record"])
        if reply["problem"] is not None and reply.get("value") is None:
            return Call(None, Problem(**reply["problem"]), record)
        found = Plain(reply["value"], reply["arrays"], reply["subclass"])
        try:
            result = read(found.value, inputs, per_layer=summary.per_layer, returns=summary.returns, found=found)
        except Unreadable as error:
            return Call(None, Problem("error", str(error)), record, plain=found)
        problem = Problem(**reply["problem"]) if reply["problem"] is not None else None
        taken = dict(reply.get("gradients") or {}) if gradients and problem is None else None
        return Call(result, problem, record, taken, found)

    def probe(self, way, inputs, summary: Summary, timeout: Optional[float] = None) -> Call:
        """A call in one way of calling, while the parent settles (see ``bind.settle``); `timeout`
        replaces the per-call limit (the first call's warm-up has a generous one)."""
        return self.request({"op": "probe", "way": dataclasses.asdict(way), "inputs": inputs}, inputs, summary,
                            timeout=timeout)
