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
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Union

GATE_LETTERS = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ("h",)}
GATE_ALIASES = {"c": "g"}  # the candidate cell, as many LSTM write-ups call it
STATE_NAMES = ("hx", "h0", "c0")
TENSOR_NAMES = ("input", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr") + STATE_NAMES
SETTINGS = ("hidden_size", "input_size", "num_layers", "batch_first", "bias", "proj_size", "bidirectional",
            "nonlinearity", "dropout", "train", "mode", "has_biases")
COLLECTIONS = ("params", "flat_weights", "spec")
CONSTANTS = ("eye", "zeros", "None", "True", "False")
LITERALS = {"None": None, "True": True, "False": False}
_REFERENCE = re.compile(r"^(?P<base>input|hx|h0|c0|weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                        r"(?:_l(?P<layer>\d+))?(?P<reverse>_reverse)?$")


class DeclarationError(ValueError):
    """A ``--rnn-bind`` or ``--rnn-returns`` that cannot be read; the message says where."""


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


Expr = Union[Name, Transpose, GateBlock, Sum, Cat, Group]


def names_in(expr: Expr) -> set:
    """Every name an expression reads."""
    if isinstance(expr, Name):
        return {expr.text}
    if isinstance(expr, (Transpose, GateBlock)):
        return names_in(expr.arg)
    parts = expr.terms if isinstance(expr, Sum) else expr.items
    return set().union(*(names_in(part) for part in parts)) if parts else set()


# --------------------------------------------------------------------------- parsing
_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*)|(?P<op>\.T\b|[=+,()\[\]]))")


def _tokens(text: str) -> list:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise DeclarationError(f"cannot read {text[position:]!r} (at character {position + 1} of {text!r})")
        name = match.group("name")
        if name is not None and name.endswith(".T") and name != ".T":
            tokens += [name[:-2], ".T"]  # 'weight_ih.T' is a name and a transpose
        else:
            tokens.append(name if name is not None else match.group("op"))
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
        expr = self.atom()
        while self.peek() in (".T", "["):
            if self.take() == ".T":
                expr = Transpose(expr)
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
        if token == "cat":
            self.take("(")
            return Cat(tuple(self.items(")")[0]))
        if not re.match(r"^[A-Za-z_]", token):
            raise DeclarationError(f"unexpected {token!r} in {self.text!r}")
        return Name(token)

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
        gates = len(GATE_LETTERS.get(env.family, ("h",)))
        return value.chunk(gates, dim=0)[gate_index(env.family, expr.gate)]
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


# --------------------------------------------------------------------------- --rnn-returns
RESULT_NAMES = ("output", "output_cat", "h_n", "c_n", "h_1", "c_1", "_")


@dataclass(frozen=True)
class Returns:
    """The declared shape of a result: a name, or a tuple/list of them (nested)."""

    name: str = ""  # a leaf: one of RESULT_NAMES
    items: tuple = ()  # a group

    @property
    def is_leaf(self) -> bool:
        return bool(self.name)

    def names(self) -> set:
        if self.is_leaf:
            return {self.name} - {"_"}
        return set().union(*(item.names() for item in self.items)) if self.items else set()

    def __str__(self) -> str:
        if self.is_leaf:
            return self.name
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
    if token not in RESULT_NAMES:
        raise DeclarationError(f"--rnn-returns: unknown {token!r}; use {', '.join(RESULT_NAMES)} and parentheses")
    return Returns(name=token)
