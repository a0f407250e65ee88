"""Correct, more precise: every step computed in float64, rounded back to the input dtype."""
import torch

from _common import activate, run


def _cell(x, state, w, spec):
    dtype = x.dtype
    x, state = x.double(), tuple(s.double() for s in state)
    w = {k: v.double() for k, v in w.items()}
    h = state[0]
    gi = x @ w["weight_ih"].T + (w["bias_ih"] if spec.bias else 0)
    gh = h @ w["weight_hh"].T + (w["bias_hh"] if spec.bias else 0)
    if spec.mode == "rnn":
        new = (activate(spec, gi + gh),)
    elif spec.mode == "gru":
        (i_r, i_z, i_n), (h_r, h_z, h_n) = gi.chunk(3, -1), gh.chunk(3, -1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        new = ((1 - z) * n + z * h,)
    else:
        i, f, g, o = (gi + gh).chunk(4, -1)
        c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        new = (h @ w["weight_hr"].T if spec.proj_size else h, c)
    return tuple(s.to(dtype) for s in new)


def forward(input, hx, params, spec):
    return run(input, hx, params, spec, _cell)
