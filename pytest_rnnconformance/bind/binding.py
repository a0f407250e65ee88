"""`Binding`: how to call one implementation on one check, frozen once the binder has decided.

A binding is a list of `Argument`s, each an expression of the binding language (`expressions`)
that says what the parameter of that name receives; for a module or a plain class, a
`Construction` says how to build the object first (its constructor's arguments, and where each of
torch.nn's weights goes); `returns` says how to read what comes back. Nothing in it changes after
`bind` and `settle` made it: a call builds its arguments from the check's tensors and the frozen
choices (the state's form, arrays or tensors).
"""
from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from typing import Any, Optional

from .evidence import render as render_evidence
from .expressions import (MISSING, DoesNotFit, Environment, Expr, Reshape, Returns, Transpose, evaluate, names_in,
                          size_symbols)
from .support import Support


class BindingError(Exception):
    """The implementation cannot be bound; the message is one line for a usage error."""


class DeclarationFailed(BindingError):
    """Evaluating an item of the binding on torch.nn's tensors raised (tensors joined or added in
    shapes that do not fit, a gate block of a tensor that is not the gates stacked): the declaration
    is at fault, not the implementation, which was never called."""


class Unsupported(Exception):
    """The implementation cannot be asked this check (it raised NotImplementedError, or its
    signature cannot take what the check gives)."""


@dataclass(frozen=True)
class Argument:
    """One parameter of a call and the expression it receives."""

    name: str
    value: Expr
    required: bool = True
    keyword: bool = True  # False: positional-only

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


@dataclass(frozen=True)
class Construction:
    """How to build the object whose method is called: a module or a plain class.

    `arguments` are the constructor's; a module's parameters get torch.nn's weights under their own
    names after `prefix` (``"rnn."``, or ``""``), or as the fixed map `weights` of its own parameter
    paths to expressions, or from its ``from_torch``; a plain class receives them in its constructor.
    `method` is what is then called.
    """

    arguments: tuple = ()
    prefix: Optional[str] = None
    weights: tuple = ()  # ((path, Expr), ...)
    from_torch: bool = False
    method: str = "forward"
    is_module: bool = True
    copied: bool = False  # the weights are copied in by name (a TorchScript module: no functional call reaches it)


@dataclass(frozen=True)
class Summary:
    """A binding as the judge sees it: what was bound, how to read its results, what it supports."""

    name: str
    convention: str
    modes: tuple
    support: Support
    per_layer: bool
    returns: Optional[Returns]
    state_layer_dim: bool
    arrays: bool
    notes: tuple
    description: str
    from_torch: bool = False
    evidence: tuple = ()  # evidence.Fact: each fact the verdicts rest on, and how it was established
    declaration: str = ""  # the --rnn-bind line this binding answers to, where it was guessed or declared
    reading: str = ""  # a course's convention read whole (`courses`): what this candidate reads the code as
    state_form_open: bool = True  # whether a state with or without its layer dimension are two ways to try


@dataclass(frozen=True)
class Binding:
    """How to call one implementation, what it supports, and what the binder concluded."""

    name: str
    target: Any
    convention: str  # canonical, functional, by-name, declared, module, class, adapter, course
    modes: tuple
    support: Support
    arguments: tuple = ()
    construction: Optional[Construction] = None
    returns: Optional[Returns] = None  # None: torch.nn's (output, h_n) / (output, (h_n, c_n))
    state_layer_dim: bool = True  # pass h0 as (layers * directions, B, H) (True) or (B, H) (False)
    arrays: bool = False  # numpy: arrays in (results are converted whatever was passed)
    notes: tuple = ()
    evidence: tuple = ()  # evidence.Fact: what the binder read or was told, and how
    declaration: str = ""  # the --rnn-bind line this binding answers to, where it was guessed or declared
    reading: str = ""  # a course's convention read whole (`courses`): what this candidate reads the code as

    def replace(self, **changes: Any) -> Binding:
        return dataclasses.replace(self, **changes)

    def summary(self) -> Summary:
        """What the judge needs to know of this binding (all that crosses back from a worker)."""
        return Summary(self.name, self.convention, self.modes, self.support, self.per_layer, self.returns,
                       self.state_layer_dim, self.arrays, self.notes, self.describe(),
                       self.construction is not None and self.construction.from_torch, self.evidence,
                       self.declaration, self.reading, self.state_form_open)

    @property
    def per_layer(self) -> bool:
        """Takes one layer's weights as separate arguments (or holds them under names of its own): its
        state may lack the layer dimension."""
        return self.convention in ("by-name", "declared", "class", "course") or (
            self.construction is not None and (not self.construction.is_module or bool(self.construction.weights)))

    @property
    def state_form_open(self) -> bool:
        """Whether the state's form is left to the probe: a state every argument reshapes to sizes of
        its own (``a0=hx.reshape(B,H).T``) is the same tensor with or without its layer dimension."""
        states = [a.value for a in self.arguments if names_in(a.value) & STATE_NAMES]
        return not states or not all(isinstance(_unwrapped(value), Reshape) for value in states)

    def describe(self) -> str:
        return describe(self)

    # ------------------------------------------------------------------ calling
    def call(self, inputs) -> Any:
        """Run the implementation on `inputs` and return what it returned, unchanged."""
        return self.prepare(inputs)()

    def prepare(self, inputs) -> Any:
        """A no-argument call of the implementation on `inputs`: its object built, its arguments
        made (what the benchmark times is then the call alone)."""
        env = environment(self, inputs)
        target = self.target if self.construction is None else self._construct(env, inputs)
        args, kwargs = self._arguments(self.arguments, env)
        return lambda: target(*args, **kwargs)

    def _arguments(self, arguments: tuple, env: Environment) -> tuple[list, dict]:
        args, kwargs = [], {}
        for argument in arguments:
            try:
                value = evaluated(str(argument), argument.value, env)
            except DoesNotFit as error:  # as declared, it does not take this configuration
                raise Unsupported(f"{self.name}: {argument.name}={error}") from None
            if value is MISSING:
                if argument.required:
                    raise Unsupported(f"{self.name} requires {argument.name} ({argument.value}), which this check "
                                      "does not give")
                continue
            value = as_arrays(value) if self.arrays else value
            if argument.keyword:
                kwargs[argument.name] = value
            else:
                args.append(value)
        return args, kwargs

    def _construct(self, env: Environment, inputs) -> Any:
        """Build the module or object for this check and return the method to call."""
        import torch

        construction = self.construction
        args, kwargs = self._arguments(construction.arguments, env)
        # Construction may initialise weights from the global RNG; they are replaced at once, and
        # only the forward pass is the implementation's to answer for.
        with torch.random.fork_rng(devices=[]):
            made = self.target(*args, **kwargs)
        if not construction.is_module:
            for path, expr in construction.weights:  # a class that keeps its weights as attributes
                value = evaluated(f"{path}={expr}", expr, env)
                if value is not MISSING:
                    setattr(made, path, as_arrays(value) if self.arrays else value)
            return getattr(made, construction.method)
        if not isinstance(made, torch.nn.Module):
            raise TypeError(f"{self.name}(...) returned a {type(made).__name__}, expected an nn.Module")
        module = made.to(device=inputs.device, dtype=inputs.dtype)
        module.train(bool(inputs.recipe.train))
        if construction.from_torch:
            torch_module = inputs.spec.build_module(inputs.params, dtype=inputs.dtype, device=inputs.device)
            loaded = module.from_torch(torch_module)
            module = loaded if isinstance(loaded, torch.nn.Module) else module
            return getattr(module, construction.method)
        if construction.prefix is not None:
            weights = {construction.prefix + name: value for name, value in inputs.params.items()}
        else:
            weights = {path: evaluated(f"{path}={expr}", expr, env) for path, expr in construction.weights}
            weights = {path: value for path, value in weights.items() if value is not MISSING}
        if not construction.copied:  # the weights stay differentiable functions of the check's
            from torch.func import functional_call

            if construction.method != "forward":  # functional_call calls forward: this instance's is the method
                module.forward = getattr(module, construction.method)
            return lambda *call_args, **call_kwargs: functional_call(module, weights, call_args, call_kwargs)
        with torch.no_grad():  # TorchScript: the weights are copied in (no gradients through them)
            for path, value in weights.items():
                module.get_parameter(path).copy_(value)
        return getattr(module, construction.method)


#: The names of torch.nn's states in the binding language.
STATE_NAMES = frozenset({"hx", "h0", "c0", "hx_reverse", "h0_reverse", "c0_reverse"})


def _unwrapped(expr: Expr) -> Expr:
    """`expr` without the transposes around it (``hx.reshape(B,H).T`` is a reshape, transposed)."""
    while isinstance(expr, Transpose):
        expr = expr.arg
    return expr


def evaluated(item: str, expr: Expr, env: Environment) -> Any:
    """`evaluate`, with what it raises (but `DoesNotFit`, a configuration the declaration does not
    take) said to be the binding item's fault: `DeclarationFailed`, never the implementation's."""
    try:
        return evaluate(expr, env)
    except DoesNotFit:
        raise
    except Exception as error:  # noqa: BLE001 - only torch.nn's tensors are involved: the item is at fault
        raise DeclarationFailed(f"--rnn-bind item {item}: evaluating it on torch.nn's tensors raised "
                                f"{type(error).__name__}: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"


def check_declared(binding: Binding, declared: set) -> None:
    """Evaluate each declared item once, before any call, on torch.nn's tensors for one configuration
    of the binding's first mode (input size 5, hidden size 4, batch 2, 3 steps): an item that raises is
    a usage error naming it (`DeclarationFailed`), not a failure of the implementation. An item that
    does not fit this configuration as declared (`DoesNotFit`) is left to the checks that draw it."""
    from types import SimpleNamespace

    import torch

    from ..spec import RNNSpec

    try:
        spec = RNNSpec(binding.modes[0], input_size=5, hidden_size=4,
                       batch_first=binding.support.layouts == frozenset({True}))
    except (TypeError, ValueError):  # a mode that cannot be built this way: the checks themselves will say
        return
    def zeros(shape: tuple) -> Any:
        return torch.zeros(shape, dtype=torch.float64)

    states = tuple(zeros(shape) for shape in spec.state_shapes(2))
    inputs = SimpleNamespace(spec=spec, input=zeros(spec.input_shape(3, 2)), hx=states if len(states) == 2 else states[0],
                             params={name: zeros(shape) for name, shape in spec.param_shapes().items()},
                             dtype=torch.float64, device=torch.device("cpu"),
                             recipe=SimpleNamespace(time=3, batch=2, train=False))
    env = environment(binding, inputs)
    construction = binding.construction
    items = [(str(a), a.value) for a in binding.arguments if a.name in declared]
    if construction is not None:
        items += [(str(a), a.value) for a in construction.arguments if a.name in declared]
        items += [(f"{path}={expr}", expr) for path, expr in construction.weights if path in declared]
    for item, expr in items:
        try:
            evaluated(item, expr, env)
        except DoesNotFit:
            continue


def describe(bound) -> str:
    """'by-name: one layer, one direction, batch-first, tanh; ...' — what the report header shows
    (of a `Binding` or its `Summary`)."""
    s = bound.support
    parts = []
    if s.max_layers == 1:
        parts.append("one layer")
    else:
        parts.append("any layers" if s.max_layers is None else f"up to {s.max_layers} layers")
    parts.append({frozenset({1}): "one direction", frozenset({2}): "two directions"}.get(
        s.directions, "one or two directions"))
    parts.append({frozenset({True}): "batch-first", frozenset({False}): "seq-first"}.get(s.layouts, "either layout"))
    if not s.batched:
        parts.append("unbatched only")
    if any(mode.startswith("rnn") for mode in bound.modes):
        parts.append("/".join(sorted(s.nonlinearities, reverse=True)))
    if bound.per_layer and s.state_given and bound.state_form_open and not any(m.endswith("_cell") for m in bound.modes):
        parts.append("state " + ("with" if bound.state_layer_dim else "without") + " the layer dimension")
    if not s.state_given:
        parts.append("no state argument")
    elif not s.default_state:
        parts.append("hx required")
    if s.bias == frozenset({True}):
        parts.append("biases required")
    elif s.bias == frozenset({False}):
        parts.append("no biases")
    if bound.arrays:
        parts.append("numpy arrays")
    text = f"{bound.convention}: " + ", ".join(parts)
    text += "; " + "; ".join(bound.notes) if bound.notes else ""
    return text + ("\n  evidence: " + render_evidence(bound.evidence) if bound.evidence else "")


def as_arrays(value: Any) -> Any:
    """Tensors (also inside tuples, lists and dicts) as numpy arrays; anything else unchanged."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (tuple, list)):
        return type(value)(as_arrays(v) for v in value)
    if isinstance(value, dict):
        return {k: as_arrays(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- what names mean
def environment(binding: Binding, inputs) -> Environment:
    """What the binding language's names mean for this binding and these inputs."""
    import torch

    spec = inputs.spec
    split_directions = any(_reads_reverse_state(argument.value) for argument in binding.arguments)

    def tensor(base: str, layer: int, reverse: bool) -> Any:
        if base == "input":
            return inputs.input
        if base in ("hx", "h0", "c0"):
            return _state(base, reverse)
        if spec.single_step:
            name = base
        else:
            name = f"{base}_l{layer}" + ("_reverse" if reverse else "")
        return inputs.params.get(name, MISSING)

    def _state(base: str, reverse: bool) -> Any:
        if inputs.hx is None:  # torch.nn's own convention passes None; the others leave their default
            return None if binding.convention in ("canonical", "module") and base == "hx" else MISSING
        states = tuple(inputs.hx) if spec.num_states == 2 else (inputs.hx,)
        if binding.per_layer and not spec.single_step:
            if split_directions or spec.num_directions == 1:
                direction = 1 if reverse else 0
                states = tuple(s[direction] if not binding.state_layer_dim else s[direction:direction + 1]
                               for s in states)
        if base == "h0":
            return states[0]
        if base == "c0":
            return states[1] if len(states) == 2 else MISSING
        return states if len(states) == 2 else states[0]

    def setting(name: str) -> Any:
        if name in ("device", "dtype"):
            return getattr(inputs, name)
        return setting_of(spec, name, bool(inputs.recipe.train))

    def collection(name: str) -> Any:
        if name == "params":
            return dict(inputs.params)
        if name == "flat_weights":
            return [inputs.params[n] for n in spec.param_names()]
        return spec

    def constant(name: str) -> Any:
        size = spec.output_hidden_size
        if name == "eye":
            return torch.eye(size, dtype=inputs.dtype, device=inputs.device)
        if name == "zeros":
            return torch.zeros(size, dtype=inputs.dtype, device=inputs.device)
        return None

    return Environment(tensor, setting, collection, constant, spec.recurrence.family,
                       size_symbols(spec, inputs.recipe))


def setting_of(spec, name: str, train: bool = False) -> Any:
    """The value a setting's name has for `spec` (``train`` comes from the check, not the spec; where
    no check is, a module is built on the CPU in the default dtype)."""
    if name == "train":
        return train
    if name in ("device", "dtype"):
        return None
    if name == "has_biases":
        return spec.bias
    if name == "mode":
        return spec.mode
    return getattr(spec, name)


def settings_environment(spec) -> Environment:
    """What names mean where only the configuration is known (building a module to read its own
    parameters): its settings; no tensor, collection or constant is there."""
    return Environment(lambda base, layer, reverse: MISSING, lambda name: setting_of(spec, name),
                       lambda name: MISSING, lambda name: MISSING, spec.recurrence.family)


def _reads_reverse_state(expr: Expr) -> bool:
    from .expressions import names_in

    return any(name in ("hx_reverse", "h0_reverse", "c0_reverse") for name in names_in(expr))


def signature_parameters(target: Any) -> Optional[list]:
    """`inspect.Parameter`s of a callable (self and *args/**kwargs left out), None if unreadable."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return script_parameters(target)
    return [p for p in signature.parameters.values()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]


def script_parameters(target: Any) -> Optional[list]:
    """The parameters of a TorchScript function (``torch.jit.script``), read from its schema, which
    is all it has instead of a Python signature; None for anything else."""
    schema = getattr(target, "schema", None)
    arguments = getattr(schema, "arguments", None)
    if arguments is None or not callable(target):
        return None
    return [inspect.Parameter(argument.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=argument.default_value if argument.has_default_value() else inspect.Parameter.empty)
            for argument in arguments]
