"""RNN / LSTM / GRU forward pass that is wrong only for a batch of one (3-D input with B = 1).

Bug (row ``shape``, seen at a batch of one): whether the batch dimension added for unbatched input must be
dropped again is decided from the size, ``x.shape[1] == 1``, instead of from the input's rank, so a
batched input with one sequence comes back as if unbatched: output (T, D*Hout), h_n (L*D, Hout).
Values are right, so it is a shape mismatch of its own (DESIGN.md), the ``shape`` row's, not a value
error of the ``edge_cases`` row. Unbatched input and batches of two or more are right.

Calling convention: canonical ``forward(input, hx, params, spec, train=False)``, all three modes and
every configuration torch.nn supports; a copy of ``_correct.py`` with this one change.
"""
import torch
from torch.nn.utils.rnn import PackedSequence

WEIGHT_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


def _cell(mode, nonlinearity, x, state, w):
    """One time step. ``state`` is (h,) or (h, c); ``w`` maps the short weight names to this
    layer and direction's tensors (biases and weight_hr only when present)."""
    gi = x @ w["weight_ih"].T
    gh = state[0] @ w["weight_hh"].T
    if "bias_ih" in w:
        gi = gi + w["bias_ih"]
        gh = gh + w["bias_hh"]
    if mode == "rnn":
        pre = gi + gh
        return (torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre),)
    if mode == "gru":
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return ((1 - z) * n + z * state[0],)
    i, f, g, o = (gi + gh).chunk(4, -1)
    c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if "weight_hr" in w:
        h = h @ w["weight_hr"].T
    return (h, c)


def _unpack(packed):
    """PackedSequence -> (padded input (T, B, F) in the packed, longest-first row order, and one
    boolean mask (B, 1) per step: which rows still have a step there)."""
    sizes = packed.batch_sizes.tolist()
    steps = packed.data.split(sizes)
    batch = sizes[0]
    x = torch.stack([torch.cat([s, s.new_zeros(batch - s.shape[0], s.shape[1])]) for s in steps])
    rows = torch.arange(batch, device=packed.data.device)
    masks = [(rows < n).unsqueeze(-1) for n in sizes]
    return x, masks


def _pack(output, packed):
    """The padded output (T, B, F) back into a PackedSequence laid out like the input."""
    data = torch.cat([output[t, :n] for t, n in enumerate(packed.batch_sizes.tolist())])
    return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)


def forward(input, hx, params, spec, train=False):
    lstm = spec.mode == "lstm"
    packed = isinstance(input, PackedSequence)
    unbatched = not packed and input.dim() == 2
    masks = None
    if packed:
        x, masks = _unpack(input)
    elif unbatched:
        x = input.unsqueeze(1)
    else:
        x = input.transpose(0, 1) if spec.batch_first else input
    T, B = x.shape[0], x.shape[1]
    D = 2 if spec.bidirectional else 1
    L = spec.num_layers
    out_size = spec.proj_size if lstm and spec.proj_size > 0 else spec.hidden_size
    sizes = [out_size, spec.hidden_size] if lstm else [out_size]

    if hx is None:
        states = [x.new_zeros(L * D, B, size) for size in sizes]
    else:
        states = list(hx) if lstm else [hx]
        if unbatched:
            states = [s.unsqueeze(1) for s in states]
        elif packed and input.sorted_indices is not None:
            states = [s.index_select(1, input.sorted_indices) for s in states]

    finals = [[] for _ in sizes]
    for layer in range(L):
        if layer > 0 and train and spec.dropout > 0:
            x = torch.nn.functional.dropout(x, spec.dropout, training=True)
        outs = []
        for d in range(D):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            w = {name: params[name + suffix] for name in WEIGHT_NAMES if name + suffix in params}
            state = tuple(s[layer * D + d] for s in states)
            out = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                new = _cell(spec.mode, spec.nonlinearity, x[t], state, w)
                if masks is not None:  # rows whose sequence has ended (or not begun) keep their state
                    new = tuple(torch.where(masks[t], n, s) for n, s in zip(new, state))
                state = new
                out[t] = state[0]
            outs.append(torch.stack(out))
            for k, s in enumerate(state):
                finals[k].append(s)
        x = torch.cat(outs, -1)

    final = [torch.stack(f) for f in finals]
    if packed:
        output = _pack(x, input)
        if input.unsorted_indices is not None:
            final = [f.index_select(1, input.unsorted_indices) for f in final]
    elif x.shape[1] == 1:  # the batch of one added for unbatched input: drop it again
        output = x.squeeze(1)
        final = [f.squeeze(1) for f in final]
    else:
        output = x.transpose(0, 1) if spec.batch_first else x
    return output, (tuple(final) if lstm else final[0])
