"""The one place an implementation is called, and how what it does is turned into outcomes.

`NotImplementedError` means *unsupported*; every other exception, every pytest outcome raised from
inside the implementation (``pytest.skip``, ``pytest.xfail``, ``unittest.SkipTest``), an exit or an
interrupt, a timeout, and any tampering with the functions verdicts depend on are an *error* of the
check: never a skip, never a pass. The implementation always gets a private copy of the inputs, and
what it changed in that copy is recorded for the ``purity`` feature.
"""
from __future__ import annotations

import traceback
import unittest
from pathlib import Path
from typing import Any, Optional

import torch

from .delegation import recorded_calls, recurrent_kernels
from .guard import CallRecord, CallTimeout, TamperWatch, guarded
from .inputs import RNNInputs
from .outcomes import CandidateError

#: Installed by the plugin before the implementation is imported (see `install_tamper_watch`).
TAMPER_WATCH: Optional[TamperWatch] = None


class Unsupported(Exception):
    """The implementation raised NotImplementedError for this configuration."""


def install_tamper_watch() -> TamperWatch:
    """Take the reference identities of the watched functions (call before importing user code)."""
    global TAMPER_WATCH
    if TAMPER_WATCH is None:
        TAMPER_WATCH = TamperWatch()
    return TAMPER_WATCH


def _outcome_exceptions() -> tuple:
    import _pytest.outcomes as outcomes

    return (outcomes.OutcomeException, unittest.SkipTest, KeyboardInterrupt, SystemExit, GeneratorExit)


#: How pytest's outcome exceptions are raised, by their class name.
PYTEST_OUTCOME_NAMES = {"Skipped": "pytest.skip", "XFailed": "pytest.xfail", "Failed": "pytest.fail",
                        "Exit": "pytest.exit", "SkipTest": "unittest.SkipTest"}


def where(error: BaseException) -> str:
    """' (at my_lstm.py:12)': the deepest frame in the implementation's own code."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "pytest_rnnconformance" not in f.filename and "_pytest" not in f.filename]
    if not frames:
        return ""
    return f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})"


def describe_exception(error: BaseException) -> tuple[str, str]:
    """(kind, one-line message) of what the implementation raised: 'unsupported' or 'error'."""
    if isinstance(error, NotImplementedError):
        return "unsupported", str(error) or "NotImplementedError"
    if isinstance(error, CallTimeout):
        return "error", f"timed out: {error}"
    if isinstance(error, _outcome_exceptions()):
        kind = PYTEST_OUTCOME_NAMES.get(type(error).__name__, type(error).__name__)
        message = str(getattr(error, "msg", "") or error)
        return "error", (f"raised {kind}({message!r}) from inside the implementation{where(error)}: "
                         "that is a failure of this check, not a skip or a pass")
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return "error", f"raised {type(error).__name__}{': ' + text if text else ''}{where(error)}"


def tensor_versions(inputs: RNNInputs) -> dict:
    return {name: tensor._version for name, tensor in named_input_tensors(inputs).items()}


def named_input_tensors(inputs: RNNInputs) -> dict:
    """Every tensor handed to the implementation, by the name a learner knows it by."""
    from torch.nn.utils.rnn import PackedSequence

    named = {"the input": inputs.input.data if isinstance(inputs.input, PackedSequence) else inputs.input}
    if isinstance(inputs.hx, tuple):
        named["hx (h0)"], named["hx (c0)"] = inputs.hx
    elif inputs.hx is not None:
        named["hx (h0)"] = inputs.hx
    named.update({f"`{name}`": value for name, value in inputs.params.items()})
    return named


def mutations(original: RNNInputs, given: RNNInputs, versions: dict) -> list:
    """What the implementation changed in its copy: 'modified `bias_hh_l0` in place'."""
    before, after = named_input_tensors(original), named_input_tensors(given)
    changed = []
    for name, tensor in after.items():
        original_tensor = before[name]
        same = tensor.shape == original_tensor.shape and (
            torch.equal(tensor, original_tensor)  # the usual case, in one operation
            or torch.equal(tensor.detach().nan_to_num(), original_tensor.detach().nan_to_num()))  # NaN == NaN
        if not same:
            changed.append(f"modified {name} in place")
        elif tensor._version != versions[name]:
            changed.append(f"wrote to {name} in place (same values)")
    return changed


def call_candidate(binding, inputs: RNNInputs, *, timeout: Optional[float] = None,
                   record_calls: bool = False) -> tuple[Any, CallRecord]:
    """Call the implementation on a copy of `inputs`; return (raw result, what happened around it).

    With `record_calls`, every torch call it makes is recorded and the recurrent kernels among
    them are listed in the record (the ``no_delegation`` feature).
    """
    remote = getattr(binding, "remote", False)
    given = inputs if remote else inputs.clone()
    versions = {} if remote else tensor_versions(given)
    names: set = set()
    record = CallRecord()
    on_cuda = inputs.device.type == "cuda"
    try:
        with guarded(TAMPER_WATCH, None if remote else timeout) as record:
            if on_cuda and not remote:
                torch.cuda.synchronize()  # an earlier asynchronous error surfaces here, not in this call
            if remote:
                binding.record_calls = record_calls
                raw = binding.call(given)
            elif record_calls:
                raw, names = recorded_calls(lambda: binding.call(given))
            else:
                raw = binding.call(given)
            if on_cuda and not remote:
                torch.cuda.synchronize()  # this call's asynchronous errors surface in this check
    except Unsupported:
        raise
    except CandidateError:
        raise
    except BaseException as error:  # noqa: BLE001 - whatever the implementation does, it is judged
        kind, message = describe_exception(error)
        if kind == "unsupported":
            raise Unsupported(message) from None
        raise CandidateError(_with_output(message, record), fatal=isinstance(error, CallTimeout)) from None
    finally:
        if record.tampered:
            raise CandidateError(
                f"tampering: the implementation replaced {', '.join(record.tampered)} (restored now); "
                "grade untrusted code with --rnn-isolate, where nothing it does can reach the judge") from None
    if remote:
        record = binding.last_record
    else:
        record.mutated = mutations(inputs, given, versions)
        record.kernels = recurrent_kernels(names)
        record.inputs = given
    return raw, record


def _with_output(message: str, record: CallRecord) -> str:
    extra = []
    if record.output:
        extra.append(record.output)
    if record.warnings:
        extra.append(f"{record.warnings} warning(s) raised")
    return message + (f" [{'; '.join(extra)}]" if extra else "")
