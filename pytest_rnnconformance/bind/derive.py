"""What a signature can take defines what it supports, and what its names say it computes.

A function with only layer-0 weights supports one layer, one with ``_reverse`` weights two
directions, an optional ``w_hr=None`` both with and without projection, a state argument with a
default a run with ``hx`` omitted, and no state argument at all *only* runs from a zero state. The
same reading serves functions, constructors and declared maps: it looks at which of torch.nn's
names the arguments' expressions read, and whether each is required.
"""
from __future__ import annotations

import inspect
from typing import Any, Optional

from .. import modes as mode_registry
from .binding import Argument, BindingError
from .evidence import Fact, How
from .expressions import names_in
from .support import Support


def _reads(arguments: tuple, *bases: str) -> list:
    """The arguments whose expression reads any of `bases` (``weight_ih`` matches ``weight_ih_reverse``)."""
    found = []
    for argument in arguments:
        names = names_in(argument.value)
        if any(name == base or name.startswith(base + "_") for name in names for base in bases):
            found.append(argument)
    return found


def _reads_exactly(arguments: tuple, name: str) -> list:
    return [a for a in arguments if name in names_in(a.value)]


def derive_support(arguments: tuple, convention: str, modes: tuple) -> Support:
    """The support a call's arguments imply (before the probe and any ``@implements``)."""
    s = Support(modes=frozenset(modes))
    single_step = all(mode_registry.get(m).single_step for m in modes)
    whole = _reads_exactly(arguments, "params") + _reads_exactly(arguments, "spec")
    settings = {name for a in arguments for name in names_in(a.value)}
    if single_step:
        s = s.without("layout", "a cell has no layout", layouts=frozenset({False}), max_layers=1,
                      directions=frozenset({1}), proj=frozenset({False}), packed=False, dropout=False, training=False)
    states = [a for a in _reads(arguments, "hx", "h0") if not _reads_exactly((a,), "hx_reverse")
              and not _reads_exactly((a,), "h0_reverse")]
    if not states:
        s = s.without("default_state", "it takes no state argument: it starts from zeros", state_given=False)
    elif convention != "canonical" and any(a.required for a in states):
        s = s.without("default_state", "the state argument has no default", default_state=False)
    family = mode_registry.get(modes[0]).family
    if family == "lstm" and states and not _reads(arguments, "hx", "c0") and _reads(arguments, "h0"):
        s = s.without("cell_state", "it takes h0 but no c0: checked with c0 = 0", cell_state_given=False)
    if "batch_first" not in settings and "spec" not in settings and not single_step:
        s = s.without("layout", "the signature takes no batch_first (layout found by a probe)")
    if not ({"nonlinearity", "spec", "mode"} & settings):
        s = s.without("relu", "the signature takes no nonlinearity", nonlinearities=frozenset({"tanh"}))
    if "dropout" not in settings and "spec" not in settings:
        s = s.without("dropout", "the signature takes no dropout", dropout=False)
    if "train" not in settings:
        s = s.without("training", "the signature takes no train argument", training=False)
    if whole or convention == "module":
        return s
    if convention == "functional":
        if "num_layers" not in settings:
            s = s.without("multilayer", "the signature takes no num_layers", max_layers=1)
        if "bidirectional" not in settings:
            s = s.without("bidirectional", "the signature takes no bidirectional", directions=frozenset({1}))
        if "has_biases" not in settings and "bias" not in settings:
            s = s.without("no_bias", "the signature takes no has_biases", bias=frozenset({True}))
        return s.without("unbatched", "torch's functional convention takes 3-D input only", unbatched=False,
                         packed=False)
    # one layer's weights as separate arguments (by name, or declared)
    if not single_step:
        layered = [n for a in arguments for n in names_in(a.value) if "_l" in n and not n.endswith("_l0")]
        if not layered:
            s = s.without("multilayer", "the signature takes only one layer's weights", max_layers=1)
        s = s.without("unbatched", "a per-layer signature does not say it takes 2-D input", unbatched=False)
        s = s.without("packed", "a per-layer signature does not take packed sequences", packed=False)
        reverse = [a for a in arguments if any("reverse" in n and n.startswith("weight_ih") for n in names_in(a.value))]
        if not reverse:
            s = s.without("bidirectional", "the signature takes no _reverse weights", directions=frozenset({1}))
        elif all(a.required for a in reverse):
            s = s.without("unidirectional", "its _reverse weights are required", directions=frozenset({2}))
    biases = _reads(arguments, "bias_ih", "bias_hh")
    if "bias" not in settings and "has_biases" not in settings:
        if not biases:
            s = s.without("no_bias", "it takes no bias: it computes without one", bias=frozenset({False}))
        elif any(a.required for a in biases):
            s = s.without("no_bias", "its bias arguments are required", bias=frozenset({True}))
    projections = _reads(arguments, "weight_hr")
    if not projections:
        s = s.without("proj", "the signature takes no weight_hr", proj=frozenset({False}))
    elif any(a.required for a in projections):
        s = s.without("proj", "its weight_hr is required", proj=frozenset({True}))
    return s


def named_nonlinearity(support: Support, target: Any, name: str, modes: tuple) -> Support:
    """An Elman RNN whose name says relu (``rnn_relu_cell``) computes with relu, not tanh: read, as
    torch's own benchmark cells are named."""
    lowered = (getattr(target, "__qualname__", "") or name).lower() + " " + name.rsplit(":", 1)[-1].lower()
    if mode_registry.get(modes[0]).family != "rnn" or "relu" not in lowered or "tanh" in lowered:
        return support
    return support.without("relu", "its name says relu: it computes with relu", nonlinearities=frozenset({"relu"}))


def infer_modes(target: Any, name: str, arguments: tuple, mode: Optional[str], declared: Optional[dict]) -> tuple:
    """Which recurrence it computes: --rnn-mode, else @implements, else its name, else its arguments.
    A --rnn-mode its signature contradicts (a c0 parameter outside an LSTM) is a usage error."""
    read = _read_modes(target, name, arguments, declared)
    if mode:
        family = mode_registry.get(mode).family
        names = {n for a in arguments for n in names_in(a.value)}
        said_lstm = read is not None and all(mode_registry.get(m).family == "lstm" for m in read[0])
        if family != "lstm" and (any(n.startswith("c0") for n in names) or (
                said_lstm and any(n.startswith("weight_hr") for n in names))):
            raise BindingError(f"--rnn-mode {mode} contradicts {name}: it takes a cell state (c0) or a projection "
                               f"(weight_hr), which only an LSTM has{', and ' + read[1] if said_lstm else ''}; pass "
                               "--rnn-mode lstm (or lstm_cell), or declare what those parameters hold")
        return (mode,)
    if read is None:
        raise BindingError(f"cannot tell which cell {name} computes (its name and parameters do not say); "
                           "pass --rnn-mode rnn, lstm, gru, rnn_cell, lstm_cell or gru_cell")
    return read[0]


def mode_fact(target: Any, name: str, arguments: tuple, mode: Optional[str], declared: Optional[dict]) -> Fact:
    """How the modes were established: declared (--rnn-mode, @implements) or read (its name, its
    parameters); a --rnn-mode its name contradicts is kept, and the contradiction said."""
    read = _read_modes(target, name, arguments, declared)
    if mode:
        disagrees = read is not None and mode_registry.get(mode).family not in {
            mode_registry.get(m).family for m in read[0]}
        return Fact("mode", mode, How.DECLARED, "--rnn-mode" + (f", though {read[1]} ({', '.join(read[0])})"
                                                               if disagrees else ""))
    modes, because = read
    return Fact("mode", ", ".join(modes), How.DECLARED if because.startswith("@implements") else How.READ, because)


def _read_modes(target: Any, name: str, arguments: tuple, declared: Optional[dict]) -> Optional[tuple]:
    """(modes, what says so) from @implements, the name, or the arguments; None if nothing does."""
    if declared and "modes" in declared:
        known = tuple(m for m in mode_registry.all_modes() if m in declared["modes"])
        if not known:
            raise BindingError(f"{name}: @implements(modes={sorted(declared['modes'])}) names no known mode; known: "
                               f"{', '.join(mode_registry.all_modes())} (a cell of your own needs the register_cells "
                               "hook)")
        return known, "@implements(modes=...)"
    lowered = (getattr(target, "__qualname__", "") or getattr(target, "__name__", "") or name).lower()
    lowered = lowered + " " + name.rsplit(":", 1)[-1].lower()
    registered = sorted(mode_registry.registered_modes(), key=len, reverse=True)  # "peephole_lstm" before "lstm"
    for candidate in registered:
        if candidate in lowered:
            return (candidate,), f"its name says {candidate}"
    for family in ("lstm", "gru", "rnn"):
        if family in lowered:
            single = any(word in lowered for word in ("cell", "step"))
            return ((family + "_cell",) if single else (family,)), f"its name says {family}" + (
                " and one step" if single else "")
    names = {n for a in arguments for n in names_in(a.value)}
    if any(n.startswith(("c0", "weight_hr")) for n in names):
        return ("lstm",), "it takes a cell state or a projection"
    if "nonlinearity" in names:
        return ("rnn",), "it takes a nonlinearity, which only torch.nn's RNN has"
    if "spec" in names:
        return ("rnn", "lstm", "gru"), "it takes the spec: every mode it does not refuse"
    return None


def required(parameter: inspect.Parameter) -> bool:
    return parameter.default is inspect.Parameter.empty


def argument(parameter: inspect.Parameter, value) -> Argument:
    return Argument(parameter.name, value, required(parameter),
                    keyword=parameter.kind is not inspect.Parameter.POSITIONAL_ONLY)
