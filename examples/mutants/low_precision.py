"""RNN / LSTM / GRU forward pass (any layers, both directions, LSTM projection) that runs its
arithmetic in bfloat16 "for speed and memory".

Bug (catalogue id ``low_precision``): the input, the initial states and every weight are cast to
``torch.bfloat16`` and the whole recurrence is computed in bfloat16; only the results are cast
back to the input's dtype.  The returned tensors have the right dtype and shape, but carry
bfloat16 rounding (about 1e-2 relative), far more than a float32 -- let alone float64 --
computation is allowed.  Nothing else is wrong.

Calling convention: canonical, all three modes::

    forward(input, hx, params, spec)

Seq-first, batch-first or unbatched (2-D) input; ``hx`` may be None.  Packed sequences raise
NotImplementedError.
"""
import torch

COMPUTE_DTYPE = torch.bfloat16


def _run_cell(mode, nonlinearity, x, h, c, w):
    if mode == "gru":
        gi = x @ w["weight_ih"].T
        gh = h @ w["weight_hh"].T
        if "bias_ih" in w:
            gi = gi + w["bias_ih"]
            gh = gh + w["bias_hh"]
        H = h.shape[-1]
        r = torch.sigmoid(gi[..., :H] + gh[..., :H])
        z = torch.sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
        n = torch.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
        return (1 - z) * n + z * h, None
    gates = x @ w["weight_ih"].T + h @ w["weight_hh"].T
    if "bias_ih" in w:
        gates = gates + w["bias_ih"] + w["bias_hh"]
    if mode == "rnn":
        return (torch.relu(gates) if nonlinearity == "relu" else torch.tanh(gates)), None
    i, f, g, o = gates.chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if "weight_hr" in w:
        h = h @ w["weight_hr"].T
    return h, c


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences are not supported")
    out_dtype = input.dtype
    lstm = spec.mode == "lstm"
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if spec.batch_first else input)
    T, B = x.shape[0], x.shape[1]
    D = 2 if spec.bidirectional else 1
    Hout = spec.proj_size if lstm and spec.proj_size > 0 else spec.hidden_size

    if hx is None:
        h0 = x.new_zeros(spec.num_layers * D, B, Hout)
        c0 = x.new_zeros(spec.num_layers * D, B, spec.hidden_size) if lstm else None
    else:
        h0, c0 = hx if lstm else (hx, None)
        if unbatched:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if c0 is not None else None

    # compute in reduced precision
    x = x.to(COMPUTE_DTYPE)
    h0 = h0.to(COMPUTE_DTYPE)
    c0 = c0.to(COMPUTE_DTYPE) if c0 is not None else None
    weights = {name: p.to(COMPUTE_DTYPE) for name, p in params.items()}

    hs, cs = [], []
    for layer in range(spec.num_layers):
        outs = []
        for d in range(D):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            w = {name[: -len(suffix)]: p for name, p in weights.items() if name.endswith(suffix)}
            h = h0[layer * D + d]
            c = c0[layer * D + d] if lstm else None
            ys = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                h, c = _run_cell(spec.mode, spec.nonlinearity, x[t], h, c, w)
                ys[t] = h
            outs.append(torch.stack(ys))
            hs.append(h)
            cs.append(c)
        x = torch.cat(outs, dim=-1)

    output = x.to(out_dtype)
    h_n = torch.stack(hs).to(out_dtype)
    c_n = torch.stack(cs).to(out_dtype) if lstm else None
    if unbatched:
        output, h_n = output.squeeze(1), h_n.squeeze(1)
        c_n = c_n.squeeze(1) if lstm else None
    elif spec.batch_first:
        output = output.transpose(0, 1)
    return (output, (h_n, c_n)) if lstm else (output, h_n)
