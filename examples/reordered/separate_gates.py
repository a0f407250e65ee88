"""Correct, unfused: one matrix product per gate and per weight, biases added last."""
import torch

from _common import activate, run


def _gate(x, h, w, k, gates, spec):
    wi, wh = w["weight_ih"].chunk(gates, 0)[k], w["weight_hh"].chunk(gates, 0)[k]
    inp, rec = x @ wi.T, h @ wh.T
    if spec.bias:
        inp = inp + w["bias_ih"].chunk(gates, 0)[k]
        rec = rec + w["bias_hh"].chunk(gates, 0)[k]
    return inp, rec


def _cell(x, state, w, spec):
    h = state[0]
    if spec.mode == "rnn":
        inp, rec = _gate(x, h, w, 0, 1, spec)
        return (activate(spec, inp + rec),)
    if spec.mode == "gru":
        r = torch.sigmoid(sum(_gate(x, h, w, 0, 3, spec)))
        z = torch.sigmoid(sum(_gate(x, h, w, 1, 3, spec)))
        inp, rec = _gate(x, h, w, 2, 3, spec)
        n = torch.tanh(inp + r * rec)
        return ((1 - z) * n + z * h,)
    i, f, g, o = (sum(_gate(x, h, w, k, 4, spec)) for k in range(4))
    c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return (h @ w["weight_hr"].T if spec.proj_size else h, c)


def forward(input, hx, params, spec):
    return run(input, hx, params, spec, _cell)
