"""Guessing what unknown parameter names mean: ``W_xi`` is the input weight of gate i.

Used two ways: for a module whose parameters have names of their own (mapped by structure without
asking, with each match shown in the header), and for a function's unknown parameters with
``--rnn-bind auto`` (without ``auto`` the guess is only printed, as a ready ``--rnn-bind`` line).

Names decide *what* a parameter is and never the gate order: ``W_xf`` is always the forget gate's
block, whatever order the implementation stacks or reads its gates in, so a gate-order bug stays a
bug. Only storage conventions are left open, to be settled by shapes or by the probe: whether
weights are stored (out, in) like torch.nn's or (in, out) for ``x @ W``, and, for weights applied to
the concatenation of h and x, which comes first.

The names understood, beyond the letters: ``W``/``U`` (input and hidden weight, as in ``W x + U h``),
``x2h``/``h2h``/``i2h`` (an ``nn.Linear`` per side), a gate spelled out where the name says ``gate``
(``forget_gate``, ``input_gate``, ``cell_gate``, ``output_gate``; ``reset``/``update``/``new`` for a
GRU), and an ``nn.Linear``'s ``weight``/``bias`` read through the name of the layer that owns it
(``x_i.weight`` is ``W_x_i``). A bias beside an input-side bias of the same gate is the hidden-side
one (``bx``, ``bh``); a bias alone, whatever side its name says (``b``, ``bias_hh``), can only be the
sum of both (``b = bias_ih + bias_hh``), as torch.nn adds them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

from .expressions import PLACEHOLDER, Cat, Expr, GateBlock, Name, Sum, Transpose

LETTERS = {"lstm": {"i": "i", "f": "f", "g": "g", "c": "g", "o": "o"},
           "gru": {"r": "r", "z": "z", "n": "n", "h": "n"},
           "rnn": {}}
#: Gates spelled out (where the name says "gate", or the word cannot mean anything else).
GATE_WORDS = {"lstm": {"input": "i", "in": "i", "forget": "f", "cell": "g", "candidate": "g", "cand": "g",
                       "output": "o", "out": "o"},
              "gru": {"reset": "r", "relevance": "r", "update": "z", "new": "n", "candidate": "n", "cand": "n"},
              "rnn": {}}
ALWAYS_GATE_WORDS = ("forget", "reset", "relevance", "update", "candidate")  # relevance: the sequence-models
#                                                                              course's name for the reset gate
#: Words that say a weight applies to x and h joined (``W_cat``, ``W_concat``, ``W_combined``).
JOINT_WORDS = ("cat", "concat", "joint", "combined")
OUTPUT_LAYER = ("hq", "hy", "q", "y", "out", "hout", "yh")  # an output layer a tutorial adds
KERAS = {"kernel": "input_weight", "recurrentkernel": "hidden_weight"}
#: Subscripts written the other way round, or with ``a`` for the hidden state (Coursera's
#: ``Wax``, ``Waa``, ``ba``, ``Wya``): read as the ``xh``/``hh`` names.
SUBSCRIPTS = {"ax": "xh", "xa": "xh", "hx": "xh", "aa": "hh", "a": "h", "ya": "hy", "ay": "hy"}


@dataclass(frozen=True)
class Guess:
    """What one parameter is: `kind` in input/hidden/joint weight, biases, output layer."""

    kind: str  # "input_weight", "hidden_weight", "joint_weight", "bias", "input_bias", "hidden_bias",
    #            "output_weight", "output_bias"
    gate: Optional[str] = None  # the gate's letter, None for every gate stacked
    spelled: bool = False  # the gate was spelled out (a layer per gate: its side is told by its shape)

    @property
    def is_weight(self) -> bool:
        return self.kind in ("input_weight", "hidden_weight", "joint_weight")

    def expression(self, transposed: bool, hidden_first: bool = True) -> Expr:
        """The expression for this guess under the storage conventions given."""
        def block(name: str) -> Expr:
            ref: Expr = Name(name)
            return GateBlock(ref, self.gate) if self.gate else ref

        def oriented(expr: Expr) -> Expr:
            return Transpose(expr) if transposed else expr

        if self.kind == "input_weight":
            return oriented(block("weight_ih"))
        if self.kind == "hidden_weight":
            return oriented(block("weight_hh"))
        if self.kind == "joint_weight":
            parts = (block("weight_hh"), block("weight_ih"))
            return oriented(Cat(parts if hidden_first else parts[::-1]))
        if self.kind == "bias":
            return Sum((block("bias_ih"), block("bias_hh")))
        if self.kind == "input_bias":
            return block("bias_ih")
        if self.kind == "hidden_bias":
            return block("bias_hh")
        return Name("eye" if self.kind == "output_weight" else "zeros")

    def in_order(self, order: tuple, transposed: bool, hidden_first: bool = True) -> Expr:
        """This guess of every gate stacked, with its gates stacked in `order` (a course's, not torch.nn's),
        written block by block: ``cat(weight_ih[i].T,weight_ih[f].T,weight_ih[o].T,weight_ih[g].T)``."""
        blocks = Cat(tuple(replace(self, gate=gate).expression(True, hidden_first) for gate in order))
        return Transpose(blocks) if self.is_weight and not transposed else blocks

    @property
    def stacked(self) -> bool:
        """Every gate in one tensor, in an order the name does not say."""
        return self.gate is None and not self.kind.startswith("output")

    def describe(self) -> str:
        """'input weight of gate f', 'one bias for both sides'..."""
        what = {"input_weight": "input weight", "hidden_weight": "hidden weight",
                "joint_weight": "weight on [h, x]", "bias": "one bias for both sides", "input_bias": "input-side bias",
                "hidden_bias": "hidden-side bias", "output_weight": "output layer (identity)",
                "output_bias": "output bias (zero)"}[self.kind]
        return what + (f" of gate {self.gate}" if self.gate else "")


@dataclass(frozen=True)
class StackingOrder:
    """An order other than torch.nn's in which a course stacks a recurrence's gates in one tensor, and
    the parameter names that are that course's own (its signature says which convention it follows,
    but never proves that the code follows it: the order is offered as a line to declare, never used
    by ``auto``)."""

    course: str
    family: str
    gates: tuple
    names: frozenset
    transposed: bool  # the course stores weights (in, out), used as x @ W


#: torch.nn stacks an LSTM's gates i, f, g, o; CS231n's assignment (``lstm_forward(x, h0, Wx, Wh, b)``,
#: ``Wx`` of shape (D, 4H)) stacks them i, f, o, g.
STACKING_ORDERS = (StackingOrder("CS231n", "lstm", ("i", "f", "o", "g"), frozenset({"Wx", "Wh", "b"}), True),)


def stacking_orders(family: str, names: list) -> tuple:
    """The stacking orders of `family` whose course's names are all among `names`."""
    return tuple(order for order in STACKING_ORDERS if order.family == family and order.names <= set(names))


def _parts(name: str) -> str:
    """'W_xi' -> 'wxi', 'weightHF' -> 'weighthf', 'W_x2h' -> 'wxh': lower case, separators dropped."""
    text = re.sub(r"[^a-z0-9]", "", name.lower())
    return re.sub(r"(?<=[a-z])2(?=[a-z])", "", text)


def layer_name(path: str) -> str:
    """The name to read for a module parameter: ``x_i.weight`` -> ``W_x_i``, ``rnn.W_xh`` -> ``W_xh``;
    a layer already named as a weight keeps its name (``W_ii.weight`` -> ``W_ii``, its bias ``b_ii``,
    as torch's LSTM docs name the per-gate blocks)."""
    pieces = path.split(".")
    if pieces[-1] == "0" and len(pieces) > 1:  # an nn.ParameterList's only (first) item: W_x.0 is W_x
        pieces = pieces[:-1]
    if pieces[-1] in ("weight", "bias") and len(pieces) > 1:
        layer = pieces[-2]
        if re.match(r"^[Ww]_?[a-z]{1,2}$", layer):
            return layer if pieces[-1] == "weight" else "b" + layer[1:]
        return ("W_" if pieces[-1] == "weight" else "b_") + layer
    return pieces[-1]


def guess(name: str, family: str, per_gate: bool) -> Optional[Guess]:
    """What `name` means in a `family` ('rnn', 'lstm', 'gru') network, or None if it does not say.

    `per_gate` tells whether the signature names gates elsewhere (then a GRU's ``W_xh`` is the
    candidate's block, as in d2l, not the whole input weight).
    """
    letters = LETTERS.get(family, {})
    text = _parts(name)
    if text in KERAS:  # Keras' names: kernel is x's side, recurrent_kernel h's (gates stacked, its order)
        return Guess(KERAS[text])
    text = re.sub(r"^weights?", "w", text)
    text = re.sub(r"^bias(es)?", "b", text)
    if text.startswith("u"):  # W x + U h: U is the hidden side
        text = "wh" + text[1:]
    if not text or text[0] not in "wb":
        return None
    head, rest = text[0], text[1:]
    rest = SUBSCRIPTS.get(rest, rest)
    if rest in OUTPUT_LAYER:
        return Guess("output_weight" if head == "w" else "output_bias")
    spelled = _spelled_gate(rest, name, family)
    if spelled is not None:
        side, gate = spelled
        kinds = {"w": {"": "joint_weight", "x": "input_weight", "i": "input_weight", "h": "hidden_weight"},
                 "b": {"": "bias", "x": "input_bias", "i": "input_bias", "h": "hidden_bias"}}
        return Guess(kinds[head][side], gate, spelled=side == "")
    if head == "w":
        return _weight(rest, letters, family, per_gate)
    if rest[:1] in ("w", "u") and (len(rest) == 1 or rest[1:] in letters):  # Cho's b_W, b_U: the bias of W x
        gate = letters[rest[1:]] if len(rest) > 1 else "n" if per_gate and family == "gru" else None  # and of U h
        return Guess("input_bias" if rest[0] == "w" else "hidden_bias", gate)
    return _bias(rest, letters, family, per_gate)


def _spelled_gate(rest: str, name: str, family: str) -> Optional[tuple]:
    """('x' / 'h' / '', gate letter) for a gate spelled out: 'forgetgate', 'xforget', 'hreset'..."""
    words = GATE_WORDS.get(family, {})
    gate_said = "gate" in rest
    core = rest.replace("gate", "")
    for side in ("", "x", "i", "h"):
        if not core.startswith(side):
            continue
        word = core[len(side):]
        if word in words and (gate_said or word in ALWAYS_GATE_WORDS) and len(word) > 1:
            return side, words[word]
    return None


def _gate(letter: str, letters: dict, family: str, per_gate: bool) -> tuple[bool, Optional[str]]:
    """(understood, gate): 'h' in a GRU names the candidate n only where gates are named."""
    if letter in letters and (letter != "h" or per_gate):
        return True, letters[letter]
    if letter == "h" and family in ("rnn", "gru"):
        return True, None
    return False, None


def _weight(rest: str, letters: dict, family: str, per_gate: bool) -> Optional[Guess]:
    if rest in JOINT_WORDS:  # W_cat, Wconcat: one weight on x and h joined
        return Guess("joint_weight")
    if per_gate and family == "gru" and rest in ("", "x", "h"):  # Cho's W, U beside Wz, Uz, Wr, Ur: the candidate
        return Guess("hidden_weight" if rest == "h" else "input_weight", "n")
    if per_gate and len(rest) == 1 and rest in letters:
        return Guess("joint_weight", letters[rest])
    if per_gate and len(rest) == 2 and rest[0] in "xih" and rest[1] in letters and rest[1] != "h":
        return Guess("input_weight" if rest[0] in "xi" else "hidden_weight", letters[rest[1]])
    if rest in ("", "x", "i", "ih", "xh", "in") and not (per_gate and family == "gru" and rest == "xh"):
        return Guess("input_weight")
    if rest in ("h", "hh", "rec") and not (per_gate and family == "gru" and rest == "hh"):
        return Guess("hidden_weight")
    if len(rest) == 2 and rest[0] in "xih":
        understood, gate = _gate(rest[1], letters, family, per_gate)
        if understood and gate is not None:
            return Guess("input_weight" if rest[0] in "xi" else "hidden_weight", gate)
    if len(rest) == 1:
        understood, gate = _gate(rest, letters, family, per_gate)
        if understood and gate is not None:
            return Guess("joint_weight", gate)
    return None


def _bias(rest: str, letters: dict, family: str, per_gate: bool) -> Optional[Guess]:
    if per_gate and family == "gru" and rest == "":  # b beside bz, br: the candidate's
        return Guess("bias", "n")
    if per_gate and len(rest) == 1 and rest in letters:
        return Guess("bias", letters[rest])
    if per_gate and len(rest) == 2 and rest[0] in "xih" and rest[1] in letters and rest[1] != "h":
        return Guess("input_bias" if rest[0] in "xi" else "hidden_bias", letters[rest[1]])
    if rest in ("", "h") and not (per_gate and family == "gru"):
        return Guess("bias")
    if rest in ("x", "i", "ih", "xh"):
        return Guess("input_bias")
    if rest in ("hh",):
        return Guess("hidden_bias")
    if len(rest) == 1:
        understood, gate = _gate(rest, letters, family, per_gate)
        if understood and gate is not None:
            return Guess("bias", gate)
    if len(rest) == 2 and rest[0] in "xih":
        understood, gate = _gate(rest[1], letters, family, per_gate)
        if understood and gate is not None:
            return Guess("input_bias" if rest[0] in "xi" else "hidden_bias", gate)
    return None


def names_gates(names: list, family: str) -> bool:
    """Whether several names carry gate letters (per-gate weights) in this family."""
    letters = set(LETTERS.get(family, {})) - {"h"}
    gated = [n for n in names if len(_parts(n)) >= 2 and _parts(n)[-1] in letters and _parts(n)[0] in "wbu"]
    return len(gated) >= 2 or sum(_spelled_gate(_parts(n)[1:], n, family) is not None for n in names) >= 2


def guess_all(names: list, family: str) -> dict:
    """Each name's `Guess` (or None), read together: a bias beside an input-side bias of the same
    gate is the hidden side's (``bx``, ``bh``), one beside a hidden-side bias the input side's (``b``,
    ``b_hh``), and a lone ``W`` with no hidden weight beside it is applied to [h, x]."""
    per_gate = names_gates(names, family)
    found = {name: guess(name, family, per_gate) for name in names}
    input_biases = {g.gate for g in found.values() if g is not None and g.kind == "input_bias"}
    hidden_biases = {g.gate for g in found.values() if g is not None and g.kind == "hidden_bias"}
    said_hidden = {g.gate for n, g in found.items() if g is not None and g.kind == "hidden_weight" and _parts(n)[:1] == "u"}
    for name, g in found.items():  # W_h beside U_h: U is the hidden side, so W is the input side (Cho's names)
        if g is not None and g.kind == "hidden_weight" and _parts(name)[:1] == "w" and g.gate in said_hidden:
            found[name] = replace(g, kind="input_weight")
    hidden_weights = [g for g in found.values() if g is not None and g.kind == "hidden_weight"]
    hidden_gates = {g.gate for g in hidden_weights}
    for name, g in found.items():
        if g is None:
            continue
        if g.kind == "joint_weight" and g.gate is not None and g.gate in hidden_gates:
            found[name] = replace(g, kind="input_weight")  # W_z beside U_z: W x + U h, gate by gate (Cho)
        elif g.kind == "bias" and g.gate in input_biases:
            found[name] = replace(g, kind="hidden_bias")
        elif g.kind == "bias" and g.gate in hidden_biases:  # b beside b_hh: the input side
            found[name] = replace(g, kind="input_bias")
        elif g.kind == "input_weight" and _parts(name) in ("w", "weight", "weights") and not hidden_weights:
            found[name] = replace(g, kind="joint_weight")
    sides = {(g.kind, g.gate) for g in found.values() if g is not None}
    for name, g in found.items():  # one bias vector alone can only be bias_ih + bias_hh (not in a GRU: b_hn is
        if family == "gru":        # inside r * (W_hn h + b_hn), so there the name is read as it says)
            break
        if g is not None and g.kind in ("input_bias", "hidden_bias") and (
                {"input_bias": "hidden_bias", "hidden_bias": "input_bias"}[g.kind], g.gate) not in sides:
            found[name] = replace(g, kind="bias")
    return found


def render_map(mapping: dict) -> str:
    """A ready ``--rnn-bind`` value: ``Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh``."""
    return ",".join(f"{name}={expr}" for name, expr in mapping.items())


@dataclass(frozen=True)
class Suggestion:
    """What a ready ``--rnn-bind`` line should say an unknown parameter holds, read from its role:
    `value` is an expression of the binding language, or None where the parameter cannot be bound
    (an object passed in, such as a cell), with `why`."""

    value: Optional[str]
    why: str


#: Words in a name that say what role it plays, checked in this order.
OBJECT_WORDS = ("cell", "layer", "model", "module", "net", "rnn", "lstm", "gru", "fn", "func", "activation")
SIZE_WORDS = ("size", "dim", "units", "features", "len")
STATE_WORDS = ("state", "prev", "init", "mem", "carry", "hid")
WEIGHT_WORDS = ("weight", "kernel", "gates")
MODE_WORDS = ("type", "mode", "kind", "activation", "nonlinearity")


def suggest(name: str, family: str) -> Suggestion:
    """The role of an unknown name, for a ready line (never used unless declared): a weight's guess
    (`guess`), else a size, the sequence, a state or an object passed in, by the words in it."""
    found = guess_all([name], family).get(name)
    words = _parts(name)
    if found is not None and (found.is_weight or found.kind.endswith("bias")):
        return Suggestion(str(found.expression(transposed=False)), found.describe())
    if words.endswith(MODE_WORDS):  # cell_type, mode, activation: a string of its own, never torch.nn's mode
        return Suggestion(None, f"a mode string of its own: declare its value as written, e.g. --rnn-bind "
                                f"\"{name}='tanh'\"")
    side = "hh" if re.search(r"hid|rec|^[wb]?hh?(?![a-z])|hgate", words) else "ih"
    if words.startswith("b") and "bias" not in words and any(word in words for word in WEIGHT_WORDS) or \
            words.startswith("bias"):  # an nn.Linear's bias read through its layer (b_input_weights)
        return Suggestion(f"bias_{side}", f"a bias, on the {'hidden' if side == 'hh' else 'input'} side by its name")
    if any(word in words for word in WEIGHT_WORDS):  # hidden_weights is a weight, not the hidden state
        return Suggestion(f"weight_{side}", f"a weight, on the {'hidden' if side == 'hh' else 'input'} side by its name")
    if any(word in words for word in OBJECT_WORDS) and not any(word in words for word in SIZE_WORDS + STATE_WORDS):
        return Suggestion(None, "an object passed in (a cell or a layer?): it cannot be bound; check a function "
                                "that takes tensors, or the cell itself")
    sized = any(word in words for word in SIZE_WORDS) or re.match(r"^(n|num|nb)[a-z]", words) is not None         or len(words) == 1 and words in "ihlo"
    if sized:
        if "layer" in words or words.startswith("nl") or words == "l":
            return Suggestion("num_layers", "a size: the number of layers")
        if re.search(r"out|^o$|^y", words):
            return Suggestion("hidden_size", "a size: the output's features (hidden_size where the output layer is "
                                             "the identity)")
        if re.search(r"h|hid|hidden|state|units", words) and not re.search(r"in|inp|x", words):
            return Suggestion("hidden_size", "a size: the hidden size")
        return Suggestion("input_size", "a size: the input features")
    if words.startswith(("c", "m")) and len(words) <= 6 and family == "lstm":
        return Suggestion("c0", "the cell state")
    if words.startswith(("h", "a", "s")) or any(word in words for word in STATE_WORDS):
        return Suggestion("h0" if family == "lstm" else "hx", "the initial state")
    if words.startswith(("x", "in", "seq", "data", "emb", "tok")):
        return Suggestion("input", "the input sequence")
    return Suggestion(PLACEHOLDER, f"unknown: replace {PLACEHOLDER} with what it holds")


def suggest_held(held: dict, unmatched: list, family: str) -> dict:
    """What a ready line should say each of `unmatched` holds, for an object's own tensors (`held`: path
    -> shape), the names read together as `guess_all` reads them (``bi`` beside ``bf``, ``bc``, ``bo`` is
    gate i's bias; alone it would read as the input side's): a vector is a bias whatever its name, and a
    bias kept as a column, ``(H, 1)``, is declared reshaped to one. Values are the binding language's
    text; a name that cannot be bound is left out (its reason is the caller's to say)."""
    names = {path: layer_name(path) for path in held}
    together = guess_all(list(names.values()), family)
    found = {}
    for path in unmatched:
        guessed = together.get(names[path])
        if guessed is not None and (guessed.is_weight or guessed.kind.endswith("bias")):
            value: Optional[str] = str(guessed.expression(transposed=False))
        else:
            value = suggest(names[path], family).value
        shape = tuple(held[path])
        if len(shape) == 1 and (value is None or not value.startswith("bias")):
            value = "bias_ih+bias_hh"  # a vector: a bias, whatever its name says
        if value is not None and len(shape) == 2 and shape[1] == 1 and value.startswith(("bias", "zeros")):
            value = f"({value}).reshape(-1,1)" if "+" in value else f"{value}.reshape(-1,1)"
        if value is not None:
            found[path] = value
    return found


def lone_bias_line(line: dict, family: str) -> dict:
    """One bias vector among an object's tensors, whatever side its name says, can only match torch.nn
    as ``bias_ih + bias_hh`` (not in a GRU, whose ``b_hn`` sits inside ``r * (W_hn h + b_hn)``)."""
    biases = [path for path, value in line.items() if "bias" in str(value)]
    if family == "gru" or len(biases) != 1 or str(line[biases[0]]) not in ("bias_ih", "bias_hh"):
        return line
    return {**line, biases[0]: "bias_ih+bias_hh"}


def ready_line(mapping: dict, suggestions: dict) -> str:
    """A parseable ``--rnn-bind`` value: the declared or guessed items, then each suggestion that
    has a value (those that have none are said in words, not written into the line)."""
    items = {**{k: str(v) for k, v in mapping.items()},
             **{name: s.value for name, s in suggestions.items() if s.value is not None}}
    return ",".join(f"{name}={value}" for name, value in items.items())