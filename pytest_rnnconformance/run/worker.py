"""The isolated worker: loads the implementation, runs calls, sends back plain tensors.

Started by `isolation.WorkerClient`, forked from the pytest process or as
``python -m pytest_rnnconformance.worker FD``. It talks only
through the socket on FD (see `wire`); whatever the implementation prints goes to the worker's
own stdout/stderr, captured by the parent. It never sees an oracle or a verdict: a submission
that patches torch, numpy or pytest here changes nothing that judges it.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
from typing import Any

import torch

from . import calling, wire
from .binding import bind
from .calling import Unsupported, call_candidate, describe_exception
from .loading import load_target
from .outcomes import CandidateError


def binding_summary(binding) -> dict:
    support = binding.support
    fields = {name: (sorted(value) if isinstance(value, frozenset) else value)
              for name, value in vars(support).items() if name != "reasons"}
    return {"name": binding.name, "convention": binding.convention, "modes": list(binding.modes),
            "support": fields, "reasons": dict(support.reasons), "notes": list(binding.notes),
            "state_has_layer_dim": binding.state_has_layer_dim}


def serve(sock: socket.socket) -> None:
    binding: Any = None
    while True:
        try:
            message = wire.receive(sock)
        except wire.WireError:
            return  # the parent is gone
        reply: dict
        if message["op"] == "bind":
            try:
                target = load_target(message["target"], message["rootdir"])
                binding = bind(target, message["target"], message["mode"])
                reply = {"ok": True, "binding": binding_summary(binding)}
            except Exception as error:  # noqa: BLE001 - the parent reports it as a usage error
                reply = {"ok": False, "kind": "usage", "message": str(error)}
        else:
            reply = run_call(binding, message)
        wire.send(sock, wire.encode(reply))


def run_call(binding, message: dict) -> dict:
    binding.state_has_layer_dim = message["state_has_layer_dim"]
    inputs = wire.decode(message["inputs"])
    try:
        raw, record = call_candidate(binding, inputs, record_calls=message.get("record_calls", False))
    except Unsupported as error:
        return {"ok": False, "kind": "unsupported", "message": str(error)}
    except CandidateError as error:
        return {"ok": False, "kind": "error", "message": str(error)}
    except BaseException as error:  # noqa: BLE001
        kind, text = describe_exception(error)
        return {"ok": False, "kind": kind, "message": text}
    return {"ok": True, "result": raw, "record": {
        "state_changes": record.state_changes, "mutated": record.mutated, "output": record.output,
        "warnings": record.warnings, "kernels": record.kernels}}


def _die_with_parent() -> None:
    """Exit as soon as the pytest process is gone, even in the middle of a call that never returns
    (the worker runs in its own session, so nothing else would stop it)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(fd: int) -> int:
    """Serve the parent on socket `fd` until it goes away (new interpreter or forked child)."""
    torch.set_num_threads(1)
    calling.TAMPER_WATCH = None  # forked from pytest, it has one: but nothing in this process judges anything
    _die_with_parent()
    serve(socket.socket(fileno=fd))
    return 0


if __name__ == "__main__":
    main(int(sys.argv[1]))
