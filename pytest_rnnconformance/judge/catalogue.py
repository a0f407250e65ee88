"""The catalogue of known mistakes, each a transformation of the reference.

A `Mistake` reproduces what an implementation with one known bug returns, by running the
reference with that bug put in: its weights transformed (gates read in another order, a bias
missing or added twice, weights reshaped where they should be transposed), its inputs or results
transformed (the initial state ignored, h_n laid out batch-first, batch-first input turned
time-major by a reshape), one of its hooks replaced (``reference.forward``'s `cell`,
`direction_runner`): the time loop of ``reference/direction.py`` wrapped so that the state is not
carried, the output comes one step late, the reverse direction's h_n or outputs are read wrongly,
or a cell whose equations differ (the GRU's reset gate applied before the product, sigmoid where
tanh belongs). There is one forward pass, the reference's; a mistake only says what differs.

Ids are DESIGN.md's catalogue; each sentence tells the learner what to change.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from ..reference.cells import Cell, cell_for, project_with_both_biases, project_with_input_bias
from ..reference.direction import reverse_in_time, run_direction
from ..run.results import named
from .oracles import run_reference

GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
GATE_TITLES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
               "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
SIGMOID_GATES = {"lstm": ("i", "f", "o"), "gru": ("r", "z")}
#: Mistakes told without running the reference: by a dtype, or by what a crash says.
SENTENCES = {
    "default_dtype_buffer": ("`torch.zeros(...)` (or `torch.empty`, `torch.tensor`) allocates in the default dtype, "
                             "float32, whatever the input is: use `input.new_zeros(...)`, `torch.zeros_like(...)` or "
                             "`dtype=input.dtype, device=input.device`"),
}


@dataclass(frozen=True)
class Mistake:
    """One known bug: when it applies, what the reference computes with it, and what to tell."""

    id: str
    sentence: Callable
    run: Callable  # (float64 CPU inputs) -> named tensors
    applies: Callable = lambda spec, recipe: True
    low: Optional[torch.dtype] = None  # computes in this dtype and casts back (low_precision)
    native: bool = False  # run in the dtype the implementation was given (where an overflow happens depends on it)


def family(spec) -> str:
    return spec.recurrence.family


def _title(spec) -> str:
    return {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}.get(family(spec), spec.mode)


# --------------------------------------------------------------------------- transformations
def with_params(transform: Callable) -> Callable:
    """The reference on weights changed by ``transform(name, value, spec)``."""
    def run(inputs) -> dict:
        params = {name: transform(name.split("_l")[0], value, inputs.spec) for name, value in inputs.params.items()}
        return named(run_reference(inputs.replace_tensors(params=params)), inputs.spec)

    return run


def with_hooks(**hooks: Callable) -> Callable:
    """The reference with some of its hooks (``cell``, ``direction_runner``) replaced; each hook is
    given the spec first."""
    def run(inputs) -> dict:
        chosen = {name: make(inputs.spec) for name, make in hooks.items()}
        return named(run_reference(inputs, **chosen), inputs.spec)

    return run


def blocks(value: Tensor, spec) -> list:
    return list(value.chunk(spec.gate_count, dim=0))


def reorder(order: tuple) -> Callable:
    """Gates read in `order`: the candidate takes torch's block k as its gate order[k]."""
    def transform(kind: str, value: Tensor, spec) -> Tensor:
        if kind == "weight_hr":
            return value
        parts = blocks(value, spec)
        return torch.cat([parts[k] for k in order], dim=0)

    return transform


def scale(kind_scaled: str, factor: float) -> Callable:
    return lambda kind, value, spec: value * factor if kind == kind_scaled else value


def reshaped(kind: str, value: Tensor, spec) -> Tensor:
    """``W.reshape(in, out)`` used where ``W.T`` belongs."""
    if kind in ("weight_ih", "weight_hh"):
        return value.reshape(value.shape[1], value.shape[0]).T
    return value


# --------------------------------------------------------------------------- mistaken steps
def unstable_tanh(x: Tensor) -> Tensor:
    """tanh as (e^{2x} - 1) / (e^{2x} + 1): inf / inf = NaN once e^{2x} overflows."""
    grown = torch.exp(2 * x)
    return (grown - 1) / (grown + 1)


def unstable_sigmoid(x: Tensor) -> Tensor:
    """sigmoid as e^x / (1 + e^x): inf / inf = NaN once e^x overflows."""
    grown = torch.exp(x)
    return grown / (1 + grown)


ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "unstable_tanh": unstable_tanh,
               "unstable_sigmoid": unstable_sigmoid}


def _activation(name: str) -> Callable:
    return ACTIVATIONS[name]


def rnn_step_with(activation: str) -> Cell:
    """An Elman RNN step with another activation."""
    act = _activation(activation)

    def step(gi, state, weights):
        (h,) = state
        h = act(torch.addmm(gi, h, weights.weight_hh.T))
        return h, (h,)

    return Cell(project_with_both_biases, step)


def lstm_step_with(activations: tuple = ("sigmoid", "sigmoid", "tanh", "sigmoid"), projection: str = "h",
                   cell_activation: str = "tanh") -> Cell:
    """An LSTM step with other gate activations (`cell_activation` squashes c), or projecting the
    wrong thing (`projection` 'h', 'cell': tanh((o ⊙ c) W_hrᵀ), 'none': (o ⊙ tanh c) cut to proj_size)."""
    acts = [_activation(name) for name in activations]
    squash = _activation(cell_activation)

    def step(gi, state, weights):
        h, c = state
        i, f, g, o = (act(pre) for act, pre in zip(acts, torch.addmm(gi, h, weights.weight_hh.T).chunk(4, dim=-1)))
        c = f * c + i * g
        if weights.weight_hr is None:
            h = o * squash(c)
        elif projection == "cell":
            h = squash((o * c) @ weights.weight_hr.T)
        elif projection == "none":
            h = (o * squash(c))[..., : weights.weight_hr.shape[0]]
        else:
            h = (o * squash(c)) @ weights.weight_hr.T
        return h, (h, c)

    return Cell(project_with_both_biases, step, states=2)


def gru_step_with(activations: tuple = ("sigmoid", "sigmoid", "tanh"), reset_before: bool = False,
                  update_swapped: bool = False) -> Cell:
    """A GRU step with other gate activations, the reset gate applied before the product (Cho et
    al.), or the update gate's two terms swapped."""
    act_r, act_z, act_n = (_activation(name) for name in activations)

    def step(gi, state, weights):
        (h,) = state
        gi_r, gi_z, gi_n = gi.chunk(3, dim=-1)
        gh_r, gh_z, gh_n = F.linear(h, weights.weight_hh, weights.bias_hh).chunk(3, dim=-1)
        r, z = act_r(gi_r + gh_r), act_z(gi_z + gh_z)
        if reset_before:
            w_n = weights.weight_hh.chunk(3, dim=0)[2]
            b_n = weights.bias_hh.chunk(3)[2] if weights.bias_hh is not None else None
            n = act_n(gi_n + F.linear(r * h, w_n, b_n))
        else:
            n = act_n(gi_n + r * gh_n)
        h = z * n + (1 - z) * h if update_swapped else (1 - z) * n + z * h
        return h, (h,)

    return Cell(project_with_input_bias, step)


def direction_with(*, stuck: bool = False, late: bool = False, reverse_hn_last: bool = False,
                   reverse_unflipped: bool = False, padding_runs: bool = False) -> Callable:
    """The reference's time loop (``direction.run_direction``) with one of its mistakes."""
    def runner(x, state, weights, cell, *, reverse=False, lengths=None):
        initial = state
        if stuck:  # every step starts from h0 (and c0)
            step = cell.step
            cell = Cell(cell.project_input, lambda gi, _, w: step(gi, initial, w), cell.states)
        out, final = run_direction(x, state, weights, cell, reverse=reverse, lengths=None if padding_runs else lengths)
        if late:  # output[t] is the state before step t, in the direction's own order
            first = initial[0].unsqueeze(0)
            out = torch.cat([out[1:], first]) if reverse else torch.cat([first, out[:-1]])
        if reverse and reverse_unflipped:
            out = reverse_in_time(out, lengths)
        if reverse and reverse_hn_last:
            final = (out[-1],) + tuple(final[1:])
        return out, final

    return runner


# --------------------------------------------------------------------------- inputs and results
def states_zeroed(which: tuple) -> Callable:
    """The initial state (h0, c0, or both: `which` holds their positions) ignored: zeros."""
    def run(inputs) -> dict:
        hx = inputs.hx
        states = list(hx) if isinstance(hx, tuple) else [hx]
        states = [torch.zeros_like(s) if k in which else s for k, s in enumerate(states)]
        changed = tuple(states) if isinstance(hx, tuple) else states[0]
        return named(run_reference(inputs.replace_tensors(hx=changed)), inputs.spec)

    return run


def direction_major(inputs) -> dict:
    """h0 read and h_n written at index direction * layers + layer instead of layer * directions + direction."""
    spec = inputs.spec
    layers, directions = spec.num_layers, spec.num_directions
    to_layer_major = [d * layers + layer for layer in range(layers) for d in range(directions)]
    back = [to_layer_major.index(k) for k in range(layers * directions)]
    hx = inputs.hx
    if hx is not None:
        permute = (lambda t: t[to_layer_major])
        hx = tuple(permute(s) for s in hx) if isinstance(hx, tuple) else permute(hx)
    result = named(run_reference(inputs.replace_tensors(hx=hx)), spec)
    return {name: t[back] if name != "output" else t for name, t in result.items()}


def states_batch_first(inputs) -> dict:
    result = named(run_reference(inputs), inputs.spec)
    return {name: t.transpose(0, 1) if name != "output" else t for name, t in result.items()}


def output_seq_first(inputs) -> dict:
    """Under batch_first, the output returned time-major: its (T, B, H) numbers read as (B, T, H)."""
    result = named(run_reference(inputs), inputs.spec)
    output = result["output"]
    return {**result, "output": output.transpose(0, 1).reshape(output.shape)}


def reshaped_batch(inputs) -> dict:
    """Batch-first input made time-major by ``reshape`` instead of ``transpose`` (rows mix)."""
    spec = inputs.spec
    x = inputs.input
    mixed = x.reshape(x.shape[1], x.shape[0], x.shape[2])
    seq_first = inputs.replace_tensors(input=mixed, spec=spec.replace(batch_first=False))
    result = named(run_reference(seq_first), spec)
    output = result["output"]
    return {**result, "output": output.reshape(x.shape[0], x.shape[1], -1)}


def dropout_in_eval(inputs) -> dict:
    """Dropout between layers although not training (only p = 1 is deterministic enough to name)."""
    from dataclasses import replace

    return named(run_reference(inputs.replace_tensors(recipe=replace(inputs.recipe, train=True))), inputs.spec)


def computed_in(dtype: torch.dtype) -> Callable:
    def run(inputs) -> dict:
        low = inputs.to(dtype=dtype)
        return {n: t.to(torch.float64) for n, t in named(run_reference(low), inputs.spec).items()}

    return run


# --------------------------------------------------------------------------- the catalogue
def _gate_orders() -> list:
    mistakes = []
    for mode, names in GATE_NAMES.items():
        for candidate in itertools.permutations(names):
            if candidate == names:
                continue
            order = tuple(candidate.index(name) for name in names)
            read, packed = ", ".join(candidate), ", ".join(names)
            mistakes.append(Mistake(
                "gate_order",
                lambda spec, r=read, p=packed, m=mode.upper(): (
                    f"your {m} matches torch.nn with its gates ordered {r}: torch packs them {p} "
                    "(unpack the chunks of the gate pre-activations in that order)"),
                with_params(reorder(order)), lambda spec, recipe, m=mode: family(spec) == m))
    return mistakes


def _gate_substitutions() -> list:
    mistakes = []
    for mode, sigmoid_gates in SIGMOID_GATES.items():
        names = GATE_NAMES[mode]
        for wrong, right in itertools.permutations(sigmoid_gates, 2):
            order = tuple(names.index(wrong) if name == right else k for k, name in enumerate(names))
            mistakes.append(Mistake(
                "gate_substituted",
                lambda spec, w=wrong, r=right, m=mode.upper(): (
                    f"your {m} uses the {GATE_TITLES[w]} where the {GATE_TITLES[r]} belongs (the {r} gate is "
                    f"computed from the {w} gate's block of the weights): use the {r} chunk there"),
                with_params(reorder(order)), lambda spec, recipe, m=mode: family(spec) == m))
    return mistakes


def _activations() -> list:
    mistakes = []
    for mode, names in GATE_NAMES.items():
        default = tuple("tanh" if name in ("g", "n") else "sigmoid" for name in names)
        for k, name in enumerate(names):
            swapped = default[:k] + ("sigmoid" if default[k] == "tanh" else "tanh",) + default[k + 1:]
            cell = lstm_step_with(swapped) if mode == "lstm" else gru_step_with(swapped)
            mistakes.append(Mistake(
                "wrong_gate_activation",
                lambda spec, g=name, a=swapped[k], d=default[k], m=mode.upper(): (
                    f"your {m} applies {a} to the {GATE_TITLES[g]}: torch.nn applies {d} there"),
                with_hooks(cell=lambda spec, c=cell: c), lambda spec, recipe, m=mode: family(spec) == m))
    return mistakes


#: What is written with exp, and the activations (tanh, sigmoid) that writing gives.
UNSTABLE = {"tanh": ("unstable_tanh", "sigmoid"), "sigmoid": ("tanh", "unstable_sigmoid"),
            "tanh and sigmoid": ("unstable_tanh", "unstable_sigmoid")}


def _unstable_cell(spec, tanh: str, sigmoid: str) -> Cell:
    if family(spec) == "lstm":
        return lstm_step_with((sigmoid, sigmoid, tanh, sigmoid), cell_activation=tanh)
    if family(spec) == "gru":
        return gru_step_with((sigmoid, sigmoid, tanh))
    return rnn_step_with(tanh)


def _unstable_activations() -> list:
    """tanh as (e^{2x} - 1) / (e^{2x} + 1), sigmoid as e^x / (1 + e^x), or both: right until e^x
    overflows (float32 past 44, float16 past 5.5), NaN where torch.nn saturates. Run in the given
    dtype, so the name is given only where the stable formula removes exactly the difference."""
    return [Mistake("unstable_activation",
                    lambda spec, w=what: (f"unstable activation: use torch.tanh/torch.sigmoid (your {w}, written with "
                                          "exp, overflows where torch.nn saturates: inf / inf is NaN)"),
                    with_hooks(cell=lambda spec, t=tanh, s=sigmoid: _unstable_cell(spec, t, s)),
                    lambda spec, recipe, w=what: family(spec) in ("lstm", "gru") or (
                        family(spec) == "rnn" and spec.nonlinearity == "tanh" and w == "tanh"),
                    native=True)
            for what, (tanh, sigmoid) in UNSTABLE.items()]


def _has_bias(spec, recipe) -> bool:
    return spec.bias


def _bidirectional(spec, recipe) -> bool:
    return spec.bidirectional


def _lstm_projecting(spec, recipe) -> bool:
    return family(spec) == "lstm" and spec.proj_size > 0


def _sequence(spec, recipe) -> bool:
    return not spec.single_step


CATALOGUE: list = _gate_orders() + _gate_substitutions() + _activations() + _unstable_activations() + [
    Mistake("missing_bias_hh",
            lambda spec: "your result matches torch.nn without bias_hh: add b_hh to the recurrent product h W_hhᵀ",
            with_params(scale("bias_hh", 0.0)), _has_bias),
    Mistake("missing_bias_ih",
            lambda spec: "your result matches torch.nn without bias_ih: add b_ih to the input product x W_ihᵀ",
            with_params(scale("bias_ih", 0.0)), _has_bias),
    Mistake("bias_twice",
            lambda spec: "your result matches torch.nn with bias_hh added twice: each bias is added once per step",
            with_params(scale("bias_hh", 2.0)), _has_bias),
    Mistake("bias_twice",
            lambda spec: "your result matches torch.nn with bias_ih added twice: each bias is added once per step",
            with_params(scale("bias_ih", 2.0)), _has_bias),
    Mistake("weights_transposed",
            lambda spec: ("the weights are reshaped where they should be transposed: torch.nn computes x W_ihᵀ with "
                          "W_ih of shape (gates * hidden, input); use W.T, not W.reshape/view"),
            with_params(reshaped)),
    Mistake("wrong_nonlinearity",
            lambda spec: (f"your RNN uses {'tanh' if spec.nonlinearity == 'relu' else 'relu'} where the spec asks for "
                          f"nonlinearity='{spec.nonlinearity}'"),
            with_hooks(cell=lambda spec: cell_for("rnn", "tanh" if spec.nonlinearity == "relu" else "relu")),
            lambda spec, recipe: family(spec) == "rnn"),
    Mistake("gru_reset_before_matmul",
            lambda spec: ("your GRU applies the reset gate before the matrix product, W_hn (r ⊙ h) (Cho et al.); "
                          "torch.nn applies it after, r ⊙ (W_hn h + b_hn)"),
            with_hooks(cell=lambda spec: gru_step_with(reset_before=True)), lambda spec, recipe: family(spec) == "gru"),
    Mistake("gru_update_swapped",
            lambda spec: "your GRU computes h' = z ⊙ n + (1 - z) ⊙ h; torch.nn computes h' = (1 - z) ⊙ n + z ⊙ h",
            with_hooks(cell=lambda spec: gru_step_with(update_swapped=True)), lambda spec, recipe: family(spec) == "gru"),
    Mistake("proj_applied_to_c",
            lambda spec: ("the projection is applied to the cell state: torch.nn computes h = (o ⊙ tanh(c)) W_hrᵀ and "
                          "never projects c, so c_n keeps hidden_size"),
            with_hooks(cell=lambda spec: lstm_step_with(projection="cell")), _lstm_projecting),
    Mistake("proj_missing",
            lambda spec: ("weight_hr is not used: with proj_size > 0 torch.nn computes h = (o ⊙ tanh(c)) W_hrᵀ, of size "
                          "proj_size"),
            with_hooks(cell=lambda spec: lstm_step_with(projection="none")), _lstm_projecting),
    Mistake("state_not_carried",
            lambda spec: "every step starts from h0: carry each step's new state into the next step",
            with_hooks(direction_runner=lambda spec: direction_with(stuck=True)), _sequence),
    Mistake("time_shift",
            lambda spec: "the output is one step late: output[t] must be the state after step t, not before it",
            with_hooks(direction_runner=lambda spec: direction_with(late=True)),
            lambda spec, recipe: _sequence(spec, recipe) and recipe.lengths is None),
    Mistake("reverse_hn_last_step",
            lambda spec: ("the reverse direction's h_n is taken from the last time step; the reverse pass ends at step "
                          "0, so its h_n is output[0, :, H:] (output[:, 0, H:] with batch_first)"),
            with_hooks(direction_runner=lambda spec: direction_with(reverse_hn_last=True)), _bidirectional),
    Mistake("reverse_output_not_flipped",
            lambda spec: ("the reverse direction's outputs are left in reverse time order: flip them back so that "
                          "output[t] of both directions belongs to input step t"),
            with_hooks(direction_runner=lambda spec: direction_with(reverse_unflipped=True)), _bidirectional),
    Mistake("packed_padding_run",
            lambda spec: ("the padded steps of a packed batch run through the recurrence: each sequence must stop at "
                          "its own length (its h_n is its last real step) and a reverse pass must start there"),
            with_hooks(direction_runner=lambda spec: direction_with(padding_runs=True)),
            lambda spec, recipe: recipe.lengths is not None),
    Mistake("initial_state_ignored",
            lambda spec: "the initial state is ignored (every run starts from zeros): start from the h0 you are given",
            states_zeroed((0, 1)), lambda spec, recipe: not recipe.hx_none),
    Mistake("initial_state_ignored",
            lambda spec: "the initial hidden state h0 is ignored (it starts from zeros): start from the h0 you are given",
            states_zeroed((0,)), lambda spec, recipe: spec.num_states == 2 and not recipe.hx_none),
    Mistake("initial_state_ignored",
            lambda spec: "the initial cell state c0 is ignored (it starts from zeros): start from the c0 you are given",
            states_zeroed((1,)), lambda spec, recipe: spec.num_states == 2 and not recipe.hx_none),
    Mistake("state_layout_direction_major",
            lambda spec: ("h0 and h_n are indexed direction-major (direction * num_layers + layer): torch.nn stacks "
                          "them layer-major, index layer * num_directions + direction"),
            direction_major, lambda spec, recipe: spec.bidirectional and spec.num_layers > 1),
    Mistake("hn_batch_first",
            lambda spec: ("h_n is laid out batch-first: torch.nn's states are (layers * directions, batch, hidden) "
                          "even with batch_first=True"),
            states_batch_first, lambda spec, recipe: spec.batch_first and recipe.batch is not None and _sequence(spec, recipe)),
    Mistake("output_seq_first",
            lambda spec: ("the output is returned time-major, (time, batch, hidden), although batch_first=True asks "
                          "for (batch, time, hidden): transpose it back"),
            output_seq_first, lambda spec, recipe: spec.batch_first and recipe.batch is not None and _sequence(spec, recipe)),
    Mistake("batch_mixing",
            lambda spec: ("batch-first input is turned into time-major by reshape, which mixes batch rows: use "
                          "transpose(0, 1)"),
            reshaped_batch, lambda spec, recipe: spec.batch_first and recipe.batch is not None and recipe.lengths is None
            and _sequence(spec, recipe)),
    Mistake("dropout_in_eval",
            lambda spec: ("dropout is applied between layers although the network is not training: torch.nn drops "
                          "out only in training mode (train=True / module.train())"),
            dropout_in_eval, lambda spec, recipe: spec.dropout == 1 and spec.num_layers > 1 and not recipe.train),
] + [Mistake("low_precision",
             lambda spec, d=dtype: f"your result matches a computation in {str(d)[6:]}: compute in the dtype you were given",
             computed_in(dtype), low=dtype) for dtype in (torch.bfloat16, torch.float16, torch.float32)]


def sentence(mistake_id: str, spec) -> str:
    """What to tell the learner about the catalogue's mistake `mistake_id`: the one place it is worded
    (the shape explanations and the feedback look it up here)."""
    return next(m for m in CATALOGUE if m.id == mistake_id).sentence(spec)
