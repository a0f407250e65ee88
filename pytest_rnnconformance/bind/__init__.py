"""Binding: from what ``--rnn-impl`` names to how each check calls it.

`candidates` is the front door: a function, an ``nn.Module`` subclass or factory, a plain class, a
``Class.method``, with ``--rnn-bind`` and ``--rnn-returns`` applied. It returns one `Binding`, or
several where only an experiment can tell (the storage conventions of a guessed map); `settle.settle`
decides among them, and settles what the signature leaves open, by experiments.
`bind_target` is the whole first stage: load what ``--rnn-impl`` names, then its candidates.
"""
from __future__ import annotations

import inspect
import sys
from dataclasses import replace
from typing import Any, Optional

from .. import modes as mode_registry
from .binding import Argument, Binding, BindingError, Summary, Unsupported, check_declared, signature_parameters
from .classes import AttributeRefusal, bind_class, misspelt_constructor
from .courses import Reading, course_of, readings
from .derive import infer_modes
from .expressions import (GATE_LETTERS, PLACEHOLDER, DeclarationError, Name, Transpose, gate_index, gates_in, names_in,
                          parse_map, parse_returns)
from .functions import UnknownNames, bind_function, declare_line
from .keys import looked_up, own_keys
from .guess import guess_all, ready_line, render_map, stacking_orders, suggest
from .load import load_target
from .modules import ReadingsRefusal, bind_module
from .notebooks import notebook_of
from .support import Support, implements
from .vocabulary import role_of

__all__ = ["Binding", "BindingError", "Summary", "Support", "Unsupported", "bind_target", "candidates",
           "implements"]


def _split_auto(declared: Optional[str]) -> tuple[dict, bool]:
    """``'auto,H_C=hx'`` -> ({'H_C': hx}, True): ``auto`` guesses whatever is not declared."""
    if not declared or not declared.strip():
        return {}, False
    items = [part for part in _top_level(declared) if part.strip()]
    auto = any(part.strip() == "auto" for part in items)
    rest = ",".join(part for part in items if part.strip() != "auto")
    return (parse_map(rest) if rest else {}), auto


def _top_level(text: str) -> list:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def candidates(target: Any, name: str, mode: Optional[str] = None, *, declared: Optional[str] = None,
               returns: Optional[str] = None) -> tuple:
    """The bindings `target` could have (see the module docstring); `BindingError` if none."""
    import torch

    try:
        mapping, auto = _split_auto(declared)
        pattern = parse_returns(returns) if returns else None
    except DeclarationError as error:
        raise BindingError(f"--rnn-bind/--rnn-returns: {error}") from None
    owner, method = _method_owner(target)
    if owner is not None:
        if issubclass(owner, torch.nn.Module):
            found: tuple = _module_bindings(lambda chosen: bind_module(owner, name, mode, chosen, method=method),
                                            mapping, auto)
        else:
            found = _noting_misspelt_constructor(owner, name, lambda: _bind_guessing(
                owner, name, mode, mapping, auto, lambda chosen: bind_class(owner, name, mode, chosen, method=method)))
    elif inspect.isclass(target):
        if issubclass(target, torch.nn.Module):
            found = _module_bindings(lambda chosen: bind_module(target, name, mode, chosen), mapping, auto)
        else:
            found = _noting_misspelt_constructor(target, name, lambda: _bind_guessing(
                target, name, mode, mapping, auto, lambda chosen: bind_class(target, name, mode, chosen)))
    elif _is_factory(target):
        found = (bind_module(target, name, mode, mapping, factory=True),)
    else:
        found = _bind_guessing(target, name, mode, mapping, auto,
                               lambda chosen: bind_function(target, name, mode, chosen))
        found = _course_readings(target, found, mapping, pattern,
                                 lambda chosen: bind_function(target, name, mode, chosen)) or found
        found = _own_key_readings(target, found, mapping, auto,
                                  lambda chosen: bind_function(target, name, mode, chosen))
    for binding in found:
        _check_gates(binding)
        check_declared(binding, set(mapping) if not binding.reading else {a.name for a in binding.arguments})
    if pattern is not None:
        found = tuple(binding.replace(returns=pattern) for binding in found)
    notebook = notebook_of(target)
    if notebook is not None:
        found = tuple(binding.replace(notes=binding.notes + (notebook.describe(),)) for binding in found)
    return found


def _check_gates(binding: Binding) -> None:
    """A declared gate block the mode does not have (``weight_ih[q]``) is a usage error now, not a
    crash blamed on the implementation at its first call."""
    family = mode_registry.get(binding.modes[0]).family
    construction = binding.construction
    expressions = [a.value for a in binding.arguments]
    if construction is not None:
        expressions += [a.value for a in construction.arguments] + [expr for _, expr in construction.weights]
    for expr in expressions:
        for gate in sorted(gates_in(expr)):
            try:
                gate_index(family, gate)
            except DeclarationError as error:
                raise BindingError(f"--rnn-bind: {expr}: {error}") from None


def _own_key_readings(target: Any, found: tuple, mapping: dict, auto: bool, bind) -> tuple:
    """A parameter bound to torch.nn's named-parameter dict whose code looks it up by keys of its own
    (``parameters["Wax"]``, read from the source: `keys`) is never called with torch.nn's dict: each
    key's meaning is read from its name, one whole dict for each way the weights may be stored. Under
    ``auto`` each is a candidate binding (`bind(chosen)`) for the solver to prove; otherwise the run
    stops with each as a line that parses as printed (``?`` where no name says: the user's to fill)."""
    if len(found) != 1 or not inspect.isfunction(target):
        return found
    binding = found[0]
    family = mode_registry.get(binding.modes[0]).family
    for argument in binding.arguments:
        if argument.value != Name("params") or argument.name in mapping:
            continue
        keys = own_keys(target, argument.name)
        if not keys:
            continue
        guessed = guess_all(keys, family)
        guesses = {key: g for key, g in guessed.items() if g is not None}
        lines: dict = {}
        for transposed, hidden_first in _storage_conventions(guesses):
            values = {key: str(g.expression(transposed, hidden_first)) if g is not None else suggest(key, family).value
                      for key, g in guessed.items()}
            entries = ",".join(f"{key}:{value}" for key, value in values.items() if value is not None)
            lines.setdefault(f"{argument.name}={{{entries}}}", _storage_words(transposed, hidden_first, guesses))
        unsaid = [key for key, g in guessed.items() if g is None and suggest(key, family).value is None]
        if auto and not unsaid and not any(PLACEHOLDER in line for line in lines):
            return _guessed(bind, [{**mapping, **parse_map(line)} for line in lines])
        shown = "\n".join(f"  --rnn-bind \"{line}\"   # {words}" for line, words in lines.items())
        left_out = f"; {', '.join(unsaid)} left out" if unsaid else ""
        raise BindingError(f"{binding.name}: its code looks {argument.name} up by {', '.join(map(repr, keys))}, "
                           "keys torch.nn's named-parameter dict does not have: the dict holds names of its own. "
                           f"Say what each key holds (read from the names{left_out})"
                           f": paste the line that stores them as your code does, or run with --rnn-bind auto to let "
                           f"an experiment decide:\n{shown}")
    return found


def _course_readings(target: Any, found: tuple, mapping: dict, pattern, bind) -> tuple:
    """Where a function looks a dict up by a course's keys (`courses`), one candidate binding for each
    way of reading the course's convention whole (`bind(chosen)` binds a complete declaration), for the
    solver to prove; () where no course's keys are read. The keys declared, it is a declaration, not a
    course's convention: each item the user gave is kept in every reading."""
    if len(found) != 1 or not inspect.isfunction(target):
        return ()
    binding = found[0]
    family = mode_registry.get(binding.modes[0]).family
    for argument in binding.arguments:
        if argument.value != Name("params") or argument.name in mapping or len(binding.modes) != 1:
            continue
        keys = looked_up(target, argument.name)
        course = course_of(keys, family)
        if course is None:
            continue
        others = tuple(a for a in binding.arguments if a is not argument)
        return tuple(_as_reading(bind({**reading.mapping, **mapping}), reading, {**reading.mapping, **mapping}, pattern)
                     for reading in readings(course, keys, argument.name, others, binding.modes[0]))
    return ()


def _as_reading(bound: Binding, reading: Reading, chosen: dict, pattern) -> Binding:
    """A binding of one reading: its convention, words and line; its result form (a declared
    ``--rnn-returns`` says it instead); a time-last sequence is torch.nn's seq-first input permuted."""
    support = bound.support
    if reading.time_last:
        support = support.without("layout", "the course's sequence is (features, batch, time): torch.nn's seq-first "
                                             "input.permute(2,1,0)", layouts=frozenset({False}))
    returns = pattern if pattern is not None else parse_returns(reading.returns) if reading.returns else None
    if pattern is not None:
        support = support.declare("returns", "--rnn-returns")
    return bound.replace(convention="course", reading=reading.words, declaration=render_map(chosen),
                         returns=returns, support=support)


def _method_owner(target: Any) -> tuple:
    """(class, method name) for ``Class.method`` (an unbound method whose first parameter is self)."""
    qualname = getattr(target, "__qualname__", "")
    if not inspect.isfunction(target) or qualname.count(".") != 1:
        return None, None
    parameters = list(inspect.signature(target).parameters)
    if not parameters or parameters[0] != "self":
        return None, None
    owner = getattr(sys.modules.get(target.__module__), qualname.split(".")[0], None)
    return (owner, target.__name__) if inspect.isclass(owner) else (None, None)


def _is_factory(target: Any) -> bool:
    """A function taking sizes and no input: it builds a module."""
    parameters = signature_parameters(target) or []
    roles = {role_of(p.name, constructor=True)[0] for p in parameters}
    inputs = {role_of(p.name)[0] for p in parameters}
    return {"input_size", "hidden_size"} <= roles and "input" not in inputs


def _noting_misspelt_constructor(cls: type, name: str, bind) -> tuple:
    """`bind()`, whose refusal also says when the class's constructor is misspelt: whatever is
    declared, constructing it then raises, and that is the learner's first thing to fix."""
    try:
        return bind()
    except BindingError as error:
        misspelt = misspelt_constructor(cls)
        if misspelt is not None and misspelt[0] not in str(error):
            error.args = (f"{error}\n  Whatever is declared, {name}(...) raises TypeError: the class defines "
                          f"{misspelt[0]} (not __init__), which Python never calls. Rename it __init__",)
        raise


def _bind_guessing(target: Any, name: str, mode: Optional[str], mapping: dict, auto: bool, bind) -> tuple:
    """A function or a plain class (`bind(mapping)` binds it); where names are unknown, the guess
    (used with ``auto``, printed without). The guess reads each name alone (`guess`): it may leave
    the storage open (weights (out, in) or (in, out); [h, x] or [x, h]), one candidate binding for
    each, for the probe to settle, but never the gate a name says."""
    try:
        return storage_candidates(bind(mapping))
    except ReadingsRefusal as refusal:  # attributes that names and shapes leave a few readings of
        if not (auto and refusal.readings):
            raise
        return _guessed(bind, [{**mapping, **reading} for reading in refusal.readings])
    except UnknownNames as unknown:
        unsaid = ""  # the mode too, said in the same refusal rather than in the next one
        try:
            family = infer_modes(target, name, unknown.known, mode, None)[0].split("_")[0]
        except BindingError:
            family = "rnn"
            unsaid = ("\n  Neither its name nor its parameters say which cell it computes either: add --rnn-mode rnn, "
                      "lstm, gru or one of their _cell forms (the lines read its names as an RNN's).")
        names = list(unknown.unknown)
        if family in ("rnn", "gru"):  # W_hr: a GRU's reset-gate weight here, not an LSTM's projection
            names += [a.name for a in unknown.known if a.name not in mapping and a.name not in names
                      and any(n.startswith("weight_hr") for n in names_in(a.value))]
        # read beside the biases already bound by name: b_xh beside b_hh is the input side, not both
        beside = [a.name for a in unknown.known if a.name not in names
                  and any(n.startswith(("bias_ih", "bias_hh")) for n in names_in(a.value))]
        found_guesses = {p: g for p, g in guess_all(names + beside, family).items() if p in names}
        missing = [parameter for parameter, found in found_guesses.items() if found is None]
        guesses = {p: g for p, g in found_guesses.items() if g is not None}
        conventions = _storage_conventions(guesses)
        distinct: dict = {}  # conventions that change nothing (no weight among the guesses) give one mapping
        for t, h in conventions:
            chosen = {**mapping, **{p: g.expression(t, h) for p, g in guesses.items()}}
            distinct.setdefault(render_map(chosen), (chosen, (t, h)))
        mappings = [chosen for chosen, _ in distinct.values()]
        conventions = [convention for _, convention in distinct.values()]
        if missing:  # names that say no weight: their roles complete each reading, for the user to check
            suggestions = {p: suggest(p, family) for p in missing}
            attributes = None if guesses else _attributes_beside(bind, mapping, suggestions)
            readings = {ready_line(m, suggestions) + (f",{render_map(attributes.line)}" if attributes else ""):
                        _storage_words(t, h, guesses) for m, (t, h) in zip(mappings, conventions)}
            several = len(readings) > 1
            lines = "\n".join(f"  --rnn-bind \"{line}\"" + (f"   # {words}" if several else "")
                              for line, words in readings.items())
            raise BindingError(f"{name}: cannot bind {', '.join(map(repr, unknown.unknown))}; no weight is named by "
                               f"{', '.join(missing)}. {declare_line(missing, {}, family, lines=False)}"
                               f"{f' Built with those sizes, it {attributes.reason}; this line declares both:' if attributes else ''}"
                               f"{' One line for each way the weights may be stored:' if several else ''}\n"
                               f"{lines}{unsaid}") from None
        if not auto:
            raise BindingError(_by_name_alone(name, unknown.unknown, mapping, guesses, conventions, family)
                               + unsaid) from None
        return _guessed(bind, mappings)


def _guessed(bind, mappings: list) -> tuple:
    """Under ``auto``, a binding for each guessed mapping, saying so (the probe settles which holds)."""
    found = []
    for chosen in mappings:
        bound = bind(chosen)
        found.append(bound.replace(notes=bound.notes + (f"--rnn-bind auto guessed: {render_map(chosen)}",),
                                   declaration=render_map(chosen)))
    return tuple(found)


def _module_bindings(bind, mapping: dict, auto: bool) -> tuple:
    """An nn.Module's binding; under ``auto``, one for each whole reading its parameters' names and
    shapes leave (where they leave several)."""
    try:
        return (bind(mapping),)
    except ReadingsRefusal as refusal:
        if not (auto and refusal.readings):
            raise
        return _guessed(bind, [{**mapping, **reading} for reading in refusal.readings])


def _attributes_beside(bind, mapping: dict, suggestions: dict) -> Optional[AttributeRefusal]:
    """A plain class whose constructor takes sizes under names of its own and keeps its weights as
    attributes would be refused twice, once for each: built with the sizes as suggested, the refusal
    of its attributes (None if there is none), so that one printed line declares both."""
    if not suggestions or any(s.value not in SIZES for s in suggestions.values()):
        return None
    try:
        bind({**mapping, **{p: Name(s.value) for p, s in suggestions.items()}})
    except AttributeRefusal as refusal:
        return refusal
    except BindingError:
        return None
    return None


#: The sizes a suggestion may give a constructor's unknown name.
SIZES = ("input_size", "hidden_size", "num_layers")


def _by_name_alone(name: str, unknown: list, mapping: dict, guesses: dict, conventions: list, family: str) -> str:
    """The refusal of a guess without ``auto``: a ready line for each reading. Where a weight holds every
    gate of an LSTM in one tensor, its name says neither how it is stored nor the order its gates are
    stacked in; where the names are a course's own (`stacking_orders`), the course's order comes first,
    declared block by block, before torch.nn's (the one ``auto`` reads, where any other order is a
    gate-order mistake). Nothing here is assumed: a line pasted is the user's declaration."""
    stacked = any(g.stacked for g in guesses.values())
    courses = stacking_orders(family, list(guesses)) if stacked else ()
    torch_order = f", gates stacked {', '.join(GATE_LETTERS[family])} as torch.nn does" if courses else ""
    readings = {render_map({**mapping, **{p: g.expression(t, h) for p, g in guesses.items()}}):
                _storage_words(t, h, guesses) + torch_order for t, h in conventions}

    def course_line(order) -> tuple:
        line = render_map({**mapping, **{p: g.in_order(order.gates, order.transposed) if g.stacked
                                         else g.expression(order.transposed) for p, g in guesses.items()}})
        how = "(in, out), used as x @ W" if order.transposed else "(out, in)"
        return line, f"{order.course}'s layout: gates stacked {', '.join(order.gates)}, weights {how}"

    readings = {**dict(map(course_line, courses)), **readings}
    lines = "\n".join(f"  --rnn-bind \"{line}\"   # {words}" for line, words in readings.items())
    said = f"{name}: cannot bind {', '.join(map(repr, unknown))} by name alone. "
    if not courses:
        return (said + f"The names say what each holds; how the weights are stored tells these {len(readings)} "
                f"readings apart. Paste yours, or run with --rnn-bind auto to let an experiment decide:\n{lines}")
    orders = "; ".join([f"torch.nn's {', '.join(GATE_LETTERS[family])}"]
                       + [f"{order.course}'s {', '.join(order.gates)}, as these names are {order.course}'s"
                          for order in courses])
    return (said + f"The names say what each holds, but neither how the weights are stored nor the order in which "
            f"their gates are stacked ({orders}): {len(readings)} readings. No experiment decides a gate order "
            "(auto reads torch.nn's, and any other is then a gate-order mistake): "
            f"paste the line your code means:\n{lines}")


def storage_candidates(binding: Binding) -> tuple:
    """A weight read by an abbreviation (``w_ih``, ``W_hh``) says what it holds, not how it is stored:
    torch.nn's (out, in), or (in, out) for ``x @ W``. Both readings are candidates for the solver to
    prove by experiment. torch.nn's own names (``weight_ih``) mean its tensors as it stores them, and
    a declaration says which, so those are left as they are."""
    if binding.convention != "by-name" and binding.convention != "class":
        return (binding,)

    def weights_of(arguments: tuple) -> list:  # torch.nn's own names (weight_ih) are its tensors as it stores them
        return [a for a in arguments if isinstance(a.value, Name) and a.value.text.startswith(WEIGHTS)
                and not a.name.startswith(WEIGHTS)]

    construction = binding.construction
    held = weights_of(binding.arguments) + (weights_of(construction.arguments) if construction else [])
    if not held:
        return (binding,)

    def transposed(arguments: tuple) -> tuple:
        return tuple(Argument(a.name, Transpose(a.value), a.required, a.keyword) if a in held else a
                     for a in arguments)

    flipped = binding.replace(arguments=transposed(binding.arguments),
                              declaration=render_map({a.name: Transpose(a.value) for a in held}))
    if construction is not None:
        flipped = flipped.replace(construction=replace(construction, arguments=transposed(construction.arguments)))
    return binding.replace(declaration=render_map({a.name: a.value for a in held})), flipped


#: The weights whose storage a name does not say (a bias is a vector either way).
WEIGHTS = ("weight_ih", "weight_hh", "weight_hr")


def _storage_conventions(guesses: dict) -> list:
    """(transposed, hidden_first) for each way guessed weights may be stored: (in, out) or (out, in),
    and where one weight joins x and h, which comes first."""
    joint = any(g.kind == "joint_weight" for g in guesses.values())
    return [(transposed, hidden_first) for transposed in (True, False) for hidden_first in (True, False)
            if hidden_first or joint]


def _storage_words(transposed: bool, hidden_first: bool, guesses: dict) -> str:
    """'weights (in, out), used as x @ W': what one reading of a guessed map assumes of storage."""
    words = "weights (in, out), used as x @ W" if transposed else "weights (out, in) as torch.nn stores them"
    if any(g is not None and g.kind == "joint_weight" for g in guesses.values()):
        words += ", applied to [h, x]" if hidden_first else ", applied to [x, h]"
    return words


def bind_target(impl: str, rootdir: str, mode: Optional[str], declared: Optional[str], returns: Optional[str],
                adapt=None) -> tuple:
    """The candidate bindings of what `impl` names (``adapt(target)`` may replace the loaded object:
    the ``pytest_rnnconformance_adapt`` hook)."""
    target = load_target(impl, rootdir)
    adapted = adapt(target) if adapt is not None else None
    if adapted is None:
        return candidates(target, impl, mode, declared=declared, returns=returns)
    return tuple(b.replace(convention="adapter", notes=b.notes + ("adapted by a pytest_rnnconformance_adapt hook",))
                 for b in candidates(adapted, impl, mode))
