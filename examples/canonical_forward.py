"""The canonical convention, ``forward(input, hx, params, spec)``, for RNN, LSTM and GRU,
written independently of the bundled reference: one layer at a time, one step at a time.

    pytest --rnn-impl examples/canonical_forward.py:forward
"""
import torch


def _cell(mode, nonlinearity, x, state, w):
    gi = x @ w["weight_ih"].T + (w["bias_ih"] if "bias_ih" in w else 0)
    gh = state[0] @ w["weight_hh"].T + (w["bias_hh"] if "bias_hh" in w else 0)
    if mode == "rnn":
        h = torch.relu(gi + gh) if nonlinearity == "relu" else torch.tanh(gi + gh)
        return (h,)
    if mode == "gru":
        (i_r, i_z, i_n), (h_r, h_z, h_n) = gi.chunk(3, -1), gh.chunk(3, -1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return ((1 - z) * n + z * state[0],)
    i, f, g, o = (gi + gh).chunk(4, -1)
    c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if "weight_hr" in w:
        h = h @ w["weight_hr"].T
    return (h, c)


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences")
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if spec.batch_first else input)
    directions = 2 if spec.bidirectional else 1
    out_size = spec.proj_size or spec.hidden_size
    sizes = [out_size] + ([spec.hidden_size] if spec.mode == "lstm" else [])
    if hx is None:
        states = [x.new_zeros(spec.num_layers * directions, x.shape[1], size) for size in sizes]
    else:
        states = list(hx) if spec.mode == "lstm" else [hx]
        states = [s.unsqueeze(1) for s in states] if unbatched else states
    finals = [[] for _ in sizes]
    for layer in range(spec.num_layers):
        outs = []
        for d in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            w = {k[: -len(suffix)]: v for k, v in params.items() if k.endswith(suffix)}
            state = tuple(s[layer * directions + d] for s in states)
            steps = range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])
            out = [None] * x.shape[0]
            for t in steps:
                state = _cell(spec.mode, spec.nonlinearity, x[t], state, w)
                out[t] = state[0]
            outs.append(torch.stack(out))
            for k, s in enumerate(state):
                finals[k].append(s)
        x = torch.cat(outs, -1)
    final = [torch.stack(f) for f in finals]
    if unbatched:
        x, final = x.squeeze(1), [f.squeeze(1) for f in final]
    elif spec.batch_first:
        x = x.transpose(0, 1)
    return x, (tuple(final) if spec.mode == "lstm" else final[0])
