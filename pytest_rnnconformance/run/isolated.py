"""``--rnn-isolate``: run the implementation in a worker process, judge it in this one.

The worker (`worker.py`) imports the submission, the pytest process never does: expected results,
comparisons and verdicts stay here, so monkeypatching torch, numpy, pytest or this plugin inside
the submission cannot make it pass. The worker is reused across calls and restarted after anything fatal: a crash or segfault, ``os._exit``,
running past the per-call timeout (it is killed), or exceeding its memory cap (RLIMIT_AS). Each of
those is an ``error`` of the check in progress; the run goes on. It is forked from this process
where that is safe (`forking`), which costs milliseconds; otherwise it is a new interpreter, which
costs seconds (importing torch).
"""
from __future__ import annotations

import os
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import replace
from typing import Any, Optional

from . import wire, worker
from .binding import Binding
from .celltypes import registered_modes
from .forking import can_fork, fork_child
from .guard import CallRecord
from .outcomes import CandidateError
from .support import Support

DEFAULT_MEMORY_MB = 6144


class WorkerUnavailable(Exception):
    """The worker could not bind the implementation (the message is the usage error)."""


def _limit_memory(megabytes: int):
    def apply() -> None:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


class WorkerClient:
    """One worker process for one implementation; restarted on demand."""

    def __init__(self, target: str, mode: Optional[str], rootdir: str, memory_mb: int = DEFAULT_MEMORY_MB,
                 start_timeout: float = 120.0) -> None:
        self.target, self.mode, self.rootdir = target, mode, rootdir
        self.memory_mb, self.start_timeout = memory_mb, start_timeout
        self.process: Optional[subprocess.Popen] = None
        self.sock: Optional[socket.socket] = None
        self.log = tempfile.TemporaryFile()
        self.summary: Optional[dict] = None
        self.restarts = 0

    def start(self) -> dict:
        parent, child = socket.socketpair()
        if can_fork():  # milliseconds instead of seconds: torch and the plugin are already imported
            fd = child.fileno()
            self.process = fork_child(lambda: worker.main(fd), cwd=self.rootdir, stdout_fd=self.log.fileno(),
                                      stderr_fd=self.log.fileno(), prepare=_limit_memory(self.memory_mb),
                                      keep_fds=(fd,))
        else:
            if registered_modes():
                child.close()
                parent.close()
                raise WorkerUnavailable(
                    f"--rnn-isolate cannot test the registered cell(s) {', '.join(registered_modes())} here: a new "
                    "worker interpreter does not know them (only a worker forked from pytest does, and forking is "
                    "unsafe now: CUDA is initialised, other threads run, or RNNCONFORMANCE_NO_FORK=1)")
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pytest_rnnconformance.worker", str(child.fileno())],
                pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                start_new_session=True, preexec_fn=_limit_memory(self.memory_mb), env=env, cwd=self.rootdir)
        child.close()
        self.sock = parent
        reply = self.request({"op": "bind", "target": self.target, "mode": self.mode, "rootdir": self.rootdir},
                             self.start_timeout, what="loading the implementation")
        if not reply["ok"]:
            self.stop()
            raise WorkerUnavailable(reply["message"])
        self.summary = reply["binding"]
        return self.summary

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
                raise CandidateError(f"timed out: {what} took longer than {timeout:g} s (--rnn-timeout); "
                                     "the worker was killed and will be restarted", fatal=True)
            return wire.decode(wire.receive(self.sock))
        except (wire.WireError, OSError, BrokenPipeError):
            code = self.process.wait(timeout=10) if self.process else None
            self.stop()
            raise CandidateError(f"the worker process died during {what} ({_exit_description(code)}); "
                                 "it will be restarted", fatal=True) from None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def _exit_description(code: Optional[int]) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}" + (" after a MemoryError?" if code == 1 else "")


class RemoteBinding(Binding):
    """A `Binding` whose calls run in the worker; built from the worker's own binding."""

    remote = True

    def __init__(self, client: WorkerClient, timeout: Optional[float]) -> None:
        summary = client.summary or client.start()
        fields = dict(summary["support"])
        for name, value in list(fields.items()):
            if isinstance(value, list):
                fields[name] = frozenset(value)
        support = replace(Support(), reasons=summary["reasons"], **fields)
        super().__init__(target=None, name=summary["name"], convention=summary["convention"],
                         modes=tuple(summary["modes"]), support=support, notes=list(summary["notes"]))
        self.state_has_layer_dim = summary["state_has_layer_dim"]
        self.notes.append("isolated in a worker process")
        self.client, self.timeout = client, timeout
        self.last_record = CallRecord()
        self.record_calls = False

    def call(self, inputs) -> Any:
        reply = self.client.request({"op": "call", "inputs": inputs, "state_has_layer_dim": self.state_has_layer_dim,
                                     "record_calls": self.record_calls}, self.timeout)
        if not reply["ok"]:
            if reply["kind"] == "unsupported":
                raise NotImplementedError(reply["message"])
            raise CandidateError(reply["message"])
        record = reply["record"]
        self.last_record = CallRecord(state_changes=record["state_changes"], mutated=record["mutated"],
                                      output=record["output"], warnings=record["warnings"], kernels=record["kernels"])
        return reply["result"]
