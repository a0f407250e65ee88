"""`Design`: every choice one generated implementation is made of, and the hypothesis strategy drawing it.

The dimensions are the ways people write the same RNN: what is called (a function, numpy, a plain
class, an ``nn.Module``, a class's method, one cell), what each part is named, the layout, the state's
shape, how the weights are stored, how many biases, what comes back, what is refused, what happens on
the first call. A design is correct or carries one mistake (`mistakes.py`). Choices are listed
simplest first, so that hypothesis shrinks a finding towards the plainest implementation showing it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from hypothesis import strategies as st

from . import vocabulary as names
from .mistakes import mistakes_for

GATE_COUNT = {"rnn": 1, "lstm": 4, "gru": 3}
TORCH_GATES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


@dataclass(frozen=True)
class Design:
    """One implementation to write. `names` maps each part (``input``, ``h0``, ``c0``, ``state``,
    ``ih``/``hh`` (or per gate ``ih.i``...), ``bias_ih``/``bias_hh``/``bias``, ``input_size``,
    ``hidden_size``, ``entry``, ``method``) to the name the implementation gives it."""

    mode: str  # rnn | lstm | gru
    entry: str  # function | class | module | method | cell
    backend: str  # torch | numpy
    layout: str  # seq | batch | param (a batch_first argument, seq-first by default)
    layer_dim: bool  # the state carries torch.nn's layer dimension
    storage: str  # torch (out, in) | transposed (in, out) | per_gate | concat (on [h, x]) | list (one per gate)
    out_in: bool  # per_gate, concat, list: each matrix stored (out, in) as torch's are
    bias: str  # two | summed (one vector for both sides) | none
    lstm_state: str  # separate (h0, c0) | pair (one argument) | h_only (c0 is zero); "" for rnn/gru
    state_default: bool  # the state may be omitted (None means zeros)
    returns: str  # torch | cache | steps | output | h_n
    refusal: str  # none | batch_first | unbatched (NotImplementedError)
    side_effect: str  # none | rng (a global draw on a shape's first call) | lazy (a table built once) | sleep
    mistake: str  # "" or a catalogue id
    names: dict = field(default_factory=dict)
    gate_order: tuple = ()  # gate_order: the order the code unpacks torch's blocks in

    @property
    def gates(self) -> int:
        return GATE_COUNT[self.mode]

    def describe(self) -> str:
        """One line naming every choice, for a report and a file's docstring."""
        parts = [f"{self.mode} {self.entry} ({self.backend})", f"layout={self.layout}",
                 f"layer_dim={self.layer_dim}", f"storage={self.storage}{'' if self.out_in else ' (in,out)'}",
                 f"bias={self.bias}", f"returns={self.returns}", f"refusal={self.refusal}",
                 f"side_effect={self.side_effect}", f"state_default={self.state_default}"]
        if self.lstm_state:
            parts.append(f"lstm_state={self.lstm_state}")
        return ", ".join(parts) + f"; mistake={self.mistake or 'none'}"


def _weight_names(draw, mode: str, storage: str, out_in: bool, scheme: str) -> dict:
    """The names of the weights and biases under `storage` (per gate: `scheme`'s)."""
    found = {}
    if storage == "per_gate":
        for torch_gate, letter in zip(TORCH_GATES[mode], names.PER_GATE_SCHEMES[scheme][mode]):
            for part, name in names.per_gate_names(scheme, letter).items():
                found[f"{part}.{torch_gate}"] = name
        return found
    if storage == "concat":
        found["joint"] = draw(st.sampled_from(names.CONCAT_WEIGHTS))
    else:
        pool = {"torch": names.TORCH_WEIGHTS, "transposed": names.TRANSPOSED_WEIGHTS, "list": names.LIST_WEIGHTS}
        found["ih"], found["hh"] = draw(st.sampled_from(pool[storage]))
    found["bias"] = draw(st.sampled_from(names.SUMMED_BIASES))
    found["bias_ih"], found["bias_hh"] = draw(st.sampled_from(names.TWO_BIASES))
    return found


@st.composite
def designs(draw, modes: tuple = ("rnn", "lstm", "gru"), mistake: Optional[bool] = None) -> Design:
    """A design; `mistake` True or False forces a mistaken or a correct one."""
    mode = draw(st.sampled_from(modes))
    entry = draw(st.sampled_from(("function", "class", "module", "method", "cell")))
    backend = "torch" if entry == "module" else draw(st.sampled_from(("torch", "numpy")))
    sequence = entry != "cell"
    layout = draw(st.sampled_from(("seq", "batch", "param"))) if sequence else "seq"
    layer_dim = draw(st.booleans()) if sequence else False
    storages = ("torch", "transposed") + {"rnn": ("concat",), "lstm": ("per_gate", "concat", "list"),
                                          "gru": ("per_gate", "list")}[mode]
    storage = draw(st.sampled_from(storages))
    scheme = draw(st.sampled_from(tuple(names.PER_GATE_SCHEMES))) if storage == "per_gate" else ""
    if storage == "per_gate":
        out_in = names.PER_GATE_SCHEMES[scheme]["out_in"]
    else:
        out_in = {"torch": True, "transposed": False}.get(storage) if storage in ("torch", "transposed") \
            else draw(st.booleans())
    bias = draw(st.sampled_from(("two", "none") if mode == "gru" else ("two", "summed", "none")))
    lstm_states = ("separate", "pair", "h_only") if sequence else ("separate", "pair")
    lstm_state = draw(st.sampled_from(lstm_states)) if mode == "lstm" else ""
    state_default = draw(st.booleans()) if entry in ("function", "module", "method", "class") else False
    returns = draw(st.sampled_from(("torch", "cache", "steps", "output", "h_n"))) if sequence else "torch"
    refusals = ("none", "unbatched") + (("batch_first",) if layout == "param" else ())
    refusal = draw(st.sampled_from(refusals))
    side_effect = draw(st.sampled_from(("none", "rng", "lazy", "sleep")))
    chosen = {
        "input": draw(st.sampled_from(names.INPUTS)),
        "h0": draw(st.sampled_from(names.HIDDEN_STATES)),
        "c0": draw(st.sampled_from(names.CELL_STATES)),
        "state": draw(st.sampled_from(names.STATE_PAIRS)),
        "input_size": draw(st.sampled_from(names.INPUT_SIZES)),
        "hidden_size": draw(st.sampled_from(names.HIDDEN_SIZES)),
        "entry": draw(st.sampled_from((names.CELL_NAMES if entry == "cell" else
                                       names.FUNCTION_NAMES if entry == "function" else names.CLASS_NAMES)[mode])),
        "method": draw(st.sampled_from(names.METHOD_NAMES)) if entry == "method" else "forward",
        **_weight_names(draw, mode, storage, out_in, scheme),
    }
    design = Design(mode, entry, backend, layout, layer_dim, storage, out_in, bias, lstm_state, state_default,
                    returns, refusal, side_effect, "", chosen)
    possible = mistakes_for(design)
    wants_mistake = draw(st.booleans()) if mistake is None else mistake
    if wants_mistake and possible:
        chosen_mistake = draw(st.sampled_from(possible))
        order = draw(st.sampled_from(_wrong_orders(mode))) if chosen_mistake == "gate_order" else ()
        design = replace(design, mistake=chosen_mistake, gate_order=order)
    return design


def _wrong_orders(mode: str) -> list:
    """A few gate orders learners write by mistake (a swap of two blocks)."""
    gates = TORCH_GATES[mode]
    orders = []
    for a in range(len(gates)):
        for b in range(a + 1, len(gates)):
            order = list(range(len(gates)))
            order[a], order[b] = order[b], order[a]
            orders.append(tuple(order))
    return orders

