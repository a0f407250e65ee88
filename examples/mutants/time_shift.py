"""RNN / LSTM / GRU forward pass (any layers, both directions, LSTM projection).

Bug (catalogue id ``time_shift``): inside the time loop the hidden state is recorded *before* it
is updated, so ``output[t]`` holds the state before step t -- h0 at the first step -- i.e. the
output is one step late.  The final states returned are the states after the last step, so for
one layer h_n (and c_n) are right; with several layers every layer above the first consumes the
shifted sequence, so its outputs and final states are wrong too.

Calling convention: canonical, all three modes::

    forward(input, hx, params, spec)

Seq-first or batch-first 3-D input; ``hx`` may be None.  Unbatched (2-D) input and packed
sequences raise NotImplementedError.
"""
import torch


def _cell(spec, x, state, weights):
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    gi = x @ w_ih.T
    if b_ih is not None:
        gi = gi + b_ih
    if spec.mode == "lstm":
        h, c = state
        gh = h @ w_hh.T + (b_hh if b_hh is not None else 0)
        i, f, g, o = (gi + gh).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        return h, (h, c)
    h = state
    gh = h @ w_hh.T + (b_hh if b_hh is not None else 0)
    if spec.mode == "gru":
        r_i, z_i, n_i = gi.chunk(3, 1)
        r_h, z_h, n_h = gh.chunk(3, 1)
        r = torch.sigmoid(r_i + r_h)
        z = torch.sigmoid(z_i + z_h)
        h = (1 - z) * torch.tanh(n_i + r * n_h) + z * h
    elif spec.nonlinearity == "relu":
        h = torch.relu(gi + gh)
    else:
        h = torch.tanh(gi + gh)
    return h, h


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor) or input.dim() != 3:
        raise NotImplementedError("batched 3-D tensors only")
    lstm = spec.mode == "lstm"
    seq = input.transpose(0, 1) if spec.batch_first else input
    T, B, _ = seq.shape
    D = 2 if spec.bidirectional else 1
    H = spec.hidden_size
    Hout = spec.proj_size if lstm and spec.proj_size else H
    if hx is None:
        h0 = seq.new_zeros(spec.num_layers * D, B, Hout)
        c0 = seq.new_zeros(spec.num_layers * D, B, H)
    elif lstm:
        h0, c0 = hx
    else:
        h0 = hx

    final_h, final_c = [], []
    for layer in range(spec.num_layers):
        halves = []
        for d in range(D):
            s = f"_l{layer}" + ("_reverse" if d else "")
            weights = (params["weight_ih" + s], params["weight_hh" + s],
                       params.get("bias_ih" + s), params.get("bias_hh" + s), params.get("weight_hr" + s))
            k = layer * D + d
            state = (h0[k], c0[k]) if lstm else h0[k]
            h = h0[k]
            out = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                out[t] = h
                h, state = _cell(spec, seq[t], state, weights)
            halves.append(torch.stack(out))
            final_h.append(h)
            if lstm:
                final_c.append(state[1])
        seq = torch.cat(halves, dim=2)

    output = seq.transpose(0, 1) if spec.batch_first else seq
    h_n = torch.stack(final_h)
    return (output, (h_n, torch.stack(final_c))) if lstm else (output, h_n)
