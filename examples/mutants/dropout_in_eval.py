"""RNN / LSTM / GRU forward pass (any layers, both directions, projections) with dropout between
layers, taking torch.nn's ``train`` flag.

Bug (catalogue id ``dropout_in_eval``): the dropout between layers is applied whenever
``spec.dropout > 0``, with ``training=True`` hard-coded: the ``train`` argument is accepted but
never consulted.  In evaluation mode (train=False) with dropout > 0 and two or more layers, the
input of every upper layer is randomly zeroed and rescaled by 1/(1-p) (all zero with p = 1), so
the outputs differ from torch.nn's and from call to call.  Training mode, dropout = 0 and one layer
are right (and h_n/c_n of layer 0 are always right: dropout acts on the outputs passed upward).

Calling convention: canonical, all three modes, with the training flag::

    forward(input, hx, params, spec, train=False)

Seq-first, batch-first or unbatched (2-D) input; ``hx`` may be None.  Packed sequences raise
NotImplementedError.
"""
import torch
import torch.nn.functional as F


def _step(mode, nonlinearity, x, h, c, w):
    gi = x @ w["weight_ih"].T + (w["bias_ih"] if "bias_ih" in w else 0)
    gh = h @ w["weight_hh"].T + (w["bias_hh"] if "bias_hh" in w else 0)
    if mode == "rnn":
        return (torch.relu if nonlinearity == "relu" else torch.tanh)(gi + gh), None
    if mode == "gru":
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        return (1 - z) * torch.tanh(i_n + r * h_n) + z * h, None
    i, f, g, o = (gi + gh).chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return (h @ w["weight_hr"].T if "weight_hr" in w else h), c


def forward(input, hx, params, spec, train=False):
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
        c0 = x.new_zeros(spec.num_layers * D, B, spec.hidden_size) if lstm else None
    else:
        h0, c0 = hx if lstm else (hx, None)
        if unbatched:
            h0, c0 = h0.unsqueeze(1), (c0.unsqueeze(1) if lstm else None)
    hs, cs = [], []
    for layer in range(spec.num_layers):
        if layer > 0 and spec.dropout > 0:
            x = F.dropout(x, p=spec.dropout, training=True)
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = {k[: -len(sfx)]: v for k, v in params.items() if k.endswith(sfx)}
            h, c = h0[layer * D + d], (c0[layer * D + d] if lstm else None)
            ys = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                h, c = _step(spec.mode, spec.nonlinearity, x[t], h, c, w)
                ys[t] = h
            outs.append(torch.stack(ys))
            hs.append(h)
            cs.append(c)
        x = torch.cat(outs, -1)
    h_n = torch.stack(hs)
    c_n = torch.stack(cs) if lstm else None
    if unbatched:
        x, h_n, c_n = x.squeeze(1), h_n.squeeze(1), (c_n.squeeze(1) if lstm else None)
    elif spec.batch_first:
        x = x.transpose(0, 1)
    return (x, (h_n, c_n)) if lstm else (x, h_n)
