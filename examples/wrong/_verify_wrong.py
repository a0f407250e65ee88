"""Check every file in examples/wrong against torch.nn, independently of the plugin.

Not an example: ``python examples/wrong/_verify_wrong.py`` from the repository root. Exit status: the
number of claims that do not hold.

Each file is called directly (its own calling convention, torch.nn's weights, random inputs and states
in float64) and must be wrong exactly as ``DEFECTS`` says: right where its bug cannot show, different
from torch.nn where it does, and there equal to torch.nn made to commit the bug (its gate blocks
permuted, the reverse h_n read at the last step, the last layer's rows of h_n), or, where no weight
change makes torch.nn commit it, to the mistaken step written out (a clamped cell state, layer-normalized
gates). ``DEFECTS`` also says which row owns each bug and the catalogue id the plugin must name (None:
no id may be named); tests/test_verifiers.py checks tests/test_naming.py against it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _ground_truth import (BATCH, HIDDEN, INPUT, TIME, Verdicts, draw, load, nn_run, regated,  # noqa: E402
                           weights)

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Defect:
    """The row that owns a file's bug, the id the plugin must name (None: none), and its check."""
    owner: str
    named: str | None
    check: Callable  # (the file as a module, verdicts, seed)


def torch_module(mode: str, seed: int, **kw) -> torch.nn.Module:
    torch.manual_seed(seed)
    return {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[mode](INPUT, HIDDEN, **kw).double()


def sequence_and_states(seed: int) -> tuple:
    """x (time, batch, input), h0 and c0 (batch, hidden)."""
    return draw(TIME, BATCH, INPUT, seed=seed), draw(BATCH, HIDDEN, seed=seed + 1), draw(BATCH, HIDDEN, seed=seed + 2)


def as_dict(mode: str, result) -> dict:
    output, states = result
    if mode == "lstm":
        return {"output": output, "h_n": states[0], "c_n": states[1]}
    return {"output": output, "h_n": states}


# ------------------------------------------------------------------ one check per file
def lstm_gate_order(module, verdicts: Verdicts, seed: int) -> None:
    w = weights("lstm", seed)
    x, h0, c0 = sequence_and_states(seed)
    got = as_dict("lstm", module.lstm_forward(x, (h0, c0), *w.values()))
    verdicts.differs("lstm_gate_order", got, nn_run("lstm", w, x, h0, c0), "differs from torch.nn.LSTM")
    verdicts.matches("lstm_gate_order", got, nn_run("lstm", regated(w, "lstm", (0, 1, 3, 2)), x, h0, c0),
                     "= torch.nn with the g and o blocks swapped (gate_order)")


def bidirectional_hn_last(module, verdicts: Verdicts, seed: int) -> None:
    rnn = torch_module("rnn", seed, bidirectional=True, batch_first=True)
    x, h0 = draw(BATCH, TIME, INPUT, seed=seed), draw(2, BATCH, HIDDEN, seed=seed + 1)
    p = dict(rnn.named_parameters())
    with torch.no_grad():
        want = as_dict("rnn", rnn(x, h0))
        got = as_dict("rnn", module.bidirectional_rnn_forward(
            x, *(p[f"{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")), h0[0],
            *(p[f"{n}_l0_reverse"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")), h0[1]))
    verdicts.matches("bidirectional_hn_last", {"output": got["output"]}, want, "output = torch.nn.RNN's")
    verdicts.differs("bidirectional_hn_last", {"h_n": got["h_n"]}, want, "h_n differs")
    last_step = torch.stack([want["h_n"][0], want["output"][:, -1, HIDDEN:]])
    verdicts.matches("bidirectional_hn_last", {"h_n": got["h_n"]}, {"h_n": last_step},
                     "h_n = torch.nn's with the reverse row read at the last step (reverse_hn_last_step)")
    one = draw(BATCH, 1, INPUT, seed=seed + 3)
    with torch.no_grad():
        got_one = as_dict("rnn", module.bidirectional_rnn_forward(one, *(p[k] for k in p if "reverse" not in k), h0[0],
                                                                  *(p[k] for k in p if "reverse" in k), h0[1]))
        verdicts.matches("bidirectional_hn_last", got_one, as_dict("rnn", rnn(one, h0)), "time 1 hides it")


def module_shape_hn(module, verdicts: Verdicts, seed: int) -> None:
    for batch_first in (False, True):
        rnn = torch_module("rnn", seed, batch_first=batch_first)
        squeezed = module.SqueezedRNN(INPUT, HIDDEN, batch_first=batch_first).double()
        squeezed.load_state_dict(rnn.state_dict())
        x = draw(*((BATCH, TIME) if batch_first else (TIME, BATCH)), INPUT, seed=seed)
        h0 = draw(1, BATCH, HIDDEN, seed=seed + 1)
        with torch.no_grad():
            want, got = as_dict("rnn", rnn(x, h0)), as_dict("rnn", squeezed(x, h0))
        verdicts.matches("module_shape_hn", {"output": got["output"]}, want, f"batch_first={batch_first}: output right")
        verdicts.claim("module_shape_hn", tuple(got["h_n"].shape) == (BATCH, HIDDEN) != tuple(want["h_n"].shape),
                       f"h_n {tuple(got['h_n'].shape)}, torch.nn's {tuple(want['h_n'].shape)}: a dimension of size 1 "
                       f"missing (shape's finding)")
        verdicts.matches("module_shape_hn", {"h_n": got["h_n"]}, {"h_n": want["h_n"].squeeze(0)},
                         "h_n's values right")


def clipped_lstm(w, x, h, c) -> dict:
    """torch.nn's LSTM step with the cell state clamped to [-1, 1], written out."""
    outputs = []
    for x_t in x:
        i, f, g, o = (x_t @ w["weight_ih"].T + w["bias_ih"] + h @ w["weight_hh"].T + w["bias_hh"]).chunk(4, -1)
        c = (torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)).clamp(-1.0, 1.0)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return {"output": torch.stack(outputs), "h_n": h, "c_n": c}


def clipped_cell_state(module, verdicts: Verdicts, seed: int) -> None:
    w = weights("lstm", seed)
    x, h0 = draw(TIME, BATCH, INPUT, seed=seed), draw(BATCH, HIDDEN, seed=seed + 1)
    for c_scale, shows in ((0.1, False), (3.0, True)):
        c0 = draw(BATCH, HIDDEN, seed=seed + 2, scale=c_scale)
        want = nn_run("lstm", w, x, h0, c0)
        got = as_dict("lstm", module.lstm_forward(x, h0, c0, *w.values()))
        if not shows:
            verdicts.claim("clipped_cell_state", want["c_n"].abs().max() < 1, "c0 small: |c| stays below 1")
            verdicts.matches("clipped_cell_state", got, want, "c0 small: = torch.nn.LSTM")
        else:
            verdicts.differs("clipped_cell_state", got, want, "c0 large (|c| > 1): differs")
            verdicts.matches("clipped_cell_state", got, clipped_lstm(w, x, h0, c0),
                             "= the clamped step (no catalogue id)")


def layernorm_lstm(module, verdicts: Verdicts, seed: int) -> None:
    w = weights("lstm", seed)
    x, h, c = sequence_and_states(seed)
    got = as_dict("lstm", module.lstm_forward(x, (h, c), *w.values()))
    verdicts.differs("layernorm_lstm", got, nn_run("lstm", w, x, h, c), "differs from torch.nn.LSTM")
    outputs = []
    for x_t in x:  # the layer-normalized step, written out
        pre = x_t @ w["weight_ih"].T + w["bias_ih"] + h @ w["weight_hh"].T + w["bias_hh"]
        i, f, g, o = F.layer_norm(pre, pre.shape[-1:]).chunk(4, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    verdicts.matches("layernorm_lstm", got, {"output": torch.stack(outputs), "h_n": h, "c_n": c},
                     "= torch.nn's step with layer-normalized gates (no catalogue id)")


def hn_last_layer_only(module, verdicts: Verdicts, seed: int) -> None:
    for mode in ("rnn", "lstm", "gru"):
        for layers, bidirectional in ((1, False), (1, True), (2, False), (3, True)):
            m = torch_module(mode, seed, num_layers=layers, bidirectional=bidirectional)
            D = 2 if bidirectional else 1
            x = draw(TIME, BATCH, INPUT, seed=seed)
            h0 = draw(layers * D, BATCH, HIDDEN, seed=seed + 1)
            hx = (h0, draw(layers * D, BATCH, HIDDEN, seed=seed + 2)) if mode == "lstm" else h0
            spec = SimpleNamespace(mode=mode, input_size=INPUT, hidden_size=HIDDEN, num_layers=layers, bias=True,
                                   batch_first=False, bidirectional=bidirectional, proj_size=0, nonlinearity="tanh",
                                   dropout=0.0)
            with torch.no_grad():
                want = as_dict(mode, m(x, hx))
                got = as_dict(mode, module.forward(x, hx, dict(m.named_parameters()), spec))
            tag = f"{mode}, {layers} layer(s), {D} direction(s)"
            if layers == 1:
                verdicts.matches("hn_last_layer_only", got, want, f"{tag}: = torch.nn")
                continue
            verdicts.claim("hn_last_layer_only", tuple(got["h_n"].shape) != tuple(want["h_n"].shape),
                           f"{tag}: h_n {tuple(got['h_n'].shape)}, torch.nn's {tuple(want['h_n'].shape)}")
            top = {k: (v if k == "output" else v[-D:]) for k, v in want.items()}
            verdicts.matches("hn_last_layer_only", got, top, f"{tag}: = torch.nn's with the top layer's rows only")


def squeezed_input(module, verdicts: Verdicts, seed: int) -> None:
    w = weights("gru", seed)
    for time, batch, shows in ((TIME, BATCH, False), (TIME, 1, False), (1, BATCH, True)):
        x, h0 = draw(time, batch, INPUT, seed=seed), draw(batch, HIDDEN, seed=seed + 1)
        got = as_dict("gru", module.gru_forward(x, h0, *w.values()))
        want = nn_run("gru", w, x, h0)
        tag = f"time {time}, batch {batch}"
        if shows:
            verdicts.differs("squeezed_input", got, want, f"{tag}: the loop runs over the batch (edge_cases)")
        else:
            verdicts.matches("squeezed_input", got, want, f"{tag}: = torch.nn.GRU")
    torch.manual_seed(seed)
    narrow = torch.nn.GRU(1, HIDDEN).double()
    narrow_w = [p.detach() for p in narrow.parameters()]
    verdicts.refuses("squeezed_input", lambda: module.gru_forward(draw(TIME, BATCH, 1, seed=seed), draw(
        BATCH, HIDDEN, seed=seed + 1), *narrow_w), "input size 1: the features vanish", raised=RuntimeError)


DEFECTS = {
    "lstm_gate_order": Defect("forward", "gate_order", lstm_gate_order),
    "bidirectional_hn_last": Defect("forward", "reverse_hn_last_step", bidirectional_hn_last),  # a bidirectional base
    "module_shape_hn": Defect("shape", None, module_shape_hn),
    "clipped_cell_state": Defect("forward", None, clipped_cell_state),
    "layernorm_lstm": Defect("forward", None, layernorm_lstm),
    "hn_last_layer_only": Defect("multilayer", None, hn_last_layer_only),
    "squeezed_input": Defect("edge_cases", None, squeezed_input),
}


def main() -> int:
    verdicts = Verdicts()
    for seed, (name, defect) in enumerate(DEFECTS.items()):
        defect.check(load(HERE / f"{name}.py"), verdicts, seed)
    print(f"\n{len(DEFECTS)} wrong examples, {verdicts.problems} problems")
    return verdicts.problems


if __name__ == "__main__":
    torch.set_num_threads(1)  # tensors of a few dozen numbers: more threads only contend for the cores
    sys.exit(main())
