"""Correct, fused: one matrix product per step on [x, h] against [W_ih, W_hh] (and one bias)."""
import torch

from _common import activate, run


def _cell(x, state, w, spec):
    h = state[0]
    weight = torch.cat([w["weight_ih"], w["weight_hh"]], dim=1)
    pre = torch.cat([x, h], dim=-1) @ weight.T
    if spec.mode == "gru":  # the n gate keeps its recurrent part apart: r scales it
        gi = x @ w["weight_ih"].T + (w["bias_ih"] if spec.bias else 0)
        gh = h @ w["weight_hh"].T + (w["bias_hh"] if spec.bias else 0)
        r, z = torch.sigmoid(gi[..., : 2 * spec.hidden_size] + gh[..., : 2 * spec.hidden_size]).chunk(2, -1)
        n = torch.tanh(gi[..., 2 * spec.hidden_size:] + r * gh[..., 2 * spec.hidden_size:])
        return ((1 - z) * n + z * h,)
    if spec.bias:
        pre = pre + (w["bias_ih"] + w["bias_hh"])
    if spec.mode == "rnn":
        return (activate(spec, pre),)
    i, f, g, o = pre.chunk(4, -1)
    c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return (h @ w["weight_hr"].T if spec.proj_size else h, c)


def forward(input, hx, params, spec):
    return run(input, hx, params, spec, _cell)
