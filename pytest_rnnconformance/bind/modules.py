"""Binding an ``nn.Module`` subclass (or a factory returning one): build it, give it torch.nn's weights.

The module is constructed for each configuration with torch.nn's constructor arguments, under the
names its constructor uses (``input_size`` or ``input_dim``, ``num_hiddens``...), and called as
``module(input, hx)``. Its parameters receive torch.nn's weights by whichever match holds, shown in
the report header:

1. torch.nn's own names (``weight_ih_l0``...), or torch.nn's names under one prefix (``rnn.``): a
   module wrapping ``nn.LSTM``, whose fixed settings (``bias=False``...) the binder reads from it;
2. the module's ``from_torch(torch_module)``, where it defines one;
3. a declared map, ``--rnn-bind "rnn.W_xh=weight_ih.T,..."``;
4. its own names by structure (``W_xh``, ``W_hf``, ``b_c``: see `guess`), each shape checked.

If none holds, binding stops with the parameters left unmatched and a ``--rnn-bind`` line to edit.
"""
from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any, Optional

from .. import modes as mode_registry
from .binding import Binding, BindingError, Construction, signature_parameters
from .derive import derive_support, infer_modes
from .expressions import Expr, Name
from .functions import arguments_by_name, declared_modes
from .guess import guess, names_gates, render_map
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


def bind_module(target: Any, name: str, mode: Optional[str], declared: dict, *, factory: bool = False) -> Binding:
    """The binding of an nn.Module subclass or of a factory function returning one."""
    constructor = signature_parameters(target) or []
    if _takes_any_keyword(target):  # (*args, **kwargs): a subclass passing torch.nn's arguments on
        constructor = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None if k > 1 else
                                         inspect.Parameter.empty) for k, name in enumerate(TORCH_ARGUMENTS)
                       if name not in {p.name for p in constructor}] + constructor
    forward = signature_parameters(getattr(target, "forward", None)) if not factory else None
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
    modes = (mode,) if mode else ((torch_mode_of(target),) if torch_mode_of(target) else
                                  infer_modes(target, name, forward_args, None, implements))
    support = _constructor_support(derive_support(constructor_args + forward_args, "module", modes), constructor_args,
                                   modes)
    construction = Construction(arguments=constructor_args, method="forward",
                                from_torch=callable(getattr(target, "from_torch", None)))
    binding = Binding(name, target, "module", modes, support, forward_args, construction,
                      notes=("a factory returning a module",) if factory else ())
    binding = _map_weights(binding, own)
    if implements:
        binding = binding.replace(support=apply_declaration(binding.support, implements),
                                  modes=declared_modes(apply_declaration(binding.support, implements), mode, name))
    return binding


def _takes_any_keyword(target: Any) -> bool:
    try:
        return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return False


def _constructor_support(support: Support, constructor_args: tuple, modes: tuple) -> Support:
    from .expressions import names_in

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
    return support


# --------------------------------------------------------------------------- weights
def _probe_instance(binding: Binding) -> Any:
    """One instance at small sizes, to read its parameters (and any torch.nn module it wraps)."""
    import torch

    from ..spec import RNNSpec
    from .binding import environment
    from ..draw.inputs import make_inputs

    spec = RNNSpec(binding.modes[0], **PROBE_SIZES, bias=True in binding.support.bias)
    inputs = make_inputs(spec, time=2, batch=2, seed=0)
    args, kwargs = binding._arguments(binding.construction.arguments, environment(binding, inputs))
    try:
        with torch.random.fork_rng(devices=[]):
            made = binding.target(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the implementation's own constructor failed
        raise BindingError(f"{binding.name}(input_size={PROBE_SIZES['input_size']}, hidden_size="
                           f"{PROBE_SIZES['hidden_size']}, ...) raised {type(error).__name__}: {error}") from None
    if not isinstance(made, torch.nn.Module):
        raise BindingError(f"{binding.name}(...) returned a {type(made).__name__}, expected an nn.Module")
    return made, spec


def _map_weights(binding: Binding, declared_weights: dict) -> Binding:
    """Decide where torch.nn's weights go (see the module docstring), narrowing the support."""
    import torch

    module, spec = _probe_instance(binding)
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
    expected = spec.param_shapes()
    prefix = _common_prefix(own, expected)
    if prefix is not None and not declared_weights:
        if prefix:
            notes.append(f"weights by torch.nn's names under {prefix!r}")
        return binding.replace(support=support, notes=tuple(notes),
                               construction=replace(binding.construction, prefix=prefix, from_torch=False))
    if binding.construction.from_torch and not declared_weights:
        return binding.replace(support=support, notes=tuple(notes + ["weights loaded by its from_torch"]))
    mapping = dict(declared_weights) if declared_weights else _structural(own, spec, binding)
    unmatched = sorted(set(own) - set(mapping))
    unknown = sorted(set(mapping) - set(own))
    if unknown:
        raise BindingError(f"--rnn-bind names {', '.join(unknown)}, which {binding.name} does not have "
                           f"(its parameters: {', '.join(f'{p} {list(s)}' for p, s in own.items())})")
    if unmatched:
        raise BindingError(f"{binding.name}: cannot tell which of torch.nn's weights its parameter"
                           f"{'s' if len(unmatched) > 1 else ''} {', '.join(f'{p} {list(own[p])}' for p in unmatched)} "
                           f"hold; declare them: --rnn-bind \"{render_map({**mapping, **{p: Name('?') for p in unmatched}})}\"")
    from .expressions import names_in

    used = {n for expr in mapping.values() for n in names_in(expr)}
    support = support.without("multilayer", "its own parameters hold one layer", max_layers=1) \
        if not any("_l1" in n for n in used) else support
    if not any(n.startswith("bias") for n in used) and "bias" not in _taken(binding):
        support = support.without("no_bias", "its parameters hold no bias", bias=frozenset({False}))
    elif "bias" not in _taken(binding):
        support = support.without("no_bias", "its parameters always hold a bias", bias=frozenset({True}))
    if not any("reverse" in n for n in used):
        support = support.without("bidirectional", "its own parameters hold one direction", directions=frozenset({1}))
    how = "declared" if declared_weights else "matched by name and shape"
    notes.append(f"weights {how}: {render_map(mapping)}")
    construction = replace(binding.construction, weights=tuple(mapping.items()), from_torch=False)
    return binding.replace(support=support, notes=tuple(notes), construction=construction)


def _taken(binding: Binding) -> set:
    from .expressions import names_in

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


def _structural(own: dict, spec, binding: Binding) -> dict:
    """Guess each own parameter from its name; orientation from its shape."""
    family = spec.recurrence.family
    leaves = {path: path.rsplit(".", 1)[-1] for path in own}
    per_gate = names_gates(list(leaves.values()), family)
    mapping: dict[str, Expr] = {}
    for path, leaf in leaves.items():
        guessed = guess(leaf, family, per_gate)
        if guessed is None:
            continue
        shape = own[path]
        for transposed in (False, True):
            candidate = guessed.expression(transposed)
            if _shape_of(candidate, spec) == shape:
                mapping[path] = candidate
                break
    return mapping


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
                      else torch.zeros(spec.output_hidden_size), spec.recurrence.family)
    try:
        value = evaluate(expr, env)
    except (RuntimeError, IndexError, ValueError):
        return None
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None
