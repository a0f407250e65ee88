"""The isolated worker: loads and binds the implementation, runs calls, sends back plain data.

Started by `isolated.WorkerRunner`, forked from the pytest process or as
``python -m pytest_rnnconformance.run.worker FD``. It talks only through the socket on FD (see
`wire`); whatever the implementation prints goes to the worker's own stdout/stderr, captured by
the parent. It never sees an oracle or a verdict: a submission that patches torch, numpy or pytest
here changes nothing that judges it. What it sends back is the return value made plain
(`results.plain`), which the parent reads itself, and the gradients as plain tensors.
"""
from __future__ import annotations

import dataclasses
import os
import socket
import sys
import threading
import time
from typing import Any

import torch

from . import in_process, wire
from .call import problem_of


def summary_message(summary) -> dict:
    """A binding's `Summary` as plain data."""
    support = summary.support
    fields = {f.name: (sorted(getattr(support, f.name)) if isinstance(getattr(support, f.name), frozenset)
                       else getattr(support, f.name)) for f in dataclasses.fields(support) if f.name != "reasons"}
    return {"name": summary.name, "convention": summary.convention, "modes": list(summary.modes), "support": fields,
            "reasons": dict(support.reasons), "per_layer": summary.per_layer,
            "returns": str(summary.returns) if summary.returns is not None else None,
            "state_layer_dim": summary.state_layer_dim, "arrays": summary.arrays, "notes": list(summary.notes),
            "description": summary.description, "from_torch": summary.from_torch,
            "evidence": [fact.as_json() for fact in summary.evidence], "declaration": summary.declaration,
            "reading": summary.reading, "state_form_open": summary.state_form_open}


def serve(sock: socket.socket) -> None:
    """Answer the parent: ``bind`` (the candidate bindings' summaries), ``probe`` (a call in one way
    of calling, while the parent settles), ``choose`` (the way settled on), ``call``."""
    bindings: tuple = ()
    runner: Any = None
    while True:
        try:
            message = wire.receive(sock)
        except wire.WireError:
            return  # the parent is gone
        if message["op"] == "bind":
            try:
                from ..bind import bind_target

                bindings = bind_target(message["target"], message["rootdir"], message["mode"], message["bind"],
                                       message["returns"])
                reply: dict = {"ok": True, "summaries": [summary_message(b.summary()) for b in bindings]}
            except Exception as error:  # noqa: BLE001 - the parent reports it as a usage error
                reply = {"ok": False, "kind": "usage", "message": str(error)}
        elif message["op"] in ("probe", "choose"):
            way = message["way"]
            chosen = bindings[way["candidate"]].replace(state_layer_dim=way["state_layer_dim"], arrays=way["arrays"])
            if message["op"] == "choose":
                runner = in_process.InProcessRunner(chosen, timeout=None)
                reply = {"ok": True}
            else:
                reply = run_call(in_process.InProcessRunner(chosen, timeout=None), message)
        else:
            reply = run_call(runner, message)
        wire.send(sock, wire.encode(reply))


def run_call(runner, message: dict) -> dict:
    inputs = wire.decode(message["inputs"])
    upstream = wire.decode(message["upstream"]) if message.get("upstream") is not None else None
    try:
        call = runner.call(inputs, record_kernels=message.get("record_kernels", False), upstream=upstream,
                           grad=message.get("grad", False))
    except BaseException as error:  # noqa: BLE001 - the runner itself should not raise; report it
        return {"problem": dataclasses.asdict(problem_of(error, inputs.dtype)), "record": {}}
    found = call.plain
    return {"problem": dataclasses.asdict(call.problem) if call.problem else None,
            "record": dataclasses.asdict(call.record), "value": found.value if found else None,
            "arrays": bool(found and found.arrays), "subclass": found.subclass if found else "",
            "gradients": call.gradients}


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
    in_process.TAMPER_WATCH = None  # forked from pytest, it has one: but nothing in this process judges anything
    _die_with_parent()
    serve(socket.socket(fileno=fd))
    return 0


if __name__ == "__main__":
    main(int(sys.argv[1]))
