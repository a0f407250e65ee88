"""Check every learner implementation in this folder against torch.nn, independently of the plugin.

Not a test and not using the plugin: ``python tests/learners/_verify_learners.py`` from the repository
root. For each table of manifest.toml it loads the file, builds torch.nn's module (nn.RNN/LSTM/GRU, or
nn.RNNCell/LSTMCell/GRUCell for single steps) in float64 with random weights and random non-zero
initial states, and feeds the implementation the same weights through the adapter written below for
that entry (by hand, from the manifest's meaning: it is the independent check of the declared
mapping). Sizes (time, batch, input, hidden): two with all four distinct and >= 2, plus hidden 1 /
time 1 / batch 1 / input 1 edges.

An entry is observed *correct* when every returned tensor is within 1e-9 of torch.nn (float32 results:
within 1e-6 of torch.nn's float64 result) on every size and every extra check passes; it has a *dtype
finding* when float64 input gives a float32 result. Both must equal the manifest. A wrong entry must
also equal, within 1e-9 on every size, a model of torch.nn with exactly its one bug (BUG_MODELS), so
it has no second bug. The sources are scanned too: only entries whose notes say "delegates to nn."
may use torch's recurrent modules, and numpy entries must not import torch.
Prints one line per entry; exits with the number of mismatches.
"""
import ast
import importlib.util
import sys
import tomllib
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
SIZES = [(5, 3, 4, 6), (4, 2, 7, 3), (1, 2, 3, 1), (3, 1, 1, 2)]  # (T, B, D, H)
TOL64, TOL32 = 1e-9, 1e-6
GATES = {"lstm": "ifgo", "gru": "rzn", "rnn": "h"}
torch.set_default_dtype(torch.float32)


# ------------------------------------------------------------------------------ helpers
def load(filename):
    spec = importlib.util.spec_from_file_location("learner_" + Path(filename).stem, HERE / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def npa(t):
    return t.detach().numpy().copy()


def tt(a):
    return a if isinstance(a, torch.Tensor) else torch.from_numpy(np.asarray(a))


def blocks(w, mode):
    """torch.nn's stacked weight or bias split into named gate blocks (c is an alias of g)."""
    parts = dict(zip(GATES[mode], w.chunk(len(GATES[mode]), 0)))
    if mode == "lstm":
        parts["c"] = parts["g"]
    return parts


def make_params(mode, D, H, gen, bias=True, dtype=torch.float64):
    n = len(GATES[mode])
    p = {"weight_ih": torch.randn(n * H, D, generator=gen, dtype=dtype) * 0.6,
         "weight_hh": torch.randn(n * H, H, generator=gen, dtype=dtype) * 0.6,
         "bias_ih": torch.randn(n * H, generator=gen, dtype=dtype) * 0.6 if bias else None,
         "bias_hh": torch.randn(n * H, generator=gen, dtype=dtype) * 0.6 if bias else None}
    return p


def torch_nn(mode, p, x, h0, c0, cell=False, nonlinearity="tanh"):
    """torch.nn's result on seq-first batched x (T, B, D), states (B, H): (output, h_n, c_n)."""
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    bias = p["bias_ih"] is not None
    if cell:
        cls = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[mode]
        kw = {"nonlinearity": nonlinearity} if mode == "rnn" else {}
        m = cls(D, H, bias=bias, **kw).to(x.dtype)
        names = {"weight_ih": "weight_ih", "weight_hh": "weight_hh", "bias_ih": "bias_ih", "bias_hh": "bias_hh"}
    else:
        cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[mode]
        kw = {"nonlinearity": nonlinearity} if mode == "rnn" else {}
        m = cls(D, H, bias=bias, **kw).to(x.dtype)
        names = {k: k + "_l0" for k in p}
    with torch.no_grad():
        for k, v in p.items():
            if v is not None:
                getattr(m, names[k]).copy_(v)
        if cell:
            if mode == "lstm":
                h, c = m(x[0], (h0, c0))
                return None, h, c
            return None, m(x[0], h0), None
        if mode == "lstm":
            out, (h, c) = m(x, (h0[None], c0[None]))
            return out, h[0], c[0]
        out, h = m(x, h0[None])
        return out, h[0], None


def manual_lstm(p, x, h0, c0, cand=torch.tanh, forget_is_output=False):
    """Hand-written LSTM (torch.nn's equations) with one switchable mistake; (output, h_n, c_n)."""
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    pre = lambda k, x_t, h: x_t @ wi[k].T + bi[k] + h @ wh[k].T + bh[k]
    h, c, outs = h0, c0, []
    for x_t in x:
        i, f, o = torch.sigmoid(pre("i", x_t, h)), torch.sigmoid(pre("f", x_t, h)), torch.sigmoid(pre("o", x_t, h))
        g = cand(pre("g", x_t, h))
        c = (o if forget_is_output else f) * c + i * g
        h = o * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs), h, c


def manual_gru(p, x, h0, reset_before=False, update_swapped=False, bhn_outside=False):
    """Hand-written GRU (torch.nn's equations) with one switchable mistake; (output, h_n, None)."""
    wi, wh = blocks(p["weight_ih"], "gru"), blocks(p["weight_hh"], "gru")
    bi, bh = blocks(p["bias_ih"], "gru"), blocks(p["bias_hh"], "gru")
    h, outs = h0, []
    for x_t in x:
        r = torch.sigmoid(x_t @ wi["r"].T + bi["r"] + h @ wh["r"].T + bh["r"])
        z = torch.sigmoid(x_t @ wi["z"].T + bi["z"] + h @ wh["z"].T + bh["z"])
        if reset_before:
            n = torch.tanh(x_t @ wi["n"].T + bi["n"] + (r * h) @ wh["n"].T + bh["n"])
        elif bhn_outside:
            n = torch.tanh(x_t @ wi["n"].T + bi["n"] + r * (h @ wh["n"].T) + bh["n"])
        else:
            n = torch.tanh(x_t @ wi["n"].T + bi["n"] + r * (h @ wh["n"].T + bh["n"]))
        h = (1 - z) * h + z * n if update_swapped else (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs), h, None


def with_blocks(p, mode, fn):
    """A copy of p whose weights and biases have their gate blocks rearranged by fn(list) -> list."""
    q = dict(p)
    for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        if p[k] is not None:
            q[k] = torch.cat(fn(list(p[k].chunk(len(GATES[mode]), 0))), 0)
    return q


# ------------------------------------------------------------------------------ adapters
# Each adapter: (module, p, x (T, B, D), h0 (B, H), c0 (B, H)) -> (output (T, B, H) | None, h_n | None,
# c_n | None), converting to and from the entry's own layout and argument meaning.
def tr(t):
    return t.transpose(0, 1)


def a_cs231n_rnn(m, p, x, h0, c0):
    h, cache = m.rnn_forward(npa(tr(x)), npa(h0), npa(p["weight_ih"].T), npa(p["weight_hh"].T),
                             npa(p["bias_ih"] + p["bias_hh"]))
    assert isinstance(cache, list) and len(cache) == x.shape[0]
    return tr(tt(h)), None, None


def a_cs231n_lstm(m, p, x, h0, c0):
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    Wx = torch.cat([wi[k].T for k in "ifog"], 1)
    Wh = torch.cat([wh[k].T for k in "ifog"], 1)
    b = torch.cat([bi[k] + bh[k] for k in "ifog"])
    h, cache = m.lstm_forward(npa(tr(x)), npa(h0), npa(Wx), npa(Wh), npa(b))
    return tr(tt(h)), None, None


def a_numpy_rnn_cell(m, p, x, h0, c0):
    h = m.rnn_cell(npa(x[0]), npa(h0), npa(p["weight_ih"].T), npa(p["weight_hh"].T),
                   npa(p["bias_ih"]), npa(p["bias_hh"]))
    return None, tt(h), None


def a_diy_numpy_rnn(m, p, x, h0, c0):
    model = m.DiyModel(npa(p["weight_ih"]), npa(p["weight_hh"]), p["weight_hh"].shape[1])
    out, ht = model.forward(npa(x[:, 0]))
    return tt(out)[:, None], tt(ht)[None], None


def a_d2l_rnn_scratch(m, p, x, h0, c0):
    T, B, _ = x.shape
    H = h0.shape[1]
    params = [p["weight_ih"].T, p["weight_hh"].T, p["bias_ih"] + p["bias_hh"],
              torch.eye(H, dtype=x.dtype), torch.zeros(H, dtype=x.dtype)]
    Y, (hn,) = m.rnn(x, (h0,), params)
    return Y.reshape(T, B, H), hn, None


def a_d2l_lstm_scratch(m, p, x, h0, c0):
    T, B, _ = x.shape
    H = h0.shape[1]
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    params = []
    for k in "ifoc":
        params += [wi[k].T, wh[k].T, bi[k] + bh[k]]
    params += [torch.eye(H, dtype=x.dtype), torch.zeros(H, dtype=x.dtype)]
    Y, (hn, cn) = m.lstm(x, (h0, c0), params)
    return Y.reshape(T, B, H), hn, cn


def a_torch_lstm_cell(m, p, x, h0, c0):
    h, c = m.lstm_cell(x[0], (h0, c0), p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    return None, h, c


def a_numpy_lstm_concat_step(m, p, x, h0, c0):
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    W = {k: npa(torch.cat([wh[k], wi[k]], 1)) for k in "ifco"}
    b = {k: npa(bi[k] + bh[k]) for k in "ifco"}
    h, c = m.lstm_step(npa(x[0]), npa(h0), npa(c0), W["f"], b["f"], W["i"], b["i"], W["c"], b["c"],
                       W["o"], b["o"])
    return None, tt(h), tt(c)


def custom_lstm(m, p):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.CustomLSTM(D, H).double()
    with torch.no_grad():
        mod.W.copy_(p["weight_ih"].T)
        mod.U.copy_(p["weight_hh"].T)
        mod.bias.copy_(p["bias_ih"] + p["bias_hh"])
    return mod


def a_custom_lstm_module(m, p, x, h0, c0):
    out, (h, c) = custom_lstm(m, p)(tr(x), (h0, c0))
    return tr(out), h, c


def a_wrap_nn_rnn(m, p, x, h0, c0):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.TorchRNN(D, H).double()
    with torch.no_grad():
        mod.layer.weight_ih_l0.copy_(p["weight_ih"])
        mod.layer.weight_hh_l0.copy_(p["weight_hh"])
    out, h = mod(tr(x))
    return tr(out), h[0], None


def a_lstm_linear_gates_dim(m, p, x, h0, c0):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.LSTMModel(D, H).double()
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    with torch.no_grad():
        for name, k in (("forget_gate", "f"), ("input_gate", "i"), ("cell_gate", "g"), ("output_gate", "o")):
            getattr(mod, name).weight.copy_(torch.cat([wi[k], wh[k]], 1))
            getattr(mod, name).bias.copy_(bi[k] + bh[k])
    return tr(mod(tr(x))), None, None


def wrap_lstm(m, p):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.SequenceEncoder(D, H).double()
    with torch.no_grad():
        for k, v in p.items():
            getattr(mod.lstm, k + "_l0").copy_(v)
    return mod


def a_wrap_nn_lstm(m, p, x, h0, c0):
    out, (h, c) = wrap_lstm(m, p)(tr(x), (h0[None], c0[None]))
    return tr(out), h[0], c[0]


def a_gru_batch_first_only(m, p, x, h0, c0):
    out, h = m.gru_forward(tr(x), h0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    return tr(out), h, None


def a_karpathy_char_rnn(m, p, x, h0, c0):
    rnn = m.CharRNN(npa(p["weight_ih"]), npa(p["weight_hh"]), npa(p["bias_ih"] + p["bias_hh"]))
    out, h = rnn.forward(npa(x[:, 0]), npa(h0[0]))
    return tt(out)[:, None], tt(h)[None], None


def a_odd_names_rnn(m, p, x, h0, c0):
    out, h = m.rnn(x, h0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    return out, h, None


def a_lstm_initial_states(m, p, x, h0, c0):
    out, (h, c) = m.lstm_forward(x, h0, c0, p["weight_ih"].T, p["weight_hh"].T, p["bias_ih"] + p["bias_hh"])
    return out, h, c


def a_torch_gru_cell_per_gate(m, p, x, h0, c0):
    wi, wh = blocks(p["weight_ih"], "gru"), blocks(p["weight_hh"], "gru")
    bi, bh = blocks(p["bias_ih"], "gru"), blocks(p["bias_hh"], "gru")
    h = m.gru_cell(x[0], h0, wi["r"], wi["z"], wi["n"], wh["r"], wh["z"], wh["n"],
                   bi["r"], bi["z"], bi["n"], bh["r"], bh["z"], bh["n"])
    return None, h, None


def a_numpy_gru_cell(m, p, x, h0, c0):
    h = m.gru_cell(npa(x[0]), npa(h0), npa(p["weight_ih"].T), npa(p["weight_hh"].T),
                   npa(p["bias_ih"]), npa(p["bias_hh"]))
    return None, tt(h), None


def a_torch_rnn_cell(m, p, x, h0, c0):
    return None, m.rnn_cell(x[0], h0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]), None


def d2l_lstm_module(m, p):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.LSTMScratch(D, H).double()
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    with torch.no_grad():
        for k in "ifoc":
            getattr(mod, "W_x" + k).copy_(wi[k].T)
            getattr(mod, "W_h" + k).copy_(wh[k].T)
            getattr(mod, "b_" + k).copy_(bi[k] + bh[k])
    return mod


def a_d2l_lstm_module(m, p, x, h0, c0):
    out, (h, c) = d2l_lstm_module(m, p)(x, (h0, c0))
    return out, h, c


def a_lstm_float32_buffer(m, p, x, h0, c0):
    out, (h, c) = m.lstm_forward(tr(x), h0, c0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    return tr(out), h, c


def a_numpy_lstm_gate_order(m, p, x, h0, c0):
    out, (h, c) = m.lstm_forward(npa(x), npa(h0), npa(c0), *(npa(p[k]) for k in
                                 ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
    return tt(out), tt(h), tt(c)


def a_rnn_missing_bias_hh(m, p, x, h0, c0):
    out, h = m.rnn_forward(tr(x), h0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    return tr(out), h, None


def a_d2l_rnn_module_state_not_carried(m, p, x, h0, c0):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.RNNScratch(D, H).double()
    with torch.no_grad():
        mod.W_xh.copy_(p["weight_ih"].T)
        mod.W_hh.copy_(p["weight_hh"].T)
        mod.b_h.copy_(p["bias_ih"] + p["bias_hh"])
    out, h = mod(x, h0)
    return out, h, None


def a_d2l_gru_scratch(m, p, x, h0, c0):
    T, B, _ = x.shape
    H = h0.shape[1]
    wi, wh = blocks(p["weight_ih"], "gru"), blocks(p["weight_hh"], "gru")
    bi, bh = blocks(p["bias_ih"], "gru"), blocks(p["bias_hh"], "gru")
    params = []
    for k in "zrn":
        params += [wi[k].T, wh[k].T, bi[k] + bh[k]]
    params += [torch.eye(H, dtype=x.dtype), torch.zeros(H, dtype=x.dtype)]
    Y, (hn,) = m.gru(x, (h0,), params)
    return Y.reshape(T, B, H), hn, None


def a_lstm_per_gate_sigmoid_candidate(m, p, x, h0, c0):
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    args = []
    for k in "ifco":
        args += [wi[k].T, wh[k].T, bi[k] + bh[k]]
    out, (h, c) = m.lstm_forward(x, h0, c0, *args)
    return out, h, c


def a_lstm_linear_gates_output_for_forget(m, p, x, h0, c0):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.LinearLSTM(D, H).double()
    wi, wh = blocks(p["weight_ih"], "lstm"), blocks(p["weight_hh"], "lstm")
    bi, bh = blocks(p["bias_ih"], "lstm"), blocks(p["bias_hh"], "lstm")
    with torch.no_grad():
        for k in "ifgo":
            getattr(mod, "x_" + k).weight.copy_(wi[k])
            getattr(mod, "x_" + k).bias.copy_(bi[k])
            getattr(mod, "h_" + k).weight.copy_(wh[k])
            getattr(mod, "h_" + k).bias.copy_(bh[k])
    out, (h, c) = mod(x, (h0, c0))
    return out, h, c


def a_rnn_a0_ignored(m, p, x, h0, c0):
    a, caches = m.rnn_forward(npa(x), npa(h0), npa(p["weight_ih"]), npa(p["weight_hh"]),
                              npa(p["bias_ih"] + p["bias_hh"]))
    return tt(a), None, None


def a_numpy_rnn_class_reshape(m, p, x, h0, c0):
    rnn = m.NumpyRNN(*(npa(p[k]) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
    out, h = rnn.forward(npa(x), npa(h0))
    return tt(out), tt(h), None


def a_numpy_gru_step_single_bias(m, p, x, h0, c0):
    wi, wh = blocks(p["weight_ih"], "gru"), blocks(p["weight_hh"], "gru")
    bi, bh = blocks(p["bias_ih"], "gru"), blocks(p["bias_hh"], "gru")
    w_x = torch.cat([wi[k].T for k in "zrn"], 1)
    w_h = torch.cat([wh[k].T for k in "zrn"], 1)
    b = torch.cat([bi[k] + bh[k] for k in "zrn"])
    h = m.gru_step(npa(x[0]), npa(h0), npa(w_x), npa(w_h), npa(b))
    return None, tt(h), None


def my_gru(m, p, dtype=torch.float64):
    D, H = p["weight_ih"].shape[1], p["weight_hh"].shape[1]
    mod = m.MyGRU(D, H).to(dtype)
    with torch.no_grad():
        mod.x2h.weight.copy_(p["weight_ih"])
        mod.x2h.bias.copy_(p["bias_ih"])
        mod.h2h.weight.copy_(p["weight_hh"])
        mod.h2h.bias.copy_(p["bias_hh"])
    return mod


def a_gru_module_float32_default_state(m, p, x, h0, c0):
    out, h = my_gru(m, p)(x, h0)
    return out, h, None


def a_manual_gru_update_swapped(m, p, x, h0, c0):
    gru = m.ManualGRU(p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    out, h = gru(x, h0)
    return out, h, None


# ------------------------------------------------------------------------------ the entries' meaning
# mode, single step?, and what the implementation fixes: unbatched (B = 1, fed without the batch
# dimension), no bias, h0 = 0, c0 = 0.
ENTRY = {
    "cs231n_rnn": dict(mode="rnn", adapter=a_cs231n_rnn),
    "cs231n_lstm": dict(mode="lstm", adapter=a_cs231n_lstm, zero_c0=True),
    "numpy_rnn_cell": dict(mode="rnn", cell=True, adapter=a_numpy_rnn_cell),
    "diy_numpy_rnn": dict(mode="rnn", adapter=a_diy_numpy_rnn, unbatched=True, bias=False, zero_h0=True),
    "d2l_rnn_scratch": dict(mode="rnn", adapter=a_d2l_rnn_scratch),
    "d2l_lstm_scratch": dict(mode="lstm", adapter=a_d2l_lstm_scratch),
    "torch_lstm_cell": dict(mode="lstm", cell=True, adapter=a_torch_lstm_cell),
    "numpy_lstm_concat_step": dict(mode="lstm", cell=True, adapter=a_numpy_lstm_concat_step),
    "custom_lstm_module": dict(mode="lstm", adapter=a_custom_lstm_module),
    "wrap_nn_rnn": dict(mode="rnn", adapter=a_wrap_nn_rnn, bias=False, zero_h0=True),
    "lstm_linear_gates_dim": dict(mode="lstm", adapter=a_lstm_linear_gates_dim, zero_h0=True, zero_c0=True),
    "wrap_nn_lstm": dict(mode="lstm", adapter=a_wrap_nn_lstm),
    "gru_batch_first_only": dict(mode="gru", adapter=a_gru_batch_first_only),
    "karpathy_char_rnn": dict(mode="rnn", adapter=a_karpathy_char_rnn, unbatched=True),
    "odd_names_rnn": dict(mode="rnn", adapter=a_odd_names_rnn),
    "lstm_initial_states": dict(mode="lstm", adapter=a_lstm_initial_states),
    "torch_gru_cell_per_gate": dict(mode="gru", cell=True, adapter=a_torch_gru_cell_per_gate),
    "numpy_gru_cell": dict(mode="gru", cell=True, adapter=a_numpy_gru_cell),
    "torch_rnn_cell": dict(mode="rnn", cell=True, adapter=a_torch_rnn_cell),
    "d2l_lstm_module": dict(mode="lstm", adapter=a_d2l_lstm_module),
    "lstm_float32_buffer": dict(mode="lstm", adapter=a_lstm_float32_buffer),
    "numpy_lstm_gate_order": dict(mode="lstm", adapter=a_numpy_lstm_gate_order),
    "rnn_missing_bias_hh": dict(mode="rnn", adapter=a_rnn_missing_bias_hh),
    "d2l_rnn_module_state_not_carried": dict(mode="rnn", adapter=a_d2l_rnn_module_state_not_carried),
    "d2l_gru_scratch": dict(mode="gru", adapter=a_d2l_gru_scratch),
    "lstm_per_gate_sigmoid_candidate": dict(mode="lstm", adapter=a_lstm_per_gate_sigmoid_candidate),
    "lstm_linear_gates_output_for_forget": dict(mode="lstm", adapter=a_lstm_linear_gates_output_for_forget),
    "rnn_a0_ignored": dict(mode="rnn", adapter=a_rnn_a0_ignored),
    "numpy_rnn_class_reshape": dict(mode="rnn", adapter=a_numpy_rnn_class_reshape),
    "numpy_gru_step_single_bias": dict(mode="gru", cell=True, adapter=a_numpy_gru_step_single_bias),
    "gru_module_float32_default_state": dict(mode="gru", adapter=a_gru_module_float32_default_state),
    "manual_gru_update_swapped": dict(mode="gru", adapter=a_manual_gru_update_swapped),
}


def _per_step_from_h0(p, x, h0, c0):
    outs = [torch_nn("rnn", p, x[t:t + 1], h0, c0)[0][0] for t in range(x.shape[0])]
    return torch.stack(outs), outs[-1], None


def _cell(result):
    """A sequence model's result read as a single step (x has T = 1): (None, h, c)."""
    return None, result[1], result[2]


# torch.nn with exactly the entry's one bug, on the same arguments as torch_nn.
BUG_MODELS = {
    "numpy_lstm_gate_order": lambda p, x, h0, c0: torch_nn(
        "lstm", with_blocks(p, "lstm", lambda b: [b[0], b[1], b[3], b[2]]), x, h0, c0),
    "rnn_missing_bias_hh": lambda p, x, h0, c0: torch_nn(
        "rnn", dict(p, bias_hh=torch.zeros_like(p["bias_hh"])), x, h0, c0),
    "d2l_rnn_module_state_not_carried": _per_step_from_h0,
    "d2l_gru_scratch": lambda p, x, h0, c0: manual_gru(p, x, h0, reset_before=True),
    "lstm_per_gate_sigmoid_candidate": lambda p, x, h0, c0: manual_lstm(p, x, h0, c0, cand=torch.sigmoid),
    "lstm_linear_gates_output_for_forget": lambda p, x, h0, c0: manual_lstm(p, x, h0, c0, forget_is_output=True),
    "rnn_a0_ignored": lambda p, x, h0, c0: torch_nn("rnn", p, x, torch.zeros_like(h0), c0),
    "numpy_rnn_class_reshape": lambda p, x, h0, c0: torch_nn(
        "rnn", dict(p, weight_ih=p["weight_ih"].reshape(p["weight_ih"].shape[1], -1).T,
                    weight_hh=p["weight_hh"].reshape(p["weight_hh"].shape[1], -1).T), x, h0, c0),
    "numpy_gru_step_single_bias": lambda p, x, h0, c0: _cell(manual_gru(p, x, h0, bhn_outside=True)),
    "gru_module_float32_default_state": lambda p, x, h0, c0: torch_nn("gru", p, x, h0, c0),
    # right on every batch; its one defect is a state omitted for one unbatched sequence (see its EXTRA)
    "d2l_lstm_module": lambda p, x, h0, c0: torch_nn("lstm", p, x, h0, c0),
    "manual_gru_update_swapped": lambda p, x, h0, c0: manual_gru(p, x, h0, update_swapped=True),
}


# ------------------------------------------------------------------------------ extra checks
# name -> function(module, gen) -> list of (label, ok): features the main grid does not reach.
def _close(a, b, tol=TOL64):
    a, b = a.detach(), b.detach()
    return a.shape == b.shape and a.dtype == b.dtype and float((a - b).abs().max()) <= tol


def _inputs(gen, T, B, D, H, dtype=torch.float64):
    return (torch.randn(T, B, D, generator=gen, dtype=dtype), torch.randn(B, H, generator=gen, dtype=dtype),
            torch.randn(B, H, generator=gen, dtype=dtype))


def x_custom_lstm_module(m, gen):
    p = make_params("lstm", 4, 3, gen)
    x, h0, c0 = _inputs(gen, 5, 2, 4, 3)
    out, (h, c) = custom_lstm(m, p)(tr(x))
    ref = torch_nn("lstm", p, x, torch.zeros_like(h0), torch.zeros_like(c0))
    return [("init_states omitted = zeros", _close(tr(out), ref[0]) and _close(h, ref[1]) and _close(c, ref[2]))]


def x_wrap_nn_lstm(m, gen):
    p = make_params("lstm", 4, 3, gen)
    x, h0, c0 = _inputs(gen, 5, 2, 4, 3)
    out, (h, c) = wrap_lstm(m, p)(tr(x))
    ref = torch_nn("lstm", p, x, torch.zeros_like(h0), torch.zeros_like(c0))
    return [("hidden omitted = zeros", _close(tr(out), ref[0]) and _close(h[0], ref[1]))]


def x_d2l_lstm_module(m, gen):
    p = make_params("lstm", 4, 3, gen)
    x, h0, c0 = _inputs(gen, 5, 2, 4, 3)
    out, (h, c) = d2l_lstm_module(m, p)(x)
    ref = torch_nn("lstm", p, x, torch.zeros_like(h0), torch.zeros_like(c0))
    alone = d2l_lstm_module(m, p)(x[:, 0])  # one unbatched sequence (T, D), H_C omitted: torch.nn's h_n is (H,)
    return [("H_C omitted = zeros", _close(out, ref[0]) and _close(c, ref[2])),
            ("one unbatched sequence with H_C omitted has torch.nn's shapes", tuple(alone[1][0].shape) == (3,))]


def x_gru_batch_first_only(m, gen):
    p = make_params("gru", 4, 3, gen)
    x, h0, _ = _inputs(gen, 5, 2, 4, 3)
    try:
        m.gru_forward(x, h0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"], batch_first=False)
        raised = False
    except NotImplementedError:
        raised = True
    return [("batch_first=False raises NotImplementedError", raised)]


def x_torch_rnn_cell(m, gen):
    checks = []
    x, h0, _ = _inputs(gen, 1, 3, 4, 5)
    for bias in (True, False):
        for nl in ("tanh", "relu"):
            p = make_params("rnn", 4, 5, gen, bias=bias)
            got = m.rnn_cell(x[0], h0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"], nonlinearity=nl)
            ref = torch_nn("rnn", p, x, h0, None, cell=True, nonlinearity=nl)[1]
            checks.append((f"bias={bias} {nl}", _close(got, ref)))
    p = make_params("rnn", 4, 5, gen)
    got = m.rnn_cell(x[0, 0], h0[0], p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    checks.append(("unbatched", _close(got, torch_nn("rnn", p, x[:, :1], h0[:1], None, cell=True)[1][0])))
    return checks


def x_lstm_float32_buffer(m, gen):
    p32 = {k: v.float() for k, v in make_params("lstm", 4, 3, gen).items()}
    x, h0, c0 = (t.float() for t in _inputs(gen, 5, 2, 4, 3))
    out, (h, c) = m.lstm_forward(tr(x), h0, c0, p32["weight_ih"], p32["weight_hh"], p32["bias_ih"], p32["bias_hh"])
    ref = torch_nn("lstm", p32, x, h0, c0)
    return [("float32 in, float32 out, values", _close(tr(out), ref[0], 1e-5) and _close(h, ref[1], 1e-5))]


def x_gru_module_float32_default_state(m, gen):
    p = make_params("gru", 4, 3, gen)
    x, h0, _ = _inputs(gen, 5, 2, 4, 3)
    try:
        my_gru(m, p)(x)
        raised = False
    except RuntimeError:
        raised = True
    p32 = {k: v.float() for k, v in p.items()}
    out, h = my_gru(m, p32, torch.float32)(x.float())
    ref = torch_nn("gru", p32, x.float(), torch.zeros_like(h0).float(), None)
    return [("float64, h omitted: runs", not raised),
            ("float32, h omitted = zeros", _close(out, ref[0], 1e-5))]


EXTRA = {
    "custom_lstm_module": x_custom_lstm_module,
    "wrap_nn_lstm": x_wrap_nn_lstm,
    "d2l_lstm_module": x_d2l_lstm_module,
    "gru_batch_first_only": x_gru_batch_first_only,
    "torch_rnn_cell": x_torch_rnn_cell,
    "lstm_float32_buffer": x_lstm_float32_buffer,
    "gru_module_float32_default_state": x_gru_module_float32_default_state,
}


# ------------------------------------------------------------------------------ source scan
RECURRENT = {"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "_VF", "rnn_tanh", "rnn_relu",
             "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "lstm", "gru"}


def scan(name, entry, manifest_entry):
    """Code (not docstrings) that reaches torch's recurrent modules; numpy files importing torch; size."""
    source = (HERE / manifest_entry["target"].split(":")[0]).read_text()
    tree = ast.parse(source)
    imports = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imports |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    uses = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, (ast.Name, ast.Attribute)) and n.attr in RECURRENT
            and ast.unparse(n.value) in ("nn", "torch.nn", "torch", "F", "torch._VF", "_VF")}
    uses |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names if a.name in RECURRENT}
    problems = []
    delegates = "delegates to nn." in manifest_entry["notes"]
    if bool(uses) != delegates:
        problems.append(f"uses torch's recurrent code {sorted(uses)}" if uses else "notes say it delegates, it does not")
    if "numpy" in imports and "torch" in imports:
        problems.append("imports both numpy and torch")
    lines = source.count("\n")
    if not 10 <= lines <= 60:
        problems.append(f"{lines} lines")
    return problems


# ------------------------------------------------------------------------------ the run
def compare(got, ref):
    """(max abs difference over the tensors the implementation returned, or None for a shape mismatch;
    whether any of them is float32). A float32 result is held to TOL32 instead of TOL64 (see within)."""
    worst, f32 = 0.0, False
    for g, r in zip(got, ref):
        if g is None:
            continue
        g = tt(g).detach()
        if r is None or g.shape != r.shape:
            return None, f32
        f32 |= g.dtype == torch.float32
        worst = max(worst, float((g.double() - r).abs().max()))
    return worst, f32


def within(d, f32):
    return d is not None and d <= (TOL32 if f32 else TOL64)


def run_entry(name, man):
    entry = ENTRY[name]
    mod = load(man["target"].split(":")[0])
    mode, cell = entry["mode"], entry.get("cell", False)
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    diffs, bug_diffs, oks, bug_oks, dtype32 = [], [], [], [], False
    for T, B, D, H in SIZES:
        if cell:
            T = 1
        if entry.get("unbatched"):
            B = 1
        p = make_params(mode, D, H, gen, bias=entry.get("bias", True))
        x, h0, c0 = _inputs(gen, T, B, D, H)
        h0 = h0 * 0 if entry.get("zero_h0") else h0
        c0 = c0 * 0 if entry.get("zero_c0") else c0
        got = entry["adapter"](mod, p, x, h0, c0)
        ref = torch_nn(mode, p, x, h0, c0 if mode == "lstm" else None, cell=cell)
        d, f32 = compare(got, ref)
        dtype32 |= f32
        diffs.append(d)
        oks.append(within(d, f32))
        if name in BUG_MODELS:
            bug_diffs.append(compare(got, BUG_MODELS[name](p, x, h0, c0))[0])
            bug_oks.append(within(bug_diffs[-1], f32))
    extras = EXTRA[name](mod, gen) if name in EXTRA else []
    values_ok = all(oks)
    observed_correct = values_ok and all(ok for _, ok in extras)
    problems = scan(name, entry, man)
    if observed_correct != man["correct"]:
        problems.append(f"observed correct={observed_correct}, manifest says {man['correct']}")
    if dtype32 != man["dtype_finding"]:
        problems.append(f"observed dtype_finding={dtype32}, manifest says {man['dtype_finding']}")
    if not man["correct"]:
        if name not in BUG_MODELS:
            problems.append("no bug model")
        elif not all(bug_oks):
            problems.append(f"differs from its one-bug model: {bug_diffs}")
        if not (man["bug"] and man["owner"]):
            problems.append("wrong entry without bug/owner")
    fmt = lambda ds: "[" + ", ".join("shape" if d is None else f"{d:.1e}" for d in ds) + "]"
    line = f"{'ok ' if not problems else 'BAD'} {name:38s} {'correct' if observed_correct else 'wrong  '}"
    line += f" vs torch.nn {fmt(diffs)}"
    if bug_diffs:
        line += f" vs bug model {fmt(bug_diffs)}"
    if dtype32:
        line += " (float32 result, held to 1e-6)"
    for label, ok in extras:
        line += f"; {label}: {'yes' if ok else 'NO'}"
    for prob in problems:
        line += f"\n      problem: {prob}"
    print(line)
    return len(problems)


def main():
    manifest = tomllib.loads((HERE / "manifest.toml").read_text())
    failures = 0
    # the hand-written bug models, with no mistake switched on, are torch.nn itself
    gen = torch.Generator().manual_seed(0)
    for mode, model in (("lstm", manual_lstm), ("gru", lambda p, x, h0, c0: manual_gru(p, x, h0))):
        p = make_params(mode, 4, 3, gen)
        x, h0, c0 = _inputs(gen, 5, 2, 4, 3)
        d, f32 = compare(model(p, x, h0, c0), torch_nn(mode, p, x, h0, c0 if mode == "lstm" else None))
        if f32 or not within(d, f32):
            print(f"BAD manual_{mode} (bug-model base) differs from torch.nn: {d}")
            failures += 1
    for name in sorted(set(ENTRY) - set(manifest)):
        print(f"BAD {name}: adapter without manifest entry")
        failures += 1
    for name, man in manifest.items():
        if name not in ENTRY:
            print(f"BAD {name}: no adapter")
            failures += 1
            continue
        if not (HERE / man["target"].split(":")[0]).exists():
            print(f"BAD {name}: missing file")
            failures += 1
            continue
        try:
            failures += run_entry(name, man)
        except Exception as exc:  # an adapter or implementation crash is a mismatch too
            print(f"BAD {name}: {type(exc).__name__}: {exc}")
            failures += 1
    n_correct = sum(m["correct"] for m in manifest.values())
    print(f"{len(manifest)} entries ({n_correct} correct, {len(manifest) - n_correct} wrong), "
          f"{failures} mismatch(es)")
    return failures


if __name__ == "__main__":
    torch.set_num_threads(1)  # tensors of a few dozen numbers: more threads only contend for the cores
    sys.exit(min(main(), 100))
