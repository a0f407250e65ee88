"""One binder for every calling convention: call an implementation with an `RNNInputs`.

Implementations are bound by the *names* of their parameters (the vocabulary of DESIGN.md), so a
learner's ``lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)`` runs as
written. Four conventions come out of the names:

* ``canonical``  — ``forward(input, hx, params, spec)``: torch.nn's parameter dict and a spec.
* ``functional`` — ``f(input, hx, flat_weights, has_biases, num_layers, dropout, train,
  bidirectional, batch_first)``: torch's ``_VF.lstm`` layout.
* ``by-name``    — one layer's weights as separate arguments (``w_ih``, ``weight_hh_reverse`` ...).
* ``module``     — an ``nn.Module`` subclass (or a factory returning one) with torch.nn's
  constructor, given torch.nn's weights by ``load_state_dict`` or its own ``from_torch``.

From the same names the binder derives what the implementation supports (`Support`), and, where
the signature does not say, finds the input layout (and whether a per-layer function wants its
state with or without the layer dimension) by a probe with distinct sizes.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .support import IMPLEMENTS_ATTRIBUTE, Support, apply_declaration

# --------------------------------------------------------------------------- the vocabulary
ROLE_NAMES = {
    "input": ("input", "x", "inputs", "X", "input_seq", "sequence"),
    "hx": ("hx", "h0", "h_prev", "initial_states", "initial_state", "state", "states", "hidden", "h_0", "init_state"),
    "cx": ("c0", "c_prev", "c_0", "cx"),
    "weight_ih": ("weight_ih", "w_ih", "W_ih"),
    "weight_hh": ("weight_hh", "w_hh", "W_hh"),
    "bias_ih": ("bias_ih", "b_ih"),
    "bias_hh": ("bias_hh", "b_hh"),
    "weight_hr": ("weight_hr", "w_hr", "W_hr"),
    "params": ("params", "weights", "state_dict", "parameters"),
    "flat_weights": ("flat_weights", "all_weights"),
    "spec": ("spec", "config"),
    "num_layers": ("num_layers",),
    "bidirectional": ("bidirectional",),
    "batch_first": ("batch_first",),
    "bias": ("bias", "has_biases"),
    "dropout": ("dropout",),
    "train": ("train", "training"),
    "proj_size": ("proj_size",),
    "hidden_size": ("hidden_size",),
    "input_size": ("input_size",),
    "nonlinearity": ("nonlinearity",),
    "mode": ("mode",),
}
PER_DIRECTION_ROLES = ("hx", "cx", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
WEIGHT_ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
_NAME_TO_ROLE = {name: role for role, names in ROLE_NAMES.items() for name in names}


class BindingError(Exception):
    """The implementation cannot be bound; the message is one line for a usage error."""


@dataclass
class Parameter:
    name: str
    role: str
    reverse: bool
    required: bool
    kind: Any


def role_of(name: str) -> tuple[Optional[str], bool]:
    """(role, reverse) of a parameter name, e.g. 'w_ih_reverse' -> ('weight_ih', True)."""
    if name in _NAME_TO_ROLE:
        return _NAME_TO_ROLE[name], False
    for suffix in ("_reverse", "_rev", "_backward", "_bwd"):
        if name.endswith(suffix) and name[: -len(suffix)] in _NAME_TO_ROLE:
            role = _NAME_TO_ROLE[name[: -len(suffix)]]
            if role in PER_DIRECTION_ROLES:
                return role, True
    return None, False


# --------------------------------------------------------------------------- the binding
@dataclass
class Binding:
    """How to call one implementation, what it supports, and what the binder concluded."""

    target: Any
    name: str
    convention: str
    modes: tuple
    support: Support
    parameters: list = field(default_factory=list)
    state_has_layer_dim: bool = True  # by-name: pass h0 as (1, B, H) (True) or (B, H) (False)
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        """'by-name: one layer, one direction, batch-first, tanh' — what the report shows."""
        s = self.support
        parts = []
        if self.convention == "by-name":
            parts.append("one layer" if s.max_layers == 1 else "any layers")
        else:
            parts.append("any layers" if s.max_layers is None else f"up to {s.max_layers} layers")
        parts.append({frozenset({1}): "one direction", frozenset({2}): "two directions"}.get(
            s.directions, "one or two directions"))
        parts.append({frozenset({True}): "batch-first", frozenset({False}): "seq-first"}.get(
            s.layouts, "either layout"))
        if "rnn" in self.modes:
            parts.append("/".join(sorted(s.nonlinearities, reverse=True)))
        if self.convention == "by-name":
            parts.append("state " + ("with" if self.state_has_layer_dim else "without") + " the layer dimension")
        if not s.default_state:
            parts.append("hx required")
        if s.bias == frozenset({True}):
            parts.append("biases required")
        text = f"{self.convention}: " + ", ".join(parts)
        return text + ("; " + "; ".join(self.notes) if self.notes else "")

    # ------------------------------------------------------------------ calling
    def call(self, inputs) -> Any:
        """Run the implementation on `inputs` and return what it returned, unchanged."""
        spec = inputs.spec
        if self.convention == "module":
            return self._call_module(inputs)
        args, kwargs = [], {}
        for p in self.parameters:
            value = self._value_for(p, inputs)
            if value is _OMIT:
                if p.required:
                    raise NotImplementedError(f"{self.name} requires {p.name}, which this check does not give ({spec.describe()})")
                continue
            if p.kind in (inspect.Parameter.POSITIONAL_ONLY,):
                args.append(value)
            else:
                kwargs[p.name] = value
        return self.target(*args, **kwargs)

    def _value_for(self, p: Parameter, inputs) -> Any:
        spec, role = inputs.spec, p.role
        if role == "input":
            return inputs.input
        if role in ("hx", "cx"):
            return self._state_for(p, inputs)
        if role in WEIGHT_ROLES:
            name = f"{role}_l0" + ("_reverse" if p.reverse else "")
            return inputs.params.get(name, None if not p.required else _OMIT)
        if role == "params":
            return dict(inputs.params)
        if role == "flat_weights":
            return [inputs.params[name] for name in spec.param_names()]
        if role == "spec":
            return spec
        if role == "bias":
            return spec.bias
        if role == "train":
            return False
        if role == "mode":
            return spec.mode
        return getattr(spec, role)

    def _state_for(self, p: Parameter, inputs) -> Any:
        hx = inputs.hx
        if hx is None:  # the canonical convention takes hx=None as torch.nn does; others use their default
            return None if self.convention == "canonical" else _OMIT
        spec = inputs.spec
        states = tuple(hx) if spec.num_states == 2 else (hx,)
        if self.convention == "by-name" and not self.state_has_layer_dim:
            per_direction = [tuple(s[d] for s in states) for d in range(spec.num_directions)]
        else:
            per_direction = None
        has_separate_c = any(q.role == "cx" for q in self.parameters)
        has_reverse_state = any(q.role == "hx" and q.reverse for q in self.parameters)
        if per_direction is not None and (has_reverse_state or spec.num_directions == 1):
            chosen = per_direction[1 if p.reverse else 0]
        elif per_direction is not None:  # both directions through one argument, stacked
            chosen = tuple(s for s in states)
        else:
            chosen = states
        if spec.num_states != 2:
            return chosen[0]
        if p.role == "cx":
            return chosen[1]
        if has_separate_c:
            return chosen[0]
        if self.convention == "functional":
            return list(chosen)
        return tuple(chosen)

    def _call_module(self, inputs) -> Any:
        import torch

        # Construction initialises weights from the global RNG; they are overwritten at once, and
        # only the forward pass is the implementation's to answer for.
        with torch.random.fork_rng(devices=[]):
            module = self.instantiate(inputs.spec, inputs.params, inputs.dtype, inputs.device)
        self.last_module = module  # its parameters are what gradients are taken against
        if inputs.hx is None:
            return module(inputs.input)
        return module(inputs.input, inputs.hx)

    def instantiate(self, spec, params, dtype, device) -> Any:
        """Build the implementation's module for `spec`, holding `params`."""
        import torch

        kwargs = {"input_size": spec.input_size, "hidden_size": spec.hidden_size}
        accepted = self._constructor_names()
        for name, value in spec.torch_kwargs().items():
            if name in kwargs:
                continue
            default = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                       "bidirectional": False, "proj_size": 0, "nonlinearity": "tanh"}[name]
            if accepted is None or name in accepted:
                kwargs[name] = value
            elif value != default:
                raise NotImplementedError(f"{self.name} takes no {name} argument")
        module = self.target(**kwargs)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"{self.name}(...) returned a {type(module).__name__}, expected an nn.Module")
        module = module.to(device=device, dtype=dtype)
        if hasattr(module, "from_torch") and callable(module.from_torch):
            torch_module = spec.build_module(params, dtype=dtype, device=device)
            result = module.from_torch(torch_module)
            module = result if isinstance(result, torch.nn.Module) else module
        else:
            module.load_state_dict({name: value.detach() for name, value in params.items()}, strict=True)
        module.eval()
        return module

    def _constructor_names(self) -> Optional[set]:
        try:
            signature = inspect.signature(self.target)
        except (TypeError, ValueError):
            return None
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
            return None
        return set(signature.parameters)


_OMIT = object()


# --------------------------------------------------------------------------- binding
def bind(target: Any, name: str, mode: Optional[str] = None) -> Binding:
    """Work out how to call `target` and what it supports (before any probe)."""
    import torch

    if inspect.isclass(target):
        if not issubclass(target, torch.nn.Module):
            raise BindingError(f"{name} is a class but not an nn.Module subclass")
        return _bind_module(target, name, mode)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as error:
        raise BindingError(f"cannot read the signature of {name}: {error}") from None
    parameters, unknown = [], []
    for p in signature.parameters.values():
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        role, reverse = role_of(p.name)
        required = p.default is inspect.Parameter.empty
        if role is None:
            if required:
                unknown.append(p.name)
            continue
        parameters.append(Parameter(p.name, role, reverse, required, p.kind))
    roles = {p.role for p in parameters}
    if "input" not in roles and {"input_size", "hidden_size"} <= roles:
        return _bind_module(target, name, mode, factory=True)
    if unknown:
        raise BindingError(
            f"{name}: cannot bind parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"known names: input/x, hx/h0/h_prev/initial_states, c0, weight_ih/w_ih, weight_hh, bias_ih, "
            f"bias_hh, weight_hr, params, flat_weights, spec and torch.nn's settings (see the README)"
        )
    if "input" not in roles:
        raise BindingError(f"{name}: no input parameter (expected one named input, x or inputs)")
    if "params" in roles or "spec" in roles:
        convention = "canonical"
    elif "flat_weights" in roles:
        convention = "functional"
    elif "weight_ih" in roles:
        convention = "by-name"
    else:
        raise BindingError(f"{name}: found no weights among its parameters (params, flat_weights or weight_ih...)")
    modes = infer_modes(target, name, parameters, convention, mode)
    binding = Binding(target, name, convention, modes, Support(modes=frozenset(modes)), parameters)
    binding.support = _derive_support(binding)
    declared = getattr(target, IMPLEMENTS_ATTRIBUTE, None)
    if declared:
        binding.support = apply_declaration(binding.support, declared)
        from .celltypes import all_modes

        binding.modes = tuple(m for m in all_modes() if m in binding.support.modes)
        if not binding.modes:
            raise BindingError(f"{name}: @implements(modes={sorted(binding.support.modes)}) names no known mode; "
                               f"known: {', '.join(all_modes())} (a cell of your own needs the register_cells hook)")
        if mode:
            binding.modes = (mode,)
    return binding


def infer_modes(target: Any, name: str, parameters: list, convention: str, mode: Optional[str]) -> tuple:
    """Which cells the implementation computes: --rnn-mode, else its name, else its parameters."""
    if mode:
        return (mode,)
    declared = getattr(target, IMPLEMENTS_ATTRIBUTE, {}) or {}
    if "modes" in declared:
        return tuple(declared["modes"])
    from .celltypes import registered_modes

    lowered = getattr(target, "__name__", name).lower()
    registered = sorted(registered_modes(), key=len, reverse=True)  # "peephole_lstm" before "lstm"
    for candidate in (*registered, "lstm", "gru", "rnn"):
        if candidate in lowered:
            return (candidate,)
    roles = {p.role for p in parameters}
    if "cx" in roles or "weight_hr" in roles:
        return ("lstm",)
    if "spec" in roles:
        return ("rnn", "lstm", "gru")
    raise BindingError(
        f"cannot tell which cell {name} computes (its name and parameters do not say); "
        f"pass --rnn-mode rnn, lstm or gru"
    )


def _derive_support(binding: Binding) -> Support:
    params = binding.parameters
    by_role: dict[str, list[Parameter]] = {}
    for p in params:
        by_role.setdefault(p.role, []).append(p)
    s = binding.support
    has_setting = lambda role: role in by_role  # noqa: E731
    state = [p for p in by_role.get("hx", []) if not p.reverse]
    if binding.convention != "canonical" and (not state or any(p.required for p in state)):
        s = s.without("default_state", "the state argument has no default", default_state=False)
    if not has_setting("batch_first") and not has_setting("spec"):
        s = s.without("layout", "the signature takes no batch_first (layout found by a probe)")
    if not has_setting("nonlinearity") and not has_setting("spec") and not has_setting("mode"):
        s = s.without("relu", "the signature takes no nonlinearity", nonlinearities=frozenset({"tanh"}))
    if binding.convention == "canonical":
        return s
    if binding.convention == "functional":
        if not has_setting("num_layers"):
            s = s.without("multilayer", "the signature takes no num_layers", max_layers=1)
        if not has_setting("bidirectional"):
            s = s.without("bidirectional", "the signature takes no bidirectional", directions=frozenset({1}))
        if not has_setting("bias"):
            s = s.without("no_bias", "the signature takes no has_biases", bias=frozenset({True}))
        return s.without("unbatched", "torch's functional convention takes 3-D input only", unbatched=False,
                         packed=False)
    # by-name: one layer's weights as separate arguments
    s = s.without("multilayer", "the signature takes only one layer's weights", max_layers=1)
    s = s.without("unbatched", "a per-layer signature does not say it takes 2-D input", unbatched=False)
    s = s.without("packed", "a per-layer signature does not take packed sequences", packed=False)
    reverse = [p for p in params if p.reverse and p.role == "weight_ih"]
    if not reverse:
        s = s.without("bidirectional", "the signature takes no _reverse weights", directions=frozenset({1}))
    elif reverse[0].required:
        s = s.without("unidirectional", "its _reverse weights are required", directions=frozenset({2}))
    biases = by_role.get("bias_ih", []) + by_role.get("bias_hh", [])
    if not has_setting("bias") and (not biases or any(p.required for p in biases)):
        s = s.without("no_bias", "its bias arguments are required", bias=frozenset({True}))
    hr = by_role.get("weight_hr", [])
    if not hr:
        s = s.without("proj", "the signature takes no weight_hr", proj=frozenset({False}))
    elif hr[0].required:
        s = s.without("proj", "its weight_hr is required", proj=frozenset({True}))
    return s


def _bind_module(target: Any, name: str, mode: Optional[str], factory: bool = False) -> Binding:
    import torch

    if mode:
        modes: tuple = (mode,)
    elif inspect.isclass(target) and issubclass(target, torch.nn.LSTM):
        modes = ("lstm",)
    elif inspect.isclass(target) and issubclass(target, torch.nn.GRU):
        modes = ("gru",)
    elif inspect.isclass(target) and issubclass(target, torch.nn.RNN):
        modes = ("rnn",)
    else:
        modes = infer_modes(target, name, [], "module", None)
    binding = Binding(target, name, "module", modes, Support(modes=frozenset(modes)))
    accepted = binding._constructor_names()
    s = binding.support
    if accepted is not None:
        for setting, key, change in (
            ("num_layers", "multilayer", dict(max_layers=1)),
            ("bidirectional", "bidirectional", dict(directions=frozenset({1}))),
            ("batch_first", "layout", {}),
            ("bias", "no_bias", dict(bias=frozenset({True}))),
            ("proj_size", "proj", dict(proj=frozenset({False}))),
            ("nonlinearity", "relu", dict(nonlinearities=frozenset({"tanh"}))),
        ):
            if setting not in accepted:
                s = s.without(key, f"its constructor takes no {setting}", **change)
    binding.support = s
    declared = getattr(target, IMPLEMENTS_ATTRIBUTE, None)
    if declared:
        binding.support = apply_declaration(binding.support, declared)
    if factory:
        binding.notes.append("a factory returning a module")
    return binding


# --------------------------------------------------------------------------- the probe
PROBE_SIZES = dict(time=3, batch=2, input_size=5, hidden_size=4)


def probe(binding: Binding, call: Callable[[Any], Any], compare: Callable[[Any, Any], float]) -> None:
    """Find the layout (and state form) where the signature does not say, by trying each.

    Sizes are all distinct (time 3, batch 2, features 5, hidden 4), so an implementation given the
    wrong layout either fails or returns the wrong shape. `call(inputs)` runs the implementation
    (guarded), `compare(inputs, result)` returns (error against the reference, number of results
    off in shape); inf if unusable. Ties go to exact shapes, then to the state without the layer
    dimension (code that broadcasts runs both ways, but only one gives torch.nn's shapes).
    """
    from .inputs import make_inputs
    from .spec import RNNSpec

    s = binding.support
    layouts = sorted(s.layouts) if len(s.layouts) > 1 and "layout" not in s.reasons else [False, True]
    forms = [False, True] if binding.convention == "by-name" else [True]
    if "layout" not in s.reasons and binding.convention != "by-name":
        return
    mode = binding.modes[0]
    directions = min(s.directions)
    outcomes = []
    for batch_first, has_layer_dim in [(layout, form) for layout in layouts for form in forms]:
        spec = RNNSpec(mode, PROBE_SIZES["input_size"], PROBE_SIZES["hidden_size"], batch_first=batch_first,
                       bidirectional=directions == 2)
        inputs = make_inputs(spec, time=PROBE_SIZES["time"], batch=PROBE_SIZES["batch"], seed=1234)
        binding.state_has_layer_dim = has_layer_dim
        try:
            result = call(inputs)
            error, misshapen = compare(inputs, result)
            outcomes.append((error, misshapen, batch_first, has_layer_dim, None))
        except Exception as problem:  # noqa: BLE001 - a failed probe is information, not an error
            outcomes.append((float("inf"), 0, batch_first, has_layer_dim, problem))
            if getattr(problem, "fatal", False):
                break  # a hang or a crash: the next layout would most likely cost another timeout
    outcomes.sort(key=lambda o: (o[0], o[1], o[3]))
    best_error, _, batch_first, has_layer_dim, problem = outcomes[0]
    binding.state_has_layer_dim = has_layer_dim
    if "layout" in s.reasons:
        binding.support = s.without("layout", s.reasons["layout"], layouts=frozenset({batch_first}))
        if best_error == float("inf"):
            first = next(o[4] for o in outcomes if o[4] is not None)
            where = "stopped at" if getattr(first, "fatal", False) else "failed in every layout, first with"
            binding.notes.append(f"layout probe {where} {type(first).__name__}: {str(first)[:120]}; assuming seq-first")
            binding.support = binding.support.without("layout", "probe failed", layouts=frozenset({False}))
            binding.state_has_layer_dim = binding.convention != "by-name"
        else:
            binding.notes.append(f"probe found {'batch-first' if batch_first else 'seq-first'} layout")
