"""Correct, another summation order: einsum, biases first, the recurrent term before the input term,
and the GRU update written as h + (1 - z)(n - h)."""
import torch

from _common import activate, run


def _cell(x, state, w, spec):
    h = state[0]
    b_ih = w["bias_ih"] if spec.bias else torch.zeros((), dtype=x.dtype, device=x.device)
    b_hh = w["bias_hh"] if spec.bias else torch.zeros((), dtype=x.dtype, device=x.device)
    gh = b_hh + torch.einsum("gk,bk->bg", w["weight_hh"], h)
    gi = b_ih + torch.einsum("gk,bk->bg", w["weight_ih"], x)
    if spec.mode == "rnn":
        return (activate(spec, gh + gi),)
    if spec.mode == "gru":
        (i_r, i_z, i_n), (h_r, h_z, h_n) = gi.chunk(3, -1), gh.chunk(3, -1)
        r, z = torch.sigmoid(h_r + i_r), torch.sigmoid(h_z + i_z)
        n = torch.tanh(r * h_n + i_n)
        return (h + (1 - z) * (n - h),)
    i, f, g, o = (gh + gi).chunk(4, -1)
    c = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f) * state[1]
    h = torch.tanh(c) * torch.sigmoid(o)
    return (torch.einsum("pk,bk->bp", w["weight_hr"], h) if spec.proj_size else h, c)


def forward(input, hx, params, spec):
    return run(input, hx, params, spec, _cell)
