"""WRONG (batch_mixing). A canonical forward that refuses batch_first=True, draws once from the global
random generator on its first call for each size (a lazily built cache), and mixes up the batch rows of
its output. Issue 20: it passed with exit 0 as 'unbatched only'."""
import torch

_cache = {}


def forward(input, hx, params, spec):
    if spec.mode != "rnn":
        raise NotImplementedError("an Elman RNN only")
    if spec.batch_first:
        raise NotImplementedError("batch_first")
    key = tuple(input.shape)
    if key not in _cache:
        _cache[key] = torch.rand(1)  # a lazily built cache: one draw from the global generator
    H = spec.hidden_size
    w_ih, w_hh = params["weight_ih_l0"], params["weight_hh_l0"]
    b = params["bias_ih_l0"] + params["bias_hh_l0"]
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else input
    h = torch.zeros(x.shape[1], H, dtype=x.dtype) if hx is None else (hx[0].unsqueeze(0) if unbatched else hx[0])
    outs = []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ w_ih.T + h @ w_hh.T + b)
        outs.append(h)
    out = torch.stack(outs)
    if out.shape[1] > 1:
        out = out.roll(1, dims=1)  # the batch rows mixed up
    h_n = h.unsqueeze(0)
    if unbatched:
        return out.squeeze(1), h_n.squeeze(1)
    return out, h_n
