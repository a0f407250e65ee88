"""Binding a plain class (not an ``nn.Module``): construct it, then call its ``forward``/``__call__``.

``DiyModel(w_ih, w_hh, hidden_size)`` with ``forward(x)``, a numpy class, a ``Class.method`` entry:
the constructor's parameters are bound with the same vocabulary as a function's (weights, sizes,
settings), an object is built for each check, and its method is called with the rest. What the
two signatures cannot take defines the support: no bias argument, no bias; no state argument, a
zero initial state. A class whose constructor takes only sizes and keeps its weights as attributes
gets torch.nn's weights assigned to those attributes, matched by name and shape (see `guess`).
"""
from __future__ import annotations

from typing import Any, Optional

from .. import modes as mode_registry
from ..spec import RNNSpec
from .binding import Argument, Binding, BindingError, Construction, signature_parameters
from .derive import derive_support, infer_modes, mode_fact
from .evidence import Fact, How
from .expressions import PLACEHOLDER, names_in
from .functions import arguments_by_name, convention_of, declared_modes, h_alone, lone_bias, projection_names
from .guess import lone_bias_line, render_map, suggest_held
from .modules import ReadingsRefusal, match_structure, reading_lines, refuse_misfits, unsure
from .support import IMPLEMENTS_ATTRIBUTE, apply_declaration

SIZES = dict(input_size=5, hidden_size=4)


def bind_class(target: Any, name: str, mode: Optional[str], declared: dict, method: Optional[str] = None) -> Binding:
    """The binding of a plain class, called through `method` (default ``forward``, else ``__call__``)."""
    method = method or ("forward" if callable(getattr(target, "forward", None)) else "__call__")
    constructor = signature_parameters(target) or []
    misspelt = misspelt_constructor(target) if not constructor else None
    if misspelt is not None:  # what it was meant to take, read from the method Python never calls: a
        # run then constructs it as written, which raises, a failure no declaration can hide
        constructor = [p for p in signature_parameters(misspelt[1]) or [] if p.name != "self"]
    called = [p for p in (signature_parameters(getattr(target, method, None)) or []) if p.name != "self"]
    constructor_names, called_names = {p.name for p in constructor}, {p.name for p in called}
    attributes = {k: v for k, v in declared.items() if k not in constructor_names | called_names}
    constructor_args = arguments_by_name(constructor, {k: v for k, v in declared.items() if k in constructor_names},
                                         name, constructor=True)
    call_args = arguments_by_name(called, {k: v for k, v in declared.items() if k in called_names}, name)
    everything = constructor_args + call_args
    reads = {n for a in everything for n in names_in(a.value)}
    if "input" not in {n for a in call_args for n in names_in(a.value)}:
        raise BindingError(f"{name}.{method} takes no input parameter (expected one named input, x or inputs)")
    implements = getattr(target, IMPLEMENTS_ATTRIBUTE, None)
    modes = infer_modes(target, name, everything, mode, implements)
    projection_names(everything, declared, modes, name)
    call_args = h_alone(call_args, declared, modes)
    constructor_args = lone_bias(constructor_args, declared, modes, beside=call_args)
    call_args = lone_bias(call_args, declared, modes, beside=constructor_args)
    everything = constructor_args + call_args
    construction = Construction(arguments=constructor_args, method=method, is_module=False)
    if not any(n.startswith(("weight_ih", "params", "flat_weights")) for n in reads):
        construction = _attribute_weights(target, name, modes[0], construction, attributes)
        everything += tuple(Argument(path, expr) for path, expr in construction.weights)
    elif attributes:
        raise BindingError(f"--rnn-bind names {', '.join(sorted(attributes))}, which neither {name}(...) nor its "
                           f"{method} takes")
    support = derive_support(everything, "class" if convention_of(everything, declared) != "canonical"
                             else "canonical", modes)
    if implements:
        support = apply_declaration(support, implements)
        modes = declared_modes(support, mode, name)
    evidence = (mode_fact(target, name, everything, mode, implements),)
    if misspelt is not None:
        evidence += (Fact("constructor", f"{misspelt[0]} (not __init__)", How.READ,
                          f"Python never calls {misspelt[0]}, so {name}(...) with its parameters raises TypeError: "
                          "rename it __init__"),)
    return Binding(name, target, "class", modes, support, call_args, construction, evidence=evidence)


class AttributeRefusal(ReadingsRefusal):
    """A class keeps weights as attributes that names and shapes do not match: `reason` says which,
    `line` (path -> expression) is the declaration to edit, and `readings` each whole reading where
    names and shapes leave a few (see `ReadingsRefusal`)."""

    def __init__(self, message: str, reason: str, line: dict, readings: tuple = ()) -> None:
        super().__init__(message, readings)
        self.reason, self.line = reason, line


def _attribute_weights(target: Any, name: str, mode: str, construction: Construction, declared: dict) -> Construction:
    """A class that makes its own weights: find them among a probe instance's attributes (by name and
    shape, or as `declared`: ``--rnn-bind "Wxh=weight_ih,..."`` naming its attributes)."""
    arguments = {}
    for argument in construction.arguments:
        value = str(argument.value)
        if value not in SIZES and argument.required:
            raise BindingError(f"{name}: its constructor takes no weights, and {argument.name} is not a size")
        if value in SIZES:
            arguments[argument.name] = SIZES[value]
    try:
        instance = target(**arguments)
    except Exception as error:  # noqa: BLE001 - the implementation's own constructor failed
        raise BindingError(f"{name}({', '.join(f'{k}={v}' for k, v in arguments.items())}) raised "
                           f"{type(error).__name__}: {error}") from None
    held = {key: tuple(getattr(value, "shape")) for key, value in vars(instance).items()
            if hasattr(value, "shape") and hasattr(value, "dtype") and len(getattr(value, "shape")) in (1, 2)}
    if declared:
        missing = sorted(set(declared) - set(held))
        if missing:
            raise BindingError(f"--rnn-bind names {', '.join(missing)}, which is neither a parameter of {name} nor "
                               f"a weight it holds (its array attributes: {', '.join(held) or 'none'})")
        refuse_misfits(name, declared, held, RNNSpec(mode, **SIZES))
        return Construction(arguments=construction.arguments, weights=tuple(declared.items()),
                            method=construction.method, is_module=False)
    if not held:  # nothing to bind: say what was built, not an empty line to paste
        built = f"{name}({', '.join(f'{k}={v}' for k, v in arguments.items())})"
        misspelt = misspelt_constructor(target)
        if misspelt:
            raise BindingError(f"{name}: the class defines {misspelt[0]} (not __init__), so Python never calls it as the "
                               f"constructor: {built} takes no weights and holds none. Rename it __init__")
        raise BindingError(f"{name}: it takes no weights, and {built} holds none (no array attributes): is its "
                           "constructor named __init__, and does it make or take the weights?")
    match = match_structure(held, RNNSpec(mode, **SIZES))
    mapping = match.mapping
    if not mapping or match.unmatched or match.ambiguous:
        family = mode_registry.get(mode).family
        reason = (f"cannot tell which of torch.nn's weights its attributes "
                  f"{', '.join(f'{k} {list(held[k])}' for k in [*match.ambiguous, *match.unmatched]) or '(none found)'}"
                  " hold")
        if match.ambiguous and not match.unmatched:  # whole readings: the user's pick, or auto's experiment
            readings = tuple({p: r[p] for p in held if p in r}  # in the order the class keeps them
                             for r in (lone_bias_line(reading, family) for reading in match.readings()))
            raise AttributeRefusal(f"{name}: it {unsure(match.ambiguous, held, list(readings))}:\n"
                                   f"{reading_lines(list(readings), match.ambiguous)}", reason, readings[0], readings)
        guessed = suggest_held(held, list(match.unmatched), family)
        left = {k: guessed.get(k, PLACEHOLDER) for k in match.unmatched}
        line = lone_bias_line({**match.readings()[0], **left}, family)
        raise AttributeRefusal(f"{name}: {reason}; pass them to its constructor, or declare: "
                               f"--rnn-bind \"{render_map(line)}\"", reason, line)
    return Construction(arguments=construction.arguments, weights=tuple(mapping.items()), method=construction.method,
                        is_module=False)


def misspelt_constructor(target: Any) -> Optional[tuple]:
    """(the name as written, the method) of a method of `target` meant as its constructor but
    misspelt (``__init``, ``_init_``, ``__init_``: its name is ``init`` between underscores, and not
    ``__init__``); None if it has none. Python mangles ``__init`` inside ``class LSTM`` to
    ``_LSTM__init``, read back here."""
    for key, value in vars(target).items():
        written = "__" + key[len(f"_{target.__name__}__"):] if key.startswith(f"_{target.__name__}__") else key
        if callable(value) and written != "__init__" and written.strip("_") == "init" and written.startswith("_"):
            return written, value
    return None
