"""Check examples/as_written and examples/as_written/wrong against torch.nn, independently of the plugin.

Not an example: ``python examples/_verify_as_written.py`` from the repository root (it sits here, not
in as_written/, whose every file is an idiom). Exit status: the number of claims that do not hold.

Each idiom is called directly, with the binding the README's "Your code as you wrote it" declares for
it (``BINDS``: ``Wx=weight_ih.T`` is called with torch.nn's weight_ih transposed), on torch.nn's
weights and random inputs and states in float64. Then:

- the file as written equals torch.nn.RNN/LSTM/GRU (or the cell) with the same weights, except where
  the idiom itself is the finding (the float32 buffer's dtype; the nn.GRU wrapper's delegation), which
  is proven too;
- its ``wrong/`` variant differs from torch.nn, and equals torch.nn made to commit the mistake its
  diagnosis names (``MISTAKES``): for gate_order, torch.nn with its gate blocks permuted; for
  gru_update_swapped, with the z gate negated (1 - z); for
  wrong_nonlinearity, relu's RNN; for gate_substituted, the cell with its f rows replaced by o's; for
  state_not_carried, torch.nn run one step at a time from h0; for initial_state_ignored, hx omitted.
  Where no weight change makes torch.nn commit it (a sigmoid candidate, the reset gate before the
  product), the mistaken step is written out below, and the variant must equal it and differ from
  torch.nn.

tests/test_verifiers.py runs this and checks that tests/test_as_written.py expects the same row and
diagnosis (``MISTAKES``) and runs the same binding (``BINDS``).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ground_truth import (BATCH, HIDDEN, INPUT, TIME, Verdicts, draw, gates, load, nn_cell, nn_run, regated,
                           scaled_gate, tensor, weights)  # noqa: E402

HERE = Path(__file__).parent / "as_written"


@dataclass(frozen=True)
class Idiom:
    """How one idiom is called, what torch.nn computes for it, and its wrong variant's mistake."""
    mode: str
    call: Callable  # (module of the file, weights, x, h0, c0) -> {result name: value}
    batch_first: bool = False
    unbatched: bool = False
    cell: bool = False


@dataclass(frozen=True)
class Mistake:
    """The wrong variant's mistake: the row the plugin must fail, the id it must name, and torch.nn
    made to commit it (weights, x, h0, c0) -> the variant's result."""
    owner: str
    named: str
    model: Callable


# ------------------------------------------------------------------ the idioms, called as declared
def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def numpy_homework(module, w, x, h0, c0):  # Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh; output,_
    h, _cache = module.rnn_forward(_np(x), _np(h0), _np(w["weight_ih"].T), _np(w["weight_hh"].T),
                                   _np(w["bias_ih"] + w["bias_hh"]))
    return {"output": h}


def numpy_class(module, w, x, h0, c0):
    gru = module.NumpyGRU(_np(w["weight_ih"]), _np(w["weight_hh"]), _np(w["bias_ih"]), _np(w["bias_hh"]))
    output, h_n = gru.forward(_np(x), _np(h0))
    return {"output": output, "h_n": h_n}


def params_list(module, w, x, h0, c0):  # state=(hx,),params=[weight_ih.T,weight_hh.T,bias_ih+bias_hh,eye,zeros]
    params = [w["weight_ih"].T, w["weight_hh"].T, w["bias_ih"] + w["bias_hh"],
              torch.eye(HIDDEN, dtype=torch.float64), torch.zeros(HIDDEN, dtype=torch.float64)]
    output_cat, (h_n,) = module.rnn(x, (h0,), params)
    return {"output": output_cat.reshape(x.shape[0], x.shape[1], HIDDEN), "h_n": h_n}  # output_cat: (T * B, H)


LSTM_GATES = {"i": 0, "f": 1, "c": 2, "o": 3}  # the learner's gate letters: c is torch.nn's g


def per_gate(module, w, x, h0, c0):  # auto: W_xi=weight_ih[i].T, W_hi=weight_hh[i].T, b_i=bias_ih[i]+bias_hh[i]
    named = {}
    for letter, k in LSTM_GATES.items():
        named[f"W_x{letter}"] = gates(w, "lstm", "weight_ih")[k].T
        named[f"W_h{letter}"] = gates(w, "lstm", "weight_hh")[k].T
        named[f"b_{letter}"] = gates(w, "lstm", "bias_ih")[k] + gates(w, "lstm", "bias_hh")[k]
    output, (h_n, c_n) = module.lstm_forward(x, h0, c0, **named)
    return {"output": output, "h_n": h_n, "c_n": c_n}


def per_gate_concat(module, w, x, h0, c0):  # auto: W_f=cat(weight_hh[f],weight_ih[f]), b_f=bias_ih[f]+bias_hh[f]
    named = {}
    for letter, k in LSTM_GATES.items():
        named[f"W_{letter}"] = _np(torch.cat([gates(w, "lstm", "weight_hh")[k], gates(w, "lstm", "weight_ih")[k]], 1))
        named[f"b_{letter}"] = _np(gates(w, "lstm", "bias_ih")[k] + gates(w, "lstm", "bias_hh")[k])
    h, c = module.lstm_step(_np(x), _np(h0), _np(c0), **named)
    return {"h": h, "c": c}


def own_names_module(module, w, x, h0, c0):  # read: W_x=weight_ih.T, W_h=weight_hh.T, b=bias_ih+bias_hh
    lstm = module.MyLSTM(INPUT, HIDDEN).double()
    with torch.no_grad():
        lstm.W_x.copy_(w["weight_ih"].T)
        lstm.W_h.copy_(w["weight_hh"].T)
        lstm.b.copy_(w["bias_ih"] + w["bias_hh"])
    output, (h_n, c_n) = lstm(x, (h0, c0))
    return {"output": output, "h_n": h_n, "c_n": c_n}


def wraps_nn(module, w, x, h0, c0):  # torch.nn's names under gru.
    encoder = module.GRUEncoder(INPUT, HIDDEN).double()
    with torch.no_grad():
        for name, value in w.items():
            getattr(encoder.gru, name + "_l0").copy_(value)
        output, h_n = encoder(x, h0.unsqueeze(0))
    return {"output": output, "h_n": h_n.squeeze(0)}


def constructor_sizes(module, w, x, h0, c0):  # read: i2h.weight=weight_ih, i2h.bias=bias_ih, h2h.*=*_hh
    rnn = module.SimpleRNN(INPUT, HIDDEN).double()
    with torch.no_grad():
        for layer, side in ((rnn.i2h, "ih"), (rnn.h2h, "hh")):
            layer.weight.copy_(w[f"weight_{side}"])
            if layer.bias is not None:
                layer.bias.copy_(w[f"bias_{side}"])
    output, h_n = rnn(x, h0)
    return {"output": output, "h_n": h_n}


def single_cell(module, w, x, h0, c0):
    h, c = module.lstm_cell(x, (h0, c0), w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
    return {"h": h, "c": c}


def float32_buffer(module, w, x, h0, c0):  # by keyword: the wrong variant takes h_prev last, optional
    output, h_n = module.rnn_forward(x=x, h_prev=h0, w_ih=w["weight_ih"], w_hh=w["weight_hh"], b_ih=w["bias_ih"],
                                     b_hh=w["bias_hh"])
    return {"output": output, "h_n": h_n}


def batch_first_only(module, w, x, h0, c0):
    output, h_n = module.gru_forward(x, h0, w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
    return {"output": output, "h_n": h_n}


def class_method(module, w, x, h0, c0):  # auto: Wxh=weight_ih, Whh=weight_hh, bh=bias_ih+bias_hh
    rnn = module.CharRNN(_np(w["weight_ih"]), _np(w["weight_hh"]), _np(w["bias_ih"] + w["bias_hh"]))
    output, h_n = rnn.run(_np(x), _np(h0))
    return {"output": output, "h_n": h_n}


IDIOMS = {
    "numpy_homework": Idiom("rnn", numpy_homework, batch_first=True),
    "numpy_class": Idiom("gru", numpy_class),
    "params_list": Idiom("rnn", params_list),
    "per_gate": Idiom("lstm", per_gate),
    "per_gate_concat": Idiom("lstm", per_gate_concat, cell=True),
    "own_names_module": Idiom("lstm", own_names_module),
    "wraps_nn": Idiom("gru", wraps_nn, batch_first=True),
    "constructor_sizes": Idiom("rnn", constructor_sizes, batch_first=True),
    "single_cell": Idiom("lstm", single_cell, cell=True),
    "float32_buffer": Idiom("rnn", float32_buffer, batch_first=True),
    "batch_first_only": Idiom("gru", batch_first_only, batch_first=True),
    "class_method": Idiom("rnn", class_method, unbatched=True),
}
#: the --rnn-bind each idiom is run with (README, tests/test_as_written.py); None: read from the names
BINDS = {
    "numpy_homework": "Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh",
    "params_list": "state=(hx,),params=[weight_ih.T,weight_hh.T,bias_ih+bias_hh,eye,zeros]",
    "per_gate": "auto", "per_gate_concat": "auto", "class_method": "auto",
}


# ------------------------------------------------------------------ the mistakes, committed by torch.nn
def reference(idiom: Idiom, w, x, h0, c0, **kw) -> dict:
    if idiom.cell:
        return nn_cell(idiom.mode, w, x, h0, c0)
    return nn_run(idiom.mode, w, x, h0, c0, batch_first=idiom.batch_first, **kw)


def one_step_at_a_time(idiom: Idiom, w, x, h0, c0) -> dict:
    """state_not_carried: every step a one-step run of torch.nn from h0."""
    time = 1 if idiom.batch_first else 0
    steps = [reference(idiom, w, x.narrow(time, t, 1), h0, c0) for t in range(x.shape[time])]
    return dict(steps[-1], output=torch.cat([step["output"] for step in steps], time))


def sigmoid_candidate(idiom: Idiom, w, x, h0, c0) -> dict:
    """wrong_gate_activation, written out: torch.nn's LSTM step with sigmoid where tanh makes g."""
    h, c, outputs = h0, c0, []
    for x_t in x:
        i, f, g, o = (x_t @ w["weight_ih"].T + w["bias_ih"] + h @ w["weight_hh"].T + w["bias_hh"]).chunk(4, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.sigmoid(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return {"output": torch.stack(outputs), "h_n": h, "c_n": c}


def reset_before_product(idiom: Idiom, w, x, h0, c0) -> dict:
    """gru_reset_before_matmul, written out: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)."""
    (w_ir, w_iz, w_in), (w_hr, w_hz, w_hn) = gates(w, "gru", "weight_ih"), gates(w, "gru", "weight_hh")
    (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = gates(w, "gru", "bias_ih"), gates(w, "gru", "bias_hh")
    h, outputs = h0, []
    for t in range(x.shape[1]):  # batch-first
        r = torch.sigmoid(x[:, t] @ w_ir.T + b_ir + h @ w_hr.T + b_hr)
        z = torch.sigmoid(x[:, t] @ w_iz.T + b_iz + h @ w_hz.T + b_hz)
        n = torch.tanh(x[:, t] @ w_in.T + b_in + (r * h) @ w_hn.T + b_hn)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return {"output": torch.stack(outputs, 1), "h_n": h}


def zeros_in_float32(idiom: Idiom, w, x, h0, c0) -> dict:
    """default_dtype_buffer with hx omitted: torch.nn from zeros, for float32 input (float64 input
    cannot meet a float32 state: checked apart, in verify)."""
    w32 = {name: value.float() for name, value in w.items()}
    return nn_run(idiom.mode, w32, x.float(), None, batch_first=idiom.batch_first)


MISTAKES = {
    "numpy_homework": Mistake("forward", "state_not_carried", one_step_at_a_time),
    "numpy_class": Mistake("forward", "gru_update_swapped",
                           lambda i, w, x, h0, c0: reference(i, scaled_gate(w, "gru", 1, -1.0), x, h0, c0)),
    "params_list": Mistake("forward", "wrong_nonlinearity",
                           lambda i, w, x, h0, c0: reference(i, w, x, h0, c0, nonlinearity="relu")),
    "per_gate": Mistake("forward", "wrong_gate_activation", sigmoid_candidate),
    "per_gate_concat": Mistake("forward", "gate_substituted",
                               lambda i, w, x, h0, c0: reference(i, regated(w, "lstm", (0, 3, 2, 3)), x, h0, c0)),
    "own_names_module": Mistake("forward", "gate_order",
                                lambda i, w, x, h0, c0: reference(i, regated(w, "lstm", (0, 1, 3, 2)), x, h0, c0)),
    "wraps_nn": Mistake("forward", "initial_state_ignored", lambda i, w, x, h0, c0: reference(i, w, x, None, None)),
    "constructor_sizes": Mistake("forward", "wrong_nonlinearity",
                                 lambda i, w, x, h0, c0: reference(i, w, x, h0, c0, nonlinearity="relu")),
    "single_cell": Mistake("forward", "gate_order",
                           lambda i, w, x, h0, c0: reference(i, regated(w, "lstm", (0, 1, 3, 2)), x, h0, c0)),
    "float32_buffer": Mistake("default_state", "default_dtype_buffer", zeros_in_float32),
    "batch_first_only": Mistake("forward", "gru_reset_before_matmul", reset_before_product),
    "class_method": Mistake("forward", "wrong_nonlinearity",
                            lambda i, w, x, h0, c0: reference(i, w, x, h0, c0, nonlinearity="relu")),
}


# ------------------------------------------------------------------ checking
def inputs(idiom: Idiom, seed: int):
    """x, h0, c0 for the idiom's layout: (batch, time, input) or (time, batch, input), one step for a
    cell, one sequence (time, input) when unbatched."""
    if idiom.cell:
        x = draw(BATCH, INPUT, seed=seed)
    elif idiom.unbatched:
        x = draw(TIME, INPUT, seed=seed)
    else:
        x = draw(*((BATCH, TIME) if idiom.batch_first else (TIME, BATCH)), INPUT, seed=seed)
    state = (HIDDEN,) if idiom.unbatched else (BATCH, HIDDEN)
    return x, draw(*state, seed=seed + 1), draw(*state, seed=seed + 2)


def verify(name: str, idiom: Idiom, mistake: Mistake, verdicts: Verdicts, seed: int) -> None:
    right, wrong = load(HERE / f"{name}.py"), load(HERE / "wrong" / f"{name}.py")
    w = weights(idiom.mode, seed)
    x, h0, c0 = inputs(idiom, seed)
    want = reference(idiom, w, x, h0, c0)
    got = idiom.call(right, w, x, h0, c0)
    if name == "float32_buffer":  # the idiom's own finding: a float32 output, right at float32's precision
        verdicts.claim(name, tensor(got["output"]).dtype == torch.float32 and got["h_n"].dtype == torch.float64,
                       "as written: output float32 for float64 input, h_n float64 (dtype's finding, alone)")
        verdicts.matches(name, got, want, "as written = torch.nn at float32's precision", tol=1e-6)
    else:
        verdicts.matches(name, got, want, f"as written = torch.nn.{idiom.mode.upper()}{'Cell' if idiom.cell else ''}")
    if name == "wraps_nn":  # the idiom's own finding: torch's GRU does the work (no_delegation)
        verdicts.claim(name, isinstance(right.GRUEncoder(INPUT, HIDDEN).gru, torch.nn.GRU),
                       "as written: delegates to torch.nn.GRU (no_delegation's finding)")
    if name == "batch_first_only":
        verdicts.refuses(name, lambda: right.gru_forward(x.transpose(0, 1), h0, *w.values(), batch_first=False),
                         "as written, seq-first: a refusal (layout unsupported)", words="batch_first=True")
    if name == "single_cell":  # a cell takes one unbatched step too
        xu, hu, cu = x[0], h0[0], c0[0]
        verdicts.matches(name, idiom.call(right, w, xu, hu, cu), nn_cell("lstm", w, xu, hu, cu),
                         "as written, unbatched = torch.nn.LSTMCell")

    if name == "float32_buffer":  # hx given, the wrong variant is right; omitted, it cannot run float64
        verdicts.matches(f"wrong/{name}", idiom.call(wrong, w, x, h0, c0), want, "wrong, h given = torch.nn")
        verdicts.refuses(f"wrong/{name}", lambda: wrong.rnn_forward(x, *w.values()),
                         "wrong, hx omitted, float64 input: the float32 zeros meet it", raised=RuntimeError)
        w32, x32 = {k: v.float() for k, v in w.items()}, x.float()
        got = {k: tensor(v).double() for k, v in
               zip(("output", "h_n"), wrong.rnn_forward(x32, *w32.values()))}
        verdicts.matches(f"wrong/{name}", got, mistake.model(idiom, w, x, h0, c0),
                         f"wrong, hx omitted, float32 input = torch.nn from zeros ({mistake.named})", tol=1e-6)
        return
    bad = idiom.call(wrong, w, x, h0, c0)
    verdicts.differs(f"wrong/{name}", bad, want, "wrong differs from torch.nn")
    verdicts.matches(f"wrong/{name}", bad, mistake.model(idiom, w, x, h0, c0),
                     f"wrong = torch.nn committing {mistake.named}")


def main() -> int:
    verdicts = Verdicts()
    for seed, (name, idiom) in enumerate(IDIOMS.items()):
        verify(name, idiom, MISTAKES[name], verdicts, seed)
    print(f"\n{len(IDIOMS)} idioms and their wrong variants, {verdicts.problems} problems")
    return verdicts.problems


if __name__ == "__main__":
    torch.set_num_threads(1)  # tensors of a few dozen numbers: more threads only contend for the cores
    sys.exit(main())
