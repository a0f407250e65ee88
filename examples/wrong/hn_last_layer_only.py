"""WRONG on purpose: a multi-layer RNN / LSTM / GRU whose h_n (and c_n) keep only the last layer.

The layers are computed correctly, each from its own rows of h0, and the output is right. But the
final states are collected only from the top layer -- "the last hidden state" -- so with
num_layers = L they come back (D, B, Hout) (one direction: (1, B, Hout)) instead of torch.nn's
(L*D, B, Hout), and the states of the layers below are lost. With one layer everything is right.

No known catalogue mistake matches: it is not a layout mix-up (direction-major, batch-first) of a
complete h_n, but missing rows, so the suite must fail it without naming a cause.

    pytest --rnn-impl examples/wrong/hn_last_layer_only.py:forward     # fails: multilayer

Calling convention: canonical, all three modes: ``forward(input, hx, params, spec)``; seq-first,
batch-first or unbatched input, hx may be None. Packed sequences raise NotImplementedError.
"""
import torch


def _step(mode, nonlinearity, x, h, c, w):
    gi = x @ w["weight_ih"].T + (w["bias_ih"] if "bias_ih" in w else 0)
    gh = h @ w["weight_hh"].T + (w["bias_hh"] if "bias_hh" in w else 0)
    if mode == "rnn":
        return (torch.relu(gi + gh) if nonlinearity == "relu" else torch.tanh(gi + gh)), c
    if mode == "gru":
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        return (1 - z) * torch.tanh(i_n + r * h_n) + z * h, c
    i, f, g, o = (gi + gh).chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return (h @ w["weight_hr"].T if "weight_hr" in w else h), c


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences")
    lstm = spec.mode == "lstm"
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if spec.batch_first else input)
    T, B = x.shape[:2]
    D = 2 if spec.bidirectional else 1
    Hout = spec.proj_size if lstm and spec.proj_size else spec.hidden_size
    if hx is None:
        h0 = x.new_zeros(spec.num_layers * D, B, Hout)
        c0 = x.new_zeros(spec.num_layers * D, B, spec.hidden_size)
    else:
        h0, c0 = hx if lstm else (hx, x.new_zeros(spec.num_layers * D, B, spec.hidden_size))
        if unbatched:
            h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
    for layer in range(spec.num_layers):
        outs, hs, cs = [], [], []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = {k[: -len(sfx)]: v for k, v in params.items() if k.endswith(sfx)}
            h, c = h0[layer * D + d], c0[layer * D + d]
            ys = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                h, c = _step(spec.mode, spec.nonlinearity, x[t], h, c, w)
                ys[t] = h
            outs.append(torch.stack(ys))
            hs.append(h)
            cs.append(c)
        x = torch.cat(outs, -1)
    # the last hidden state: the top layer's (hs and cs hold the last layer's directions)
    h_n, c_n = torch.stack(hs), torch.stack(cs)
    if unbatched:
        x, h_n, c_n = x.squeeze(1), h_n.squeeze(1), c_n.squeeze(1)
    elif spec.batch_first:
        x = x.transpose(0, 1)
    return (x, (h_n, c_n)) if lstm else (x, h_n)
