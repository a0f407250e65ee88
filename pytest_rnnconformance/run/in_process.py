"""Calling the implementation in this process, guarded.

`NotImplementedError` means *unsupported*; every other exception, every pytest outcome raised from
inside the implementation (``pytest.skip``, ``pytest.xfail``, ``unittest.SkipTest``), an exit or an
interrupt, a timeout, and any tampering with what judges it are an *error* of the check: never a
skip, never a pass. The implementation always gets a private copy of the inputs, and what it
changed in that copy is recorded for the ``purity`` row. Nothing the judge computes exists yet
while it runs: the oracles are computed after it returns.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

import torch

from ..bind.binding import Binding, Unsupported
from .call import Call, Problem, problem_of
from .delegation import recorded_calls, recurrent_kernels
from .given import mutations, named_input_tensors
from .gradients import gradients_of
from .guard import CallRecord, guarded
from .lingering import left_running
from .results import Unreadable, plain, read
from .tamper import TamperWatch, watching

#: Installed by the plugin before the implementation is imported (see `install_tamper_watch`).
TAMPER_WATCH: Optional[TamperWatch] = None


def install_tamper_watch(pluginmanager=None) -> TamperWatch:
    """Take the reference identities of the watched functions (call before importing user code);
    with pytest's `pluginmanager`, plugins registered from inside a call are caught too."""
    global TAMPER_WATCH
    if TAMPER_WATCH is None:
        TAMPER_WATCH = TamperWatch()
    TAMPER_WATCH.pluginmanager = pluginmanager
    return TAMPER_WATCH


class InProcessRunner:
    """Calls a `Binding` in this process (see the module docstring)."""

    def __init__(self, binding: Binding, timeout: Optional[float] = None) -> None:
        self.binding, self.timeout = binding, timeout
        self.summary = binding.summary()

    def call(self, inputs, *, record_kernels: bool = False, upstream: Optional[dict] = None,
             grad: bool = False) -> Call:
        given = inputs.clone() if upstream is None else inputs.as_leaves()
        versions = {name: t._version for name, t in named_input_tensors(given).items()}
        record, problem, raw, names = CallRecord(), None, None, set()
        try:
            with guarded(TAMPER_WATCH, self.timeout) as record, left_running() as leftovers, \
                    watching(TAMPER_WATCH, getattr(TAMPER_WATCH, "pluginmanager", None)) as registered:
                if inputs.device.type == "cuda":
                    torch.cuda.synchronize()  # an earlier asynchronous error surfaces here, not in this call
                grad_mode = upstream is not None or grad
                with torch.enable_grad() if grad_mode else torch.no_grad():
                    if record_kernels:
                        raw, names = recorded_calls(lambda: self.binding.call(given))
                    else:
                        raw = self.binding.call(given)
                    if torch.is_grad_enabled() != grad_mode:  # leaving the context would hide the change
                        record.state_changes.append(f"grad_enabled ({grad_mode} -> {not grad_mode})")
                if inputs.device.type == "cuda":
                    torch.cuda.synchronize()  # this call's asynchronous errors surface in this check
        except Unsupported as error:
            problem = Problem("unsupported", str(error))
        except BaseException as error:  # noqa: BLE001 - whatever the implementation does, it is judged
            problem = problem_of(error, inputs.dtype)
        record.tampered += registered if "registered" in locals() else []
        if "leftovers" in locals():
            record.left_running = leftovers.still_running() + leftovers.changed_results(raw)
        if record.tampered:
            problem = Problem("error", f"tampering: the implementation replaced or left behind "
                                       f"{', '.join(record.tampered)} (put back now); run untrusted code with "
                                       "--rnn-isolate, where nothing it does can reach the judge")
        record.mutated = mutations(inputs, given, versions)
        record.kernels = recurrent_kernels(names)
        if problem is not None:
            return Call(None, _with_output(problem, record), record)
        return self._read(raw, inputs, given, record, upstream)

    def _read(self, raw: Any, inputs, given, record: CallRecord, upstream: Optional[dict]) -> Call:
        try:
            found = plain(raw, keep_graph=upstream is not None)
            result = read(found.value, inputs, per_layer=self.summary.per_layer, returns=self.summary.returns,
                          found=found)
        except Unreadable as error:
            return Call(None, Problem("error", str(error)), record, plain=found)
        if upstream is None:
            return Call(result, None, record, plain=found)
        try:
            with guarded(TAMPER_WATCH, self.timeout):
                gradients = gradients_of(result, given, upstream, self.summary, call=self._tensors)
        except Unsupported as error:
            return Call(result, Problem("unsupported", str(error)), record, plain=found)
        except Exception as error:  # noqa: BLE001 - its backward raised
            return Call(result, problem_of(error, inputs.dtype), record, plain=found)
        return Call(result, None, record, gradients, plain=found)


    def _tensors(self, inputs) -> dict:
        """The named result tensors of one more call (what ``gradcheck`` differentiates)."""
        found = plain(self.binding.call(inputs), keep_graph=True)
        return read(found.value, inputs, per_layer=self.summary.per_layer, returns=self.summary.returns).tensors


def _with_output(problem: Problem, record: CallRecord) -> Problem:
    extra = [record.output] if record.output else []
    if record.warnings:
        extra.append(f"{record.warnings} warning(s) raised")
    if not extra or problem.kind != "error":
        return problem
    return replace(problem, message=problem.message + f" [{'; '.join(extra)}]")  # what it raised, kept
