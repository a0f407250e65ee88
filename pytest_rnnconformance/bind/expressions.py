"""The binding language: what an implementation's own parameter gets, written in torch.nn's terms.

Every argument the suite passes is an *expression* over one check's tensors and settings. Known
parameter names (`vocabulary`) turn into the plain ones (``w_ih`` gets ``weight_ih``); a user's
``--rnn-bind`` may write any of them (`parse_map`)::

    x=input, h0=hx, Wx=weight_ih.T, Wh=weight_hh.T, b=bias_ih+bias_hh
    W_xf=weight_ih[f].T, W_f=cat(weight_hh[f],weight_ih[f]).T, W_hq=eye, b_q=zeros
    params=[weight_ih.T,weight_hh.T,bias_ih+bias_hh,eye,zeros], state=(h0,)

Names are torch.nn's (layer 0 unless ``_l1``..., the second direction with ``_reverse``): the input
``input``; the state ``hx`` (h0, or (h0, c0) for an LSTM), ``h0``, ``c0``; the weights
``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``, ``weight_hr``; torch.nn's settings
(``hidden_size``...); the collections ``params`` (the named-parameter dict), ``flat_weights`` and
``spec``; the constants ``eye`` and ``zeros`` (size hidden), ``None``, ``True`` and ``False``. ``X.T`` transposes,
``X[g]`` is one gate's block (LSTM ``i, f, g, o``, ``c`` for g; GRU ``r, z, n``), ``A+B`` adds,
``cat(A, B)`` joins along the last dimension, ``(a, b)`` and ``[a, b]`` build a tuple or a list.

What courses write (`Dict`, `Reshape`, `Permute`)::

    parameters={Wax: weight_ih, Waa: weight_hh, ba: (bias_ih+bias_hh).reshape(H,1), Wya: eye, by: zeros}
    x=input.permute(2,1,0), a0=hx.reshape(B,H).T, hprev=hx.reshape(H,1), xs=input.reshape(T,I,1)

``{key: expr, ...}`` builds a dict with the learner's own keys; ``'tanh'`` and ``1`` are passed as
they are (a mode string the code takes: ``cell_type='tanh'``); ``X.reshape(...)`` and
``X.permute(...)`` take integers and the size symbols ``H`` (hidden), ``I`` (input), ``B`` (batch)
and ``T`` (time). A shape expression *declares* what a configuration must look like: where it
cannot hold one (``B`` for an unbatched input, a permutation of three dimensions of a 2-D input,
a reshape that changes the number of elements) evaluating raises `DoesNotFit`, and the binding
calls that configuration unsupported, as declared.

``--rnn-returns`` reads results the same way round: each item is what the implementation returns,
written in torch.nn's names (`parse_returns`). ``output.permute(2,1,0),y_pred,caches`` says the
first item is torch.nn's output with its dimensions permuted (time last), then a prediction and a
cache, which are not judged (``_``, ``y_pred``, ``yt_pred``, ``cache``, ``caches``);
``h_1.T,yt_pred,cache`` a cell's state as columns; ``output_list,h_n.reshape(H,1)`` a list of
per-step outputs and a column state. `undo` turns a declared result back into torch.nn's tensor.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

GATE_LETTERS = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ("h",)}
GATE_ALIASES = {"c": "g"}  # the candidate cell, as many LSTM write-ups call it
STATE_NAMES = ("hx", "h0", "c0")
TENSOR_NAMES = ("input", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr") + STATE_NAMES
SETTINGS = ("hidden_size", "input_size", "num_layers", "batch_first", "bias", "proj_size", "bidirectional",
            "nonlinearity", "dropout", "train", "mode", "has_biases", "device", "dtype")
COLLECTIONS = ("params", "flat_weights", "spec")
CONSTANTS = ("eye", "zeros", "None", "True", "False")
LITERALS = {"None": None, "True": True, "False": False}
SIZE_SYMBOLS = {"H": "hidden_size", "I": "input_size", "B": "batch", "T": "time"}
SHAPE_METHODS = ("reshape", "permute")
_REFERENCE = re.compile(r"^(?P<base>input|hx|h0|c0|weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                        r"(?:_l(?P<layer>\d+))?(?P<reverse>_reverse)?$")


class DeclarationError(ValueError):
    """A ``--rnn-bind`` or ``--rnn-returns`` that cannot be read; the message says where."""


class DoesNotFit(Exception):
    """A declared shape expression cannot hold this configuration's tensor: as declared, the
    implementation does not take it (the message says which expression and which shape)."""


# --------------------------------------------------------------------------- the expressions
@dataclass(frozen=True)
class Name:
    """A tensor, setting, collection or constant, by torch.nn's name."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Transpose:
    arg: "Expr"

    def __str__(self) -> str:
        return f"{self.arg}.T"


@dataclass(frozen=True)
class GateBlock:
    arg: "Expr"
    gate: str

    def __str__(self) -> str:
        return f"{self.arg}[{self.gate}]"


@dataclass(frozen=True)
class Sum:
    terms: tuple

    def __str__(self) -> str:
        return "+".join(map(str, self.terms))


@dataclass(frozen=True)
class Cat:
    items: tuple

    def __str__(self) -> str:
        return f"cat({','.join(map(str, self.items))})"


@dataclass(frozen=True)
class Group:
    """A tuple (``(a, b)``, ``(a,)``) or a list (``[a, b]``) of expressions."""

    items: tuple
    is_list: bool = False

    def __str__(self) -> str:
        inner = ",".join(map(str, self.items))
        if self.is_list:
            return f"[{inner}]"
        return f"({inner}{',' if len(self.items) == 1 else ''})"


@dataclass(frozen=True)
class Dict:
    """``{key: expr, ...}``: a dict with the learner's own keys (the keys are not names)."""

    items: tuple  # ((key, Expr), ...)

    def __str__(self) -> str:
        return "{" + ",".join(f"{key}:{value}" for key, value in self.items) + "}"


@dataclass(frozen=True)
class Reshape:
    """``X.reshape(H,1)``: sizes are integers or size symbols (`SIZE_SYMBOLS`)."""

    arg: "Expr"
    sizes: tuple

    def __str__(self) -> str:
        return f"{_grouped(self.arg)}.reshape({','.join(map(str, self.sizes))})"


@dataclass(frozen=True)
class Permute:
    """``X.permute(2,1,0)``."""

    arg: "Expr"
    dims: tuple

    def __str__(self) -> str:
        return f"{_grouped(self.arg)}.permute({','.join(map(str, self.dims))})"


@dataclass(frozen=True)
class Literal:
    """A string or an integer passed as it is: a mode string (``cell_type='tanh'``), a count."""

    value: Union[str, int]

    def __str__(self) -> str:
        return repr(self.value)


def _grouped(expr: "Expr") -> str:
    return f"({expr})" if isinstance(expr, Sum) else str(expr)


Expr = Union[Name, Transpose, GateBlock, Sum, Cat, Group, Dict, Reshape, Permute, Literal]


def children(expr: Expr) -> tuple:
    """The sub-expressions of `expr` (none for a name or a literal)."""
    if isinstance(expr, (Transpose, GateBlock, Reshape, Permute)):
        return (expr.arg,)
    if isinstance(expr, Dict):
        return tuple(value for _, value in expr.items)
    if isinstance(expr, Sum):
        return expr.terms
    if isinstance(expr, (Cat, Group)):
        return expr.items
    return ()


def names_in(expr: Expr) -> set:
    """Every name an expression reads."""
    own = {expr.text} if isinstance(expr, Name) else set()
    return own.union(*(names_in(child) for child in children(expr)))


def gates_in(expr: Expr) -> set:
    """Every gate letter an expression's blocks name (``weight_ih[f]`` names ``f``)."""
    own = {expr.gate} if isinstance(expr, GateBlock) else set()
    return own.union(*(gates_in(child) for child in children(expr)))


# --------------------------------------------------------------------------- parsing
# a name is a path: `rnn.W_xh`, and `W_x.0` for an nn.ParameterList's first item
_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z_0-9]*(?:\.(?:[A-Za-z_][A-Za-z_0-9]*|\d+))*)|(?P<number>-?\d+)"
                    r"|(?P<text>'[^']*'|\"[^\"]*\")|(?P<op>\.(?:T|reshape|permute)\b|[=+,()\[\]{}:?]))")


def _tokens(text: str) -> list:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise DeclarationError(f"cannot read {text[position:]!r} (at character {position + 1} of {text!r})")
        name = match.group("name")
        if name is not None:
            methods = []  # 'weight_ih.T.permute' is a name, a transpose and a permutation
            while "." in name and name.rsplit(".", 1)[-1] in ("T",) + SHAPE_METHODS:
                name, method = name.rsplit(".", 1)
                methods.insert(0, "." + method)
            tokens += [name, *methods]
        else:
            tokens.append(match.group("number") or match.group("text") or match.group("op"))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.at = text, _tokens(text), 0

    def peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def take(self, expected: str = "") -> str:
        token = self.peek()
        if not token or (expected and token != expected):
            wanted = f"{expected!r}" if expected else "more"
            raise DeclarationError(f"expected {wanted} after {' '.join(self.tokens[:self.at]) or 'the start'!r} "
                                   f"in {self.text!r}")
        self.at += 1
        return token

    def expression(self) -> Expr:
        terms = [self.term()]
        while self.peek() == "+":
            self.take("+")
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else Sum(tuple(terms))

    def term(self) -> Expr:
        return self.postfix(self.atom())

    def postfix(self, expr: Expr, gates: bool = True) -> Expr:
        """`expr` followed by ``.T``, ``.reshape(...)``, ``.permute(...)`` and (with `gates`) ``[g]``."""
        while self.peek() in (".T", ".reshape", ".permute") or (gates and self.peek() == "["):
            token = self.take()
            if token == ".T":
                expr = Transpose(expr)
            elif token == ".reshape":
                expr = Reshape(expr, self.sizes(symbols=True))
            elif token == ".permute":
                expr = Permute(expr, self.sizes(symbols=False))
            else:
                gate = self.take()
                self.take("]")
                expr = GateBlock(expr, GATE_ALIASES.get(gate, gate))
        return expr

    def atom(self) -> Expr:
        token = self.take()
        if token == "(":
            items, trailing = self.items(")")
            return items[0] if len(items) == 1 and not trailing else Group(tuple(items))
        if token == "[":
            return Group(tuple(self.items("]")[0]), is_list=True)
        if token == "{":
            return self.dict()
        if token == "cat":
            self.take("(")
            return Cat(tuple(self.items(")")[0]))
        if token[:1] in "'\"":
            return Literal(token[1:-1])
        if re.fullmatch(r"-?\d+", token):
            return Literal(int(token))
        if not re.match(r"^[A-Za-z_]", token):
            raise DeclarationError(f"unexpected {token!r} in {self.text!r}")
        return Name(token)

    def dict(self) -> Dict:
        """After ``{``: ``key: expression`` pairs up to ``}``."""
        items, keys = [], set()
        while self.peek() != "}":
            key = self.take()
            if not re.match(r"^[A-Za-z_]", key):
                raise DeclarationError(f"expected a key in {{...}}, got {key!r} in {self.text!r}")
            if key in keys:
                raise DeclarationError(f"the key {key} is given twice in {self.text!r}")
            keys.add(key)
            self.take(":")
            items.append((key, self.expression()))
            if self.peek() != "}":
                self.take(",")
        self.take("}")
        return Dict(tuple(items))

    def sizes(self, symbols: bool) -> tuple:
        """``(2,1,0)`` or, with `symbols`, ``(H,1)``: integers and size symbols."""
        self.take("(")
        sizes = []
        while self.peek() != ")":
            token = self.take()
            if re.fullmatch(r"-?\d+", token):
                sizes.append(int(token))
            elif symbols and token in SIZE_SYMBOLS:
                sizes.append(token)
            else:
                allowed = "integers and H, I, B, T" if symbols else "integers"
                raise DeclarationError(f"unexpected {token!r} in {self.text!r}: sizes are {allowed}")
            if self.peek() != ")":
                self.take(",")
        self.take(")")
        if not sizes:
            raise DeclarationError(f"empty sizes in {self.text!r}")
        return tuple(sizes)

    def items(self, closing: str) -> tuple:
        """Comma-separated expressions up to `closing`; (items, whether a comma came last)."""
        items, trailing = [], False
        while self.peek() != closing:
            items.append(self.expression())
            trailing = self.peek() == ","
            if trailing:
                self.take(",")
            elif self.peek() != closing:
                raise DeclarationError(f"expected ',' or {closing!r} in {self.text!r}")
        self.take(closing)
        return items, trailing


def parse_expression(text: str) -> Expr:
    """One expression (the right side of ``name=...``); unknown names are checked by `check_names`."""
    parser = _Parser(text)
    expr = parser.expression()
    if parser.peek():
        raise DeclarationError(f"unexpected {parser.peek()!r} in {text!r}")
    return expr


#: What a printed line holds where nothing said what a parameter is: the user's to replace (never run).
PLACEHOLDER = "?"


def parse_map(text: str) -> dict:
    """``'x=input,Wx=weight_ih.T'`` -> ``{'x': Name('input'), 'Wx': Transpose(Name('weight_ih'))}``."""
    parser = _Parser(text)
    mapping: dict = {}
    while parser.peek():
        target = parser.take()
        if not re.match(r"^[A-Za-z_]", target):
            raise DeclarationError(f"expected a parameter name, got {target!r} in {text!r}")
        parser.take("=")
        if target in mapping:
            raise DeclarationError(f"{target} is declared twice in {text!r}")
        if parser.peek() == PLACEHOLDER:
            raise DeclarationError(f"{target}={PLACEHOLDER} is a placeholder the refusal could not fill: replace "
                                   f"{PLACEHOLDER} with what {target} holds (a weight such as weight_ih, a bias, input, "
                                   "hx or a size), or leave it out if nothing of torch.nn's goes there")
        mapping[target] = parser.expression()
        check_names(mapping[target], f"{target}=")
        if parser.peek():
            parser.take(",")
    if not mapping:
        raise DeclarationError("--rnn-bind is empty: write name=expression pairs, or auto")
    return mapping


def check_names(expr: Expr, where: str = "") -> None:
    for name in names_in(expr):
        if not (_REFERENCE.match(name) or name in SETTINGS or name in COLLECTIONS or name in CONSTANTS):
            raise DeclarationError(
                f"{where}{expr}: unknown name {name!r}; expressions use torch.nn's names (input, hx, h0, c0, "
                "weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, optionally _reverse or _l1), settings "
                "(hidden_size, ...), params, flat_weights, spec, eye, zeros, None, True, False")


def gate_index(mode_family: str, gate: str) -> int:
    letters = GATE_LETTERS.get(mode_family, ())
    if gate not in letters:
        raise DeclarationError(f"[{gate}] is not a gate of {mode_family}: its gates are {', '.join(letters)}")
    return letters.index(gate)


# --------------------------------------------------------------------------- evaluating
@dataclass(frozen=True)
class Environment:
    """What names mean for one call: `tensor(name, layer, reverse)`, settings, collections, constants.

    `tensor` returns `MISSING` for a tensor this configuration does not have (a bias with
    ``bias=False``, ``hx`` when it is omitted).
    """

    tensor: Callable[[str, int, bool], Any]
    setting: Callable[[str], Any]
    collection: Callable[[str], Any]
    constant: Callable[[str], Any]
    family: str  # the gate letters' mode: "lstm", "gru", "rnn"
    size: Callable[[str], Optional[int]] = lambda symbol: None  # H, I, B, T; None where there is none


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def evaluate(expr: Expr, env: Environment) -> Any:
    """The value of `expr` for one call; `MISSING` if a tensor it needs is absent."""
    if isinstance(expr, Name):
        match = _REFERENCE.match(expr.text)
        if match:
            return env.tensor(match.group("base"), int(match.group("layer") or 0), bool(match.group("reverse")))
        if expr.text in SETTINGS:
            return env.setting(expr.text)
        if expr.text in COLLECTIONS:
            return env.collection(expr.text)
        if expr.text in LITERALS:
            return LITERALS[expr.text]
        return env.constant(expr.text)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Dict):
        entries = {key: evaluate(value, env) for key, value in expr.items}
        return MISSING if any(value is MISSING for value in entries.values()) else entries
    if isinstance(expr, (Reshape, Permute)):
        value = evaluate(expr.arg, env)
        return MISSING if value is MISSING else _shaped(expr, value, env.size)
    if isinstance(expr, Group):
        values = [evaluate(item, env) for item in expr.items]
        if any(value is MISSING for value in values):
            return MISSING
        return values if expr.is_list else tuple(values)
    if isinstance(expr, (Transpose, GateBlock)):
        value = evaluate(expr.arg, env)
        if value is MISSING:
            return MISSING
        if isinstance(expr, Transpose):
            return value.transpose(-1, -2) if value.dim() >= 2 else value
        return _gate_block(expr, value, env)
    values = [evaluate(item, env) for item in (expr.terms if isinstance(expr, Sum) else expr.items)]
    if any(value is MISSING for value in values):
        return MISSING
    if isinstance(expr, Sum):
        total = values[0]
        for value in values[1:]:
            total = total + value
        return total
    import torch

    return torch.cat(values, dim=-1)


def _gate_block(expr: GateBlock, value: Any, env: Environment) -> Any:
    """One gate's rows of a stacked tensor; a tensor whose rows are not the gates stacked (``weight_ih.T[f]``
    holds the input's features there) raises, naming the expression, rather than cutting it anywhere."""
    gates = len(GATE_LETTERS.get(env.family, ("h",)))
    hidden = env.size("H")
    rows = value.shape[0] if value.dim() else 0
    if hidden is not None and rows != gates * hidden:
        raise ValueError(f"{expr}: {_grouped(expr.arg)} has shape {tuple(value.shape)} here, whose first dimension is "
                         f"not its {gates} gates of hidden size {hidden} stacked ({gates * hidden} rows)")
    return value.chunk(gates, dim=0)[gate_index(env.family, expr.gate)]


def size_symbols(spec: Any, recipe: Any) -> Callable[[str], Optional[int]]:
    """What ``H``, ``I``, ``B`` and ``T`` are for one check (``B`` is None for an unbatched input)."""
    values = {"H": spec.hidden_size, "I": spec.input_size, "B": recipe.batch, "T": recipe.time}
    return values.get


def _shaped(expr: Union[Reshape, Permute], value: Any, size: Callable[[str], Optional[int]]) -> Any:
    """`value` reshaped or permuted as `expr` declares; `DoesNotFit` where it cannot be."""
    shape = tuple(value.shape)
    if isinstance(expr, Permute):
        if sorted(expr.dims) != list(range(len(shape))):
            raise DoesNotFit(f"{expr}: {_grouped(expr.arg)} has shape {shape} here, which permute"
                             f"({','.join(map(str, expr.dims))}) does not fit")
        return value.permute(*expr.dims)
    return value.reshape(resolve_sizes(expr, shape, size))


def resolve_sizes(expr: Reshape, shape: tuple, size: Callable[[str], Optional[int]]) -> tuple:
    """The integer sizes (a ``-1`` worked out) of ``X.reshape(...)`` for a tensor of `shape`;
    `DoesNotFit` where a symbol has no value here (``B`` unbatched) or the number of elements differs."""
    sizes = []
    for item in expr.sizes:
        value = size(item) if isinstance(item, str) else item
        if value is None:
            raise DoesNotFit(f"{expr}: this configuration has no {SIZE_SYMBOLS[item]} ({item}): "
                             f"{'an unbatched input' if item == 'B' else 'not given'}")
        sizes.append(value)
    elements, known = math.prod(shape), math.prod(s for s in sizes if s != -1)
    free = sizes.count(-1)
    if free > 1 or (free == 0 and known != elements) or (free == 1 and (known == 0 or elements % known)):
        raise DoesNotFit(f"{expr}: {_grouped(expr.arg)} has shape {shape} here, which cannot be reshaped to "
                         f"({','.join(map(str, sizes))})")
    return tuple(elements // known if s == -1 else s for s in sizes)


def undo(declared: Expr, returned: Any, want: tuple, size: Callable[[str], Optional[int]]) -> Any:
    """torch.nn's tensor of shape `want` from `returned`, which `declared` (an expression of
    ``.T``, ``.reshape``, ``.permute`` over one result's name) says it is; `DoesNotFit` when the
    returned shape is not the declared one."""
    steps = []
    while isinstance(declared, (Transpose, Reshape, Permute)):
        steps.append(declared)
        declared = declared.arg
    steps.reverse()
    shapes, shape = [], tuple(want)
    for step in steps:  # the shape torch.nn's tensor has after each declared step
        shapes.append(shape)
        if isinstance(step, Transpose):
            shape = shape[:-2] + shape[-2:][::-1] if len(shape) >= 2 else shape
        elif isinstance(step, Permute):
            if sorted(step.dims) != list(range(len(shape))):
                raise DoesNotFit(f"{step}: torch.nn's {declared} has shape {tuple(want)} here, which "
                                 f"permute({','.join(map(str, step.dims))}) does not fit")
            shape = tuple(shape[d] for d in step.dims)
        else:
            shape = resolve_sizes(step, shape, size)
    if tuple(returned.shape) != shape:
        raise DoesNotFit(f"returned a tensor of shape {tuple(returned.shape)} where --rnn-returns declares "
                         f"{steps[-1] if steps else declared}, of shape {shape}")
    value = returned
    for step, before in zip(reversed(steps), reversed(shapes)):
        if isinstance(step, Transpose):
            value = value.transpose(-1, -2) if value.dim() >= 2 else value
        elif isinstance(step, Permute):
            value = value.permute(*sorted(range(len(step.dims)), key=step.dims.__getitem__))
        else:
            value = value.reshape(before)
    return value


# --------------------------------------------------------------------------- --rnn-returns
RESULT_NAMES = ("output", "output_cat", "output_list", "h_n", "c_n", "h_1", "c_1")
#: Results returned but not judged: ``_``, and what courses return beside torch.nn's (a prediction, a cache).
IGNORED_RESULTS = ("_", "y_pred", "yt_pred", "cache", "caches")


@dataclass(frozen=True)
class Returns:
    """The declared shape of a result: a name, or a tuple/list of them (nested). A leaf may be
    declared through ``.T``, ``.reshape(...)`` and ``.permute(...)`` (`declared`; `undo` reverses it)."""

    name: str = ""  # a leaf: one of RESULT_NAMES or IGNORED_RESULTS
    items: tuple = ()  # a group
    declared: Optional[Expr] = None  # a leaf written as an expression of its name: output.permute(2,1,0)

    @property
    def is_leaf(self) -> bool:
        return bool(self.name)

    @property
    def ignored(self) -> bool:
        return self.name in IGNORED_RESULTS

    def names(self) -> set:
        if self.is_leaf:
            return set() if self.ignored else {self.name}
        return set().union(*(item.names() for item in self.items)) if self.items else set()

    def __str__(self) -> str:
        if self.is_leaf:
            return str(self.declared) if self.declared is not None else self.name
        return "(" + ",".join(map(str, self.items)) + ("," if len(self.items) == 1 else "") + ")"


def parse_returns(text: str) -> Returns:
    """``'output,(h_n,c_n)'``; a single name is the whole result (``'h_n'``)."""
    parser = _Parser(text)
    items, trailing = [], False
    while parser.peek():
        items.append(_returns_item(parser))
        trailing = parser.peek() == ","
        if trailing:
            parser.take(",")
    if not items:
        raise DeclarationError("--rnn-returns is empty: e.g. 'output,h_n' or 'output,_'")
    return items[0] if len(items) == 1 and not trailing else Returns(items=tuple(items))


def _returns_item(parser: _Parser) -> Returns:
    token = parser.take()
    if token in ("(", "["):
        closing = ")" if token == "(" else "]"
        items = []
        while parser.peek() != closing:
            items.append(_returns_item(parser))
            if parser.peek() == ",":
                parser.take(",")
        parser.take(closing)
        return Returns(items=tuple(items))
    if token not in RESULT_NAMES + IGNORED_RESULTS:
        raise DeclarationError(f"--rnn-returns: unknown {token!r}; use {', '.join(RESULT_NAMES + IGNORED_RESULTS)} "
                               "and parentheses")
    declared = parser.postfix(Name(token), gates=False)
    if declared == Name(token):
        return Returns(name=token)
    if token in IGNORED_RESULTS + ("output_list", "output_cat"):
        why = "it is not judged" if token in IGNORED_RESULTS else "its steps are read as they come"
        raise DeclarationError(f"--rnn-returns: {declared}: {token} has no shape to declare ({why})")
    return Returns(name=token, declared=declared)
