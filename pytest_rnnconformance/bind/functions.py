"""Binding a function: each parameter by its name, or by a declared ``--rnn-bind`` map.

Four conventions come out of the names:

* ``canonical``  — ``forward(input, hx, params, spec)``: torch.nn's parameter dict and a spec.
* ``functional`` — ``f(input, hx, flat_weights, has_biases, num_layers, dropout, train,
  bidirectional, batch_first)``: torch's ``_VF.lstm`` layout.
* ``by-name``    — one layer's weights as separate arguments (``w_ih``, ``weight_hh_reverse`` ...).
* ``declared``   — a signature of its own, mapped with ``--rnn-bind`` (or guessed with ``auto``).
"""
from __future__ import annotations

from typing import Any, Optional

from .. import modes as mode_registry
from .binding import Argument, Binding, BindingError, signature_parameters
from .derive import argument, derive_support, infer_modes, mode_fact, named_nonlinearity
from .expressions import Name, Sum, names_in
from .guess import ready_line, suggest
from .support import IMPLEMENTS_ATTRIBUTE, apply_declaration
from .vocabulary import H_ALONE, REVERSE_SUFFIXES, SETTING_ROLES, known_names, role_of


def role_expression(role: str, reverse: bool, separate_cell_state: bool) -> Name:
    """The expression a known role receives: ``w_ih`` -> ``weight_ih``, ``h_prev`` -> ``hx``..."""
    suffix = "_reverse" if reverse else ""
    if role == "hx":
        return Name(("h0" if separate_cell_state else "hx") + suffix)
    if role == "cx":
        return Name("c0" + suffix)
    return Name(role + suffix if role not in SETTING_ROLES else role)


def arguments_by_name(parameters: list, declared: dict, name: str, *, constructor: bool = False) -> tuple:
    """Arguments for `parameters`: declared ones as declared, known names by their role.

    Raises `BindingError` naming the parameters neither covers (optional ones are left to their
    defaults).
    """
    roles = {p.name: role_of(p.name, constructor=constructor) for p in parameters}
    separate_c = any(role == "cx" for role, _ in roles.values())
    handed = not constructor or _handed_weights(parameters, roles, declared)
    arguments, unknown = [], []
    for p in parameters:
        if p.name in declared:
            arguments.append(argument(p, declared[p.name]))
            continue
        role, reverse = roles[p.name]
        if role is None:
            if p.default is p.empty:
                unknown.append(p.name)
            continue
        if role == "mode" and constructor:
            continue
        if p.name == "bias" and handed and not isinstance(p.default, bool):  # no switch: one bias vector
            arguments.append(argument(p, Sum((Name("bias_ih"), Name("bias_hh")))))
            continue
        if role == "mode" and isinstance(p.default, str) and p.default not in mode_registry.all_modes():
            raise BindingError(f"{name}: its parameter {p.name}={p.default!r} is a mode string of its own, not "
                               f"torch.nn's mode name; say what each check should pass: --rnn-bind "
                               f"\"{p.name}='{p.default}'\" (or the value that computes torch.nn's recurrence)")
        arguments.append(argument(p, role_expression(role, reverse, separate_c)))
    if unknown:
        raise UnknownNames(name, unknown, tuple(arguments))
    return tuple(arguments)


#: What a parameter holding one of torch.nn's tensors reads (``weight_ih_l0``, ``bias_hh``, ``params``).
HANDED_WEIGHTS = ("weight_", "bias_ih", "bias_hh", "params", "flat_weights")


def _handed_weights(parameters: list, roles: dict, declared: dict) -> bool:
    """Whether a constructor is handed its weights (a parameter named or declared as one of torch.nn's).
    Beside them its ``bias`` is a weight too, one vector for both sides, as a function's is
    (``ScratchLSTM(w_ih, w_hh, bias)``); a constructor of sizes alone builds its own, and there ``bias``
    is torch.nn's switch (``MyRNN(input_size, hidden_size, bias)``)."""
    for p in parameters:
        names = names_in(declared[p.name]) if p.name in declared else {roles[p.name][0] or ""}
        if any(name.startswith(HANDED_WEIGHTS) for name in names):
            return True
    return False


def projection_names(arguments: tuple, declared: dict, modes: tuple, name: str) -> None:
    """``W_hr`` is an LSTM's projection by name, but a GRU's reset-gate weight in the nn.GRU docs: in
    an RNN or a GRU such a name is unknown (the guesser reads it by its letters)."""
    from .expressions import names_in

    if mode_registry.get(modes[0]).family not in ("rnn", "gru"):
        return
    stray = [a.name for a in arguments if a.name not in declared
             and any(n.startswith("weight_hr") for n in names_in(a.value))]
    if stray:
        raise UnknownNames(name, stray, tuple(a for a in arguments if a.name not in stray))


def h_alone(arguments: tuple, declared: dict, modes: tuple) -> tuple:
    """In an LSTM, a state parameter named for h alone (``h0``, ``prev_h``, ``a0``...) with no c0 beside
    it receives h0, not the pair (h0, c0): the cell state starts at zero (`derive` says so)."""
    if mode_registry.get(modes[0]).family != "lstm":
        return arguments
    changed = []
    for argument_ in arguments:
        base = argument_.name
        for suffix in REVERSE_SUFFIXES:
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        value = argument_.value
        if (argument_.name not in declared and base in H_ALONE and isinstance(value, Name)
                and value.text in ("hx", "hx_reverse")):
            argument_ = Argument(argument_.name, Name(value.text.replace("hx", "h0")), argument_.required,
                                 argument_.keyword)
        changed.append(argument_)
    return tuple(changed)


def lone_bias(arguments: tuple, declared: dict, modes: tuple, beside: tuple = ()) -> tuple:
    """A bias vector named for one side with none for the other (``bias_hh`` alone) can only match
    torch.nn as ``bias_ih + bias_hh``: an RNN's and an LSTM's add them. Not in a GRU, whose ``b_hn``
    sits inside ``r * (W_hn h + b_hn)``: there one vector cannot stand for both, and the name is read
    as it says."""
    if mode_registry.get(modes[0]).family == "gru":
        return arguments
    names = {a.value.text for a in arguments + beside if isinstance(a.value, Name)}  # `beside`: a constructor's
    changed = []
    for argument_ in arguments:
        value = argument_.value
        if argument_.name not in declared and isinstance(value, Name) and value.text.startswith(("bias_ih", "bias_hh")):
            side, other = ("bias_ih", "bias_hh") if value.text.startswith("bias_ih") else ("bias_hh", "bias_ih")
            if value.text.replace(side, other) not in names:
                both = Sum((Name(value.text.replace(side, "bias_ih")), Name(value.text.replace(side, "bias_hh"))))
                argument_ = Argument(argument_.name, both, argument_.required, argument_.keyword)
        changed.append(argument_)
    return tuple(changed)


class UnknownNames(BindingError):
    """Parameters no known name or declaration covers (the guesser may take it from here)."""

    def __init__(self, name: str, unknown: list, known: tuple, family: str = "rnn") -> None:
        plural = "s" if len(unknown) > 1 else ""
        super().__init__(f"{name}: cannot bind parameter{plural} {', '.join(map(repr, unknown))}; known names: "
                         f"{known_names()} (see the README). {declare_line(unknown, {}, family)}")
        self.unknown, self.known = unknown, known


def declare_line(unknown: list, mapping: dict, family: str, lines: bool = True) -> str:
    """What to declare, from each unknown name's role: a ready line that parses as printed (unless
    the caller prints its own `lines`), and in words what cannot be written into one (an object
    passed in)."""
    suggestions = {name: suggest(name, family) for name in unknown}
    objects = [f"{name} looks like {s.why}" for name, s in suggestions.items() if s.value is None]
    roles = ", ".join(f"{name}: {s.why}" for name, s in suggestions.items() if s.value is not None)
    line = ready_line(mapping, suggestions)
    said = f"Declare what each holds (a guess from its role: {roles})" + (f": --rnn-bind \"{line}\"" if lines else ".")
    return " ".join(part for part in ["; ".join(objects) + ("." if objects else ""), said if line else ""] if part)


def convention_of(arguments: tuple, declared: dict) -> str:
    names = {n for a in arguments for n in _names(a)}
    if "params" in names or "spec" in names:
        return "canonical"
    if "flat_weights" in names:
        return "functional"
    if declared:
        return "declared"
    return "by-name"


def _names(argument_: Argument) -> set:
    from .expressions import names_in

    return names_in(argument_.value)


def bind_function(target: Any, name: str, mode: Optional[str], declared: dict) -> Binding:
    """The binding of a plain function (or any callable that is not a class)."""
    parameters = signature_parameters(target)
    if parameters is None:
        raise BindingError(f"cannot read the signature of {name}")
    unused = set(declared) - {p.name for p in parameters}
    if unused:
        raise BindingError(f"--rnn-bind names {', '.join(sorted(unused))}, which {name} does not take "
                           f"(its parameters: {', '.join(p.name for p in parameters)})")
    arguments = arguments_by_name(parameters, declared, name)
    names = {n for a in arguments for n in _names(a)}
    if "input" not in names:
        raise BindingError(f"{name}: no input parameter (expected one named input, x or inputs, or declare it: "
                           "--rnn-bind \"<name>=input\")")
    if not names & {"params", "flat_weights", "spec"} and not any(n.startswith("weight_ih") for n in names):
        raise BindingError(f"{name}: found no weights among its parameters (params, flat_weights or weight_ih...)")
    implements = getattr(target, IMPLEMENTS_ATTRIBUTE, None)
    modes = infer_modes(target, name, arguments, mode, implements)
    projection_names(arguments, declared, modes, name)
    arguments = lone_bias(h_alone(arguments, declared, modes), declared, modes)
    convention = convention_of(arguments, declared)
    support = named_nonlinearity(derive_support(arguments, convention, modes), target, name, modes)
    if implements:
        support = apply_declaration(support, implements)
        modes = declared_modes(support, mode, name)
    return Binding(name, target, convention, modes, support, arguments,
                   evidence=(mode_fact(target, name, arguments, mode, implements),))


def declared_modes(support, mode: Optional[str], name: str) -> tuple:
    """The modes an ``@implements(modes=...)`` leaves, in the registry's order (--rnn-mode wins)."""
    if mode:
        return (mode,)
    chosen = tuple(m for m in mode_registry.all_modes() if m in support.modes)
    if not chosen:
        raise BindingError(f"{name}: @implements(modes={sorted(support.modes)}) names no known mode; known: "
                           f"{', '.join(mode_registry.all_modes())} (a cell of your own needs the register_cells hook)")
    return chosen
