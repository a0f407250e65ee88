"""Binding an ``nn.Module`` subclass (or a factory returning one): build it, give it torch.nn's weights.

The module is constructed for each configuration with torch.nn's constructor arguments, under the
names its constructor uses (``input_size`` or ``input_dim``, ``num_hiddens``...), and called as
``module(input, hx)``. Its parameters receive torch.nn's weights by whichever match holds, shown in
the report header:

1. torch.nn's own names (``weight_ih_l0``...), or torch.nn's names under one prefix (``rnn.``): a
   module wrapping ``nn.LSTM``, whose fixed settings (``bias=False``...) and, where its own name does
   not say, whose mode the binder reads from it;
2. the module's ``from_torch(torch_module)``, where it defines one;
3. a declared map, ``--rnn-bind "rnn.W_xh=weight_ih.T,..."``;
4. its own names by structure (`match_structure`): each parameter's name says what it is (``W_xh``,
   ``W_hf``, ``b_c``, ``U``, an ``nn.Linear`` ``x2h.weight`` or ``forget_gate.weight``: see `guess`),
   its shape how it is stored; a square weight is stored like the others. The header says for each
   parameter how it was matched.

If none holds, or names and shapes allow more than one reading (a weight on the concatenation of x
and h: which comes first?), binding stops with the parameters in question and a ``--rnn-bind`` line
to check and paste. A module with parameters of its own is one layer's cell: its state may come
without the layer dimension (the probe finds out), and it is not asked for packed sequences.
"""
from __future__ import annotations

import inspect
import itertools
import math
import re
from dataclasses import dataclass, replace
from typing import Any, Optional

from .. import modes as mode_registry
from ..spec import RNNSpec
from .binding import Binding, BindingError, Construction, Unsupported, settings_environment, signature_parameters
from .derive import derive_support, infer_modes, mode_fact
from .evidence import Fact, How
from .expressions import GATE_LETTERS, DeclarationError, DoesNotFit, Expr, Literal, Name, names_in, parse_map
from .functions import arguments_by_name, declared_modes, h_alone
from .guess import Guess, guess_all, layer_name, lone_bias_line, render_map, suggest_held
from .vocabulary import role_of
from .support import IMPLEMENTS_ATTRIBUTE, Support, apply_declaration

TORCH_CLASSES = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn", "LSTMCell": "lstm_cell", "GRUCell": "gru_cell",
                 "RNNCell": "rnn_cell"}
#: Settings a wrapped torch.nn module fixes when the constructor does not take them.
FIXED_SETTINGS = ("bias", "batch_first", "num_layers", "bidirectional", "proj_size", "nonlinearity", "dropout")
PROBE_SIZES = dict(input_size=5, hidden_size=4)
#: torch.nn's constructor arguments, for a constructor that takes ``**kwargs``.
TORCH_ARGUMENTS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional")


def torch_mode_of(cls: Any) -> Optional[str]:
    """'lstm' for a subclass of nn.LSTM, 'gru_cell' for one of nn.GRUCell..., else None."""
    import torch

    for name, mode in TORCH_CLASSES.items():
        if inspect.isclass(cls) and issubclass(cls, getattr(torch.nn, name)):
            return mode
    return None


def bind_module(target: Any, name: str, mode: Optional[str], declared: dict, *, factory: bool = False,
                method: str = "forward") -> Binding:
    """The binding of an nn.Module subclass or of a factory function returning one (its `method`
    called: ``file.py:Module.step`` names another than forward)."""
    constructor = signature_parameters(target) or []
    if _takes_any_keyword(target):  # (*args, **kwargs): a subclass passing torch.nn's arguments on
        constructor = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None if k > 1 else
                                         inspect.Parameter.empty) for k, name in enumerate(TORCH_ARGUMENTS)
                       if name not in {p.name for p in constructor}] + constructor
    forward = signature_parameters(_method_of(target, method)) if not factory else None
    if forward is None:
        forward = [inspect.Parameter("input", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                   inspect.Parameter("hx", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
    forward = [p for p in forward if p.name != "self"]
    constructor_names = {p.name for p in constructor}
    forward_names = {p.name for p in forward}
    own = {key: value for key, value in declared.items() if key not in constructor_names | forward_names}
    constructor_args = arguments_by_name(constructor, {k: v for k, v in declared.items() if k in constructor_names},
                                         name, constructor=True)
    forward_args = arguments_by_name(forward, {k: v for k, v in declared.items() if k in forward_names}, name)
    implements = getattr(target, IMPLEMENTS_ATTRIBUTE, None)
    if mode or torch_mode_of(target):
        modes = (mode or torch_mode_of(target),)
        fact = Fact("mode", modes[0], How.DECLARED if mode else How.READ,
                    "--rnn-mode" if mode else f"it subclasses a torch.nn {modes[0].upper().replace('_CELL', ' cell')}")
    else:
        try:
            modes = infer_modes(target, name, forward_args, None, implements)
            fact = mode_fact(target, name, forward_args, None, implements)
        except BindingError:
            wrapped = _wrapped_mode(target, name, constructor_args)
            if wrapped is None:
                raise
            modes = (wrapped,)
            fact = Fact("mode", wrapped, How.READ, f"it wraps a torch.nn module computing {wrapped}")
    forward_args = h_alone(forward_args, declared, modes)
    support = _constructor_support(derive_support(constructor_args + forward_args, "module", modes), constructor_args,
                                   modes)
    if _annotated_tensor(forward, forward_args):
        support = support.without("packed", "its input is annotated torch.Tensor: a PackedSequence is not one",
                                  packed=False)
    construction = Construction(arguments=constructor_args, method=method,
                                from_torch=callable(getattr(target, "from_torch", None)))
    binding = Binding(name, target, "module", modes, support, forward_args, construction,
                      notes=("a factory returning a module",) if factory else (), evidence=(fact,))
    binding = _map_weights(binding, own)
    if implements:
        binding = binding.replace(support=apply_declaration(binding.support, implements),
                                  modes=declared_modes(apply_declaration(binding.support, implements), mode, name))
    return binding


def _annotated_tensor(parameters: list, arguments: tuple) -> bool:
    """Whether the parameter receiving the input is annotated ``torch.Tensor`` (TorchScript enforces it)."""
    import torch

    receiving = {a.name for a in arguments if "input" in names_in(a.value)}
    return any(p.annotation is torch.Tensor for p in parameters if p.name in receiving)


def _method_of(target: Any, method: str) -> Any:
    """The method to read the signature of: a TorchScript module's is its original Python function
    (the compiled one cannot be read from the class)."""
    stub = getattr(target, "_methods", {}).get(method) if isinstance(getattr(target, "_methods", None), dict) else None
    if stub is not None and callable(getattr(stub, "original_method", None)):
        return stub.original_method
    try:
        return getattr(target, method, None)
    except AttributeError:  # a ScriptModule class raises instead of returning its compiled method
        return None


def _wrapped_mode(target: Any, name: str, constructor_args: tuple) -> Optional[str]:
    """The mode of the one torch.nn recurrent module an instance wraps (its name did not say), or None."""
    probe = Binding(name, target, "module", ("rnn",), Support(modes=frozenset({"rnn"})), (),
                    Construction(arguments=constructor_args))
    try:
        made, _ = _probe_instance(probe)
    except BindingError:
        return None
    found = {torch_mode_of(type(sub)) for path, sub in made.named_modules() if path and torch_mode_of(type(sub))}
    return found.pop() if len(found) == 1 else None


def _takes_any_keyword(target: Any) -> bool:
    try:
        return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return False


def _constructor_support(support: Support, constructor_args: tuple, modes: tuple) -> Support:
    taken = {n for a in constructor_args for n in names_in(a.value)}
    if "input_size" not in taken or "hidden_size" not in taken:
        missing = " and ".join(n for n in ("input_size", "hidden_size") if n not in taken)
        raise BindingError(f"its constructor takes no {missing} (known names: input_size/input_dim/num_inputs, "
                           "hidden_size/hidden_dim/num_hiddens...); declare it with --rnn-bind, e.g. "
                           "--rnn-bind \"n_in=input_size\"")
    if all(mode_registry.get(m).single_step for m in modes):
        return support
    for setting, key, change in (
        ("num_layers", "multilayer", dict(max_layers=1)),
        ("bidirectional", "bidirectional", dict(directions=frozenset({1}))),
        ("bias", "no_bias", dict(bias=frozenset({True}))),
        ("proj_size", "proj", dict(proj=frozenset({False}))),
        ("nonlinearity", "relu", dict(nonlinearities=frozenset({"tanh"}))),
        ("dropout", "dropout", dict(dropout=False, training=False)),
    ):
        if setting not in taken:
            support = support.without(key, f"its constructor takes no {setting}", **change)
    if "batch_first" not in taken:
        support = support.without("layout", "its constructor takes no batch_first (layout found by a probe)")
    if "dropout" in taken:
        support = support.without("training", "a module is put in training mode with .train()", training=True)
    return _pinned(support, constructor_args)


def _pinned(support: Support, constructor_args: tuple) -> Support:
    """Settings a declaration pins to a constant (``--rnn-bind "batch_first=True,bidirectional=True"``)
    are the only ones the module is built with: declared, so checked only there."""
    for argument_ in constructor_args:
        role = role_of(argument_.name, constructor=True)[0]
        value = argument_.value
        if isinstance(value, Literal) and role == "num_layers" and isinstance(value.value, int):
            support = support.declare("multilayer", f"declared: {argument_}", max_layers=value.value)
        if not (isinstance(value, Name) and value.text in ("True", "False")):
            continue
        pinned = value.text == "True"
        why = f"declared: {argument_}"
        if role == "batch_first":
            support = support.declare("layout", why, layouts=frozenset({pinned}))
        elif role == "bidirectional":
            support = support.declare("bidirectional" if not pinned else "unidirectional", why,
                                      directions=frozenset({2 if pinned else 1}))
        elif role == "bias":
            support = support.declare("no_bias", why, bias=frozenset({pinned}))
    return support


# --------------------------------------------------------------------------- weights
def _probe_instance(binding: Binding) -> Any:
    """One instance at small sizes, to read its parameters (and any torch.nn module it wraps).

    A constructor that raises ``NotImplementedError`` refuses that configuration, as a function
    does: the next is tried (each layout, one direction or two), and the refusals teach the draws
    when the suite builds it for each check."""
    import torch

    single = mode_registry.get(binding.modes[0]).single_step
    configurations = [{}] if single else [dict(batch_first=f, bidirectional=b) for b in (False, True)
                                          for f in (False, True)]
    refusals = []
    for settings in configurations:
        spec = RNNSpec(binding.modes[0], **PROBE_SIZES, bias=True in binding.support.bias, **settings)
        try:
            args, kwargs = binding._arguments(binding.construction.arguments, settings_environment(spec))
        except (Unsupported, DeclarationError) as error:  # a declaration naming what no constructor gets
            raise BindingError(f"{binding.name}: its constructor's arguments cannot be made: {error}") from None
        try:
            with torch.random.fork_rng(devices=[]):
                made = binding.target(*args, **kwargs)
        except NotImplementedError as refusal:
            refusals.append(str(refusal) or "NotImplementedError")
            continue
        except Exception as error:  # noqa: BLE001 - the implementation's own constructor failed
            raise BindingError(f"{binding.name}(input_size={PROBE_SIZES['input_size']}, hidden_size="
                               f"{PROBE_SIZES['hidden_size']}, ...) raised {type(error).__name__}: {error}") from None
        if not isinstance(made, torch.nn.Module):
            raise BindingError(f"{binding.name}(...) returned a {type(made).__name__}, expected an nn.Module")
        return made, spec
    raise BindingError(f"{binding.name}(input_size={PROBE_SIZES['input_size']}, hidden_size={PROBE_SIZES['hidden_size']}"
                       f", ...) refused every configuration tried (each layout, one and two directions): "
                       f"{refusals[0]}")


def _torch_names(own: dict, spec) -> tuple:
    """(prefix, spec) where `own` holds exactly torch.nn's names and shapes for `spec` with some
    number of layers and directions (read from the parameters themselves), else (None, spec)."""
    for layers in (1, 2, 3):
        for bidirectional in (spec.bidirectional, not spec.bidirectional):
            variant = spec if spec.single_step else spec.replace(num_layers=layers, bidirectional=bidirectional)
            prefix = _common_prefix(own, variant.param_shapes())
            if prefix is not None:
                return prefix, variant
    return None, spec


def _map_weights(binding: Binding, declared_weights: dict) -> Binding:
    """Decide where torch.nn's weights go (see the module docstring), narrowing the support."""
    import torch

    module, spec = _probe_instance(binding)
    if isinstance(module, torch.jit.ScriptModule):
        reason = ("a TorchScript module: its weights are copied in by name (torch.func cannot reach them), so no "
                  "gradient flows to the check's weights")
        binding = binding.replace(construction=replace(binding.construction, copied=True),
                                  support=binding.support.without("differentiable", reason, differentiable=False),
                                  notes=binding.notes + ("a TorchScript module: weights copied in by name",))
    own = {path: tuple(p.shape) for path, p in module.named_parameters()}
    wrapped = [(path, sub) for path, sub in module.named_modules()
               if path and isinstance(sub, (torch.nn.RNNBase, torch.nn.RNNCellBase))]
    support = binding.support
    notes = list(binding.notes)
    if len(wrapped) == 1:
        path, sub = wrapped[0]
        support = _fixed_by(sub, support, binding)
        spec = spec.replace(bias=sub.bias)
        notes.append(f"wraps torch.nn.{type(sub).__name__} as {path}")
    prefix, spec = _torch_names(own, spec)
    if prefix is not None and not declared_weights:
        if prefix:
            notes.append(f"weights by torch.nn's names under {prefix!r}")
        return binding.replace(support=support, notes=tuple(notes),
                               construction=replace(binding.construction, prefix=prefix, from_torch=False))
    if binding.construction.from_torch and not declared_weights:
        return binding.replace(support=support, notes=tuple(notes + ["weights loaded by its from_torch"]))
    unknown = sorted(set(declared_weights) - set(own))
    if unknown:
        raise BindingError(f"--rnn-bind names {', '.join(unknown)}, which {binding.name} does not have "
                           f"(its parameters: {', '.join(f'{p} {list(s)}' for p, s in own.items())})")
    refuse_misfits(binding.name, declared_weights, own, spec)
    rest = {path: shape for path, shape in own.items() if path not in declared_weights}
    match = match_structure(rest, spec)  # what the declaration leaves, matched as without one
    if match.unmatched or match.ambiguous or not (match.mapping or declared_weights):
        raise _refusal(binding.name, own, match, declared_weights, spec.recurrence.family)
    mapping = {path: declared_weights.get(path, match.mapping.get(path)) for path in own}
    said = ["declared: " + render_map(declared_weights)] if declared_weights else []
    how = "; ".join(said + (["matched by name and shape: " + match.header()] if match.mapping else []))
    used = {n for expr in mapping.values() for n in names_in(expr)}
    support = support.without("multilayer", "its own parameters hold one layer", max_layers=1) \
        if not any("_l1" in n for n in used) else support
    if not any(n.startswith("bias") for n in used) and "bias" not in _taken(binding):
        support = support.without("no_bias", "its parameters hold no bias", bias=frozenset({False}))
    elif "bias" not in _taken(binding):
        support = support.without("no_bias", "its parameters always hold a bias", bias=frozenset({True}))
    if not any("reverse" in n for n in used):
        support = support.without("bidirectional", "its own parameters hold one direction", directions=frozenset({1}))
    support = support.without("packed", "a module with parameters of its own does not say it takes a PackedSequence",
                              packed=False)
    notes.append(f"weights {how}")
    construction = replace(binding.construction, weights=tuple(mapping.items()), from_torch=False)
    return binding.replace(support=support, notes=tuple(notes), construction=construction)


def _refusal(name: str, own: dict, match: Match, declared: dict, family: str) -> ReadingsRefusal:
    """Why a module's own parameters cannot be matched, with the ``--rnn-bind`` line to edit (the
    declared items and the matches already made kept in it), or, where names and shapes leave a
    few whole readings, one line for each (which ``auto`` tries)."""
    said = f"{name} holds weights under names of its own, and the binder "
    if match.ambiguous and not match.unmatched:
        readings = [{p: r[p] for p in own if p in r} for r in
                    ({**lone_bias_line({**declared, **reading}, family), **declared} for reading in match.readings())]
        return ReadingsRefusal(f"{said}{unsure(match.ambiguous, own, readings)}:\n"
                               f"{reading_lines(readings, match.ambiguous)}", tuple(readings))
    parts = []
    if match.unmatched:
        parts.append(f"cannot tell which of torch.nn's weights {', '.join(f'{p} {list(own[p])}' for p in match.unmatched)}"
                     " hold")
    if match.ambiguous:
        parts.append(f"can read {', '.join(f'{p} {list(own[p])}' for p in match.ambiguous)} more than one way "
                     "(which comes first in the concatenation of x and h, or how a square weight is stored)")
    guessed = suggest_held(own, list(match.unmatched), family)  # by role, read together: a line that parses
    line = {**lone_bias_line({**declared, **match.readings()[0], **guessed}, family), **declared}
    order = {p: line[p] for p in own if p in line}
    return ReadingsRefusal(f"{said}{', and '.join(parts)}; edit this guess and declare it: "
                           f"--rnn-bind \"{render_map(order)}\"")


def _taken(binding: Binding) -> set:
    return {n for a in binding.construction.arguments for n in names_in(a.value)}


def _common_prefix(own: dict, expected: dict) -> Optional[str]:
    """The prefix under which `own` holds exactly torch.nn's `expected` names and shapes, or None."""
    if not own:
        return None
    for path in own:
        for name in expected:
            if path.endswith(name):
                prefix = path[: -len(name)]
                renamed = {p[len(prefix):]: s for p, s in own.items() if p.startswith(prefix)}
                if len(renamed) == len(own) and renamed == {n: tuple(s) for n, s in expected.items()}:
                    return prefix
    return None


def _fixed_by(sub: Any, support: Support, binding: Binding) -> Support:
    """Settings a wrapped torch.nn module fixes (the constructor does not pass them on)."""
    taken = _taken(binding)
    if "bias" not in taken:
        support = support.without("no_bias", f"it wraps a torch.nn module with bias={sub.bias}",
                                  bias=frozenset({bool(sub.bias)}))
    if "batch_first" not in taken and hasattr(sub, "batch_first"):
        support = support.without("layout", f"it wraps a torch.nn module with batch_first={sub.batch_first}",
                                  layouts=frozenset({bool(sub.batch_first)}))
    return support


@dataclass(frozen=True)
class Match:
    """Parameters matched to torch.nn's weights by structure (names and shapes).

    `mapping` holds the matches (path -> expression) and `how` says for each how it was made;
    `ambiguous` holds every reading (path -> expressions) of the parameters whose names and shapes
    allow more than one (a weight on the concatenation of x and h: which comes first), `unmatched`
    the rest.
    """

    mapping: dict
    how: dict
    ambiguous: dict
    unmatched: tuple

    def readings(self) -> list:
        """Each whole reading the names and shapes leave: the matches, and for the ambiguous
        parameters one storage convention for all of them (weights are stored one way in one
        implementation: every gate's layer on [x, h], or every one on [h, x]), or the matches alone."""
        if not self.ambiguous:
            return [dict(self.mapping)]
        conventions = [c for c in next(iter(self.ambiguous.values())) if all(c in r for r in self.ambiguous.values())]
        choices = [{p: r[c] for p, r in self.ambiguous.items()} for c in conventions] or [
            dict(zip(self.ambiguous, choice)) for choice in itertools.product(*(r.values() for r in self.ambiguous.values()))]
        return [{**self.mapping, **choice} for choice in choices]

    def header(self) -> str:
        return ", ".join(f"{path}={expr} ({self.how[path]})" for path, expr in self.mapping.items())


class ReadingsRefusal(BindingError):
    """Weights that names and shapes do not bind to one reading: `readings` holds each whole reading
    (path -> expression) when every parameter has one, for ``--rnn-bind auto`` to try; none where a
    parameter was only guessed from its role (then the message's line is a guess to edit)."""

    def __init__(self, message: str, readings: tuple = ()) -> None:
        super().__init__(message)
        self.readings = tuple(parse_map(render_map(r)) for r in readings)  # as the lines say: expressions


def reading_lines(readings: list, ambiguous: dict) -> str:
    """One ``--rnn-bind`` line a reading, each saying what tells it from the others."""
    differ = [path for path in ambiguous if len({str(r[path]) for r in readings}) > 1]

    def words(reading: dict) -> str:
        return "   # weights " + "; ".join(dict.fromkeys(_storage(reading[path]) for path in differ)) if differ else ""

    return "\n".join(f"  --rnn-bind \"{render_map(reading)}\"{words(reading)}" for reading in readings)


def unsure(ambiguous: dict, held: dict, readings: list) -> str:
    """What the binder could not read from names alone, and what to do: a sentence before the lines."""
    what = ", ".join(f"{p} {list(held[p])}" for p in ambiguous)
    if len(readings) == 1:
        return (f"reads {what} only from shapes or a list's order, not from names: check the line and paste it, or "
                "run with --rnn-bind auto to let an experiment prove it")
    return (f"can read {what} {len(readings)} ways; paste yours, or run with --rnn-bind auto to let an experiment "
            "decide")


def _storage(expr: Expr) -> str:
    """How one reading of a weight is stored, in words."""
    text = str(expr)
    order = "applied to [h, x]" if "cat(weight_hh" in text else "applied to [x, h]" if "cat(weight_ih" in text else ""
    stored = "stored (in, out), used as x @ W" if text.endswith(".T") else "stored (out, in)"
    return f"{order}, {stored}" if order else stored


#: What a parameter whose name says nothing may be, by its number of dimensions (its shape decides).
SHAPE_KINDS = {1: ("bias",), 2: ("input_weight", "hidden_weight", "joint_weight")}
#: The bias a layer holds beside its weight: x's side, h's, or both added (a layer on x and h joined).
BIAS_OF = {"input_weight": "input_bias", "hidden_weight": "hidden_bias", "joint_weight": "bias"}


def match_structure(own: dict, spec) -> Match:
    """Match parameters (path -> shape) to torch.nn's weights for `spec` by name and shape.

    Names say what each parameter is (`guess.guess_all`); shapes say how it is stored. Weights are
    stored one way in one implementation: where the shapes of some weights decide (an input weight
    (in, out) when input_size != hidden_size) and others could be either (a square hidden weight),
    the square ones are stored like the others. A parameter whose name says nothing is never matched:
    the readings its shape allows (``[9, 4]``: x and h joined, either order) are offered as ambiguous.
    """
    family = spec.recurrence.family
    listed = _gate_lists(own, family)
    names = {path: layer_name(path.rsplit(".", 1)[0] if path in listed else path) for path in own}
    guesses = guess_all(list(dict.fromkeys(names.values())), family)
    options: dict = {}
    shape_only = set()  # names that say nothing, or a list's order: suggested readings, never a match
    sides: dict = {}  # layer -> the kinds its weight's readings have: its bias is on the same side
    for path, shape in sorted(own.items(), key=lambda item: len(item[1]) != 2):  # weights first
        guessed = guesses.get(names[path])
        if guessed is None:
            shape_only.add(path)
            kinds = [Guess(kind, listed.get(path)) for kind in SHAPE_KINDS.get(len(shape), ())
                     if not (path in listed and kind == "joint_weight")]
            side = sides.get(path.rsplit(".", 1)[0]) if path.endswith(".bias") else None
            if side is not None and len(side) == 1:  # an nn.Linear's bias beside a weight read as x's or h's
                kinds = [Guess(BIAS_OF[next(iter(side))], listed.get(path))]
        elif path in listed and guessed.gate is None:  # W_x.1: the list's second gate, in torch.nn's order
            shape_only.add(path)
            kinds = [replace(guessed, gate=listed[path])]
        else:
            kinds = [guessed]
        if guessed is not None and guessed.spelled:  # a layer per gate: its shape tells which side(s) it takes
            kinds += [replace(guessed, kind="input_weight"), replace(guessed, kind="hidden_weight")]
        fits = []
        for kind in kinds:
            for transposed in (False, True) if kind.is_weight else (False,):
                for hidden_first in (True, False) if kind.kind == "joint_weight" else (True,):
                    expr = kind.expression(transposed, hidden_first)
                    if _shape_of(expr, spec) == tuple(shape) and all(expr != e for _, e, _, _ in fits):
                        fits.append((transposed if kind.is_weight else None, expr, kind, hidden_first))
        options[path] = fits
        if path.endswith(".weight") and any(kind.is_weight for _, _, kind, _ in fits):  # not a norm's 1-D scale
            sides[path.rsplit(".", 1)[0]] = {kind.kind for _, _, kind, _ in fits}
    options = {path: options[path] for path in own}  # back in the module's order
    orientations = [{t for t, _, _, _ in fits} for fits in options.values() if fits and fits[0][0] is not None]
    common = set.intersection(*orientations) if orientations else set()
    decided = [o for o in orientations if len(o) == 1]
    mapping, how, ambiguous = {}, {}, {}
    for path, fits in options.items():
        name = names[path]
        if not fits:
            continue
        chosen = fits
        if len(fits) > 1 and len(common) == 1 and decided:
            chosen = [f for f in fits if f[0] in common] or fits
        readings = {(t, first): expr for t, expr, _, first in chosen}  # each storage convention's reading
        transposed, expr, kind, _ = chosen[0]
        if len({str(e) for e in readings.values()}) > 1 or path in shape_only:
            ambiguous[path] = readings
            continue
        said = f"{'name' if name == path else 'read as'} {name}: {kind.describe()}"
        if transposed is None:
            how[path] = said
        elif len({f[0] for f in fits}) > 1:
            how[path] = f"{said}; stored {'(in, out)' if transposed else '(out, in)'} like the others"
        else:
            how[path] = f"{said}; shape {list(own[path])} is {'(in, out)' if transposed else '(out, in)'}"
        mapping[path] = expr
    unmatched = tuple(p for p in own if p not in mapping and p not in ambiguous)
    return Match(mapping, how, ambiguous, unmatched)


def _gate_lists(own: dict, family: str) -> dict:
    """path -> gate letter for the items of a list holding one tensor a gate (an ``nn.ParameterList``
    ``W_x.0``, ``W_x.1``, ``W_x.2`` in a GRU), read in torch.nn's gate order: a reading to offer, as a
    stacked weight's order is, never a match (nothing says the order is torch.nn's)."""
    letters = GATE_LETTERS.get(family, ())
    if len(letters) < 2:
        return {}
    groups: dict = {}
    for path in own:
        found = re.fullmatch(r"(.+)\.(\d+)", path)
        if found:
            groups.setdefault(found.group(1), []).append((int(found.group(2)), path))
    return {path: letters[index] for items in groups.values() if sorted(i for i, _ in items) == list(range(len(letters)))
            for index, path in items}


def refuse_misfits(name: str, declared: dict, held: dict, spec) -> None:
    """A declared tensor that cannot fill the parameter it is declared for (its number of values
    differs, at the sizes the binder built it with) is a usage error here, never a crash in the
    implementation's code later."""
    misfits = []
    for path, expr in declared.items():
        shape = _shape_of(expr, spec) if path in held else None
        if shape is not None and math.prod(shape) != math.prod(held[path]) and _torch_shaped(held[path], spec):
            misfits.append(f"{path} is {list(held[path])}, and {expr} is {list(shape)}")
    if misfits:  # (a parameter no torch.nn tensor fits is the implementation's own defect: the run judges it)
        raise BindingError(f"--rnn-bind: {'; '.join(misfits)} where {name} is built with input_size="
                           f"{spec.input_size}, hidden_size={spec.hidden_size}: what is declared cannot fill it "
                           "(is it x and h joined, cat(weight_ih,weight_hh), or a gate's block, weight_ih[f]?)")


def _torch_shaped(shape: tuple, spec) -> bool:
    """Whether some torch.nn tensor, whole or one gate's block, in either orientation, has `shape`
    (a column ``(H, 1)`` counting as the vector it holds)."""
    def squeezed(found) -> tuple:
        return tuple(d for d in found if d != 1) if found is not None else ()

    gates = (None,) + GATE_LETTERS.get(spec.recurrence.family, ())
    return any(squeezed(_shape_of(Guess(kind, gate).expression(transposed), spec)) == squeezed(shape)
               for kind in SHAPE_KINDS[2] + SHAPE_KINDS[1] for gate in gates for transposed in (False, True))


def _shape_of(expr: Expr, spec) -> Optional[tuple]:
    """The shape `expr` has for `spec` (by evaluating it on zero tensors of torch.nn's shapes)."""
    import torch

    from .expressions import Environment, evaluate, MISSING

    shapes = spec.param_shapes()

    def tensor(base, layer, reverse):
        name = base if spec.single_step else f"{base}_l{layer}" + ("_reverse" if reverse else "")
        return torch.zeros(shapes[name]) if name in shapes else MISSING

    env = Environment(tensor, lambda n: getattr(spec, n, None), lambda n: None,
                      lambda n: torch.zeros(spec.output_hidden_size, spec.output_hidden_size) if n == "eye"
                      else torch.zeros(spec.output_hidden_size), spec.recurrence.family,
                      size={"H": spec.hidden_size, "I": spec.input_size}.get)  # no batch or time in a weight
    try:
        value = evaluate(expr, env)
    except (RuntimeError, IndexError, ValueError, DoesNotFit):
        return None
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None
