"""A hand-written peephole LSTM in the canonical convention, ``forward(input, hx, params, spec)``.

What a kernel author would bring: any number of layers, both directions, either layout, unbatched
input, hx omitted, bias=False, and PackedSequence input. The weights are torch.nn's LSTM weights
(``weight_ih_l0``...) plus three peephole vectors per layer and direction: ``weight_ci_l0``,
``weight_cf_l0``, ``weight_co_l0`` (and ``..._reverse``). Registered by ``conftest.py`` next to it.
"""
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from pytest_rnnconformance import implements


def _layer(x, h, c, lengths, w):
    """One direction of one layer over (time, batch, features); padded steps leave the state alone."""
    gates_x = x @ w["weight_ih"].T
    if "bias_ih" in w:
        gates_x = gates_x + w["bias_ih"] + w["bias_hh"]
    out = x.new_zeros(x.shape[0], x.shape[1], h.shape[-1])
    for t in range(x.shape[0]):
        i, f, g, o = (gates_x[t] + h @ w["weight_hh"].T).chunk(4, -1)
        i = torch.sigmoid(i + w["weight_ci"] * c)
        f = torch.sigmoid(f + w["weight_cf"] * c)
        c_new = f * c + i * torch.tanh(g)
        o = torch.sigmoid(o + w["weight_co"] * c_new)
        h_new = o * torch.tanh(c_new)
        running = (t < lengths).unsqueeze(-1)
        h, c = torch.where(running, h_new, h), torch.where(running, c_new, c)
        out[t] = torch.where(running, h_new, torch.zeros_like(h_new))
    return out, h, c


@implements(modes=["peephole_lstm"], proj=False)
def forward(input, hx, params, spec):
    packed = isinstance(input, PackedSequence)
    unbatched = not packed and input.dim() == 2
    if packed:
        x, lengths = pad_packed_sequence(input)
    else:
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if spec.batch_first else input)
        lengths = torch.full((x.shape[1],), x.shape[0])
    # The reverse direction of a shorter sequence starts at its own last step: reverse within lengths.
    steps = torch.arange(x.shape[0]).unsqueeze(1)
    within = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (time, batch)

    def flip(t):
        return t.gather(0, within.unsqueeze(-1).expand_as(t).to(t.device))

    directions = 2 if spec.bidirectional else 1
    shape = (spec.num_layers * directions, x.shape[1], spec.hidden_size)
    if hx is None:
        h0 = c0 = x.new_zeros(shape)
    else:
        h0, c0 = (s.unsqueeze(1) for s in hx) if unbatched else hx
    lengths = lengths.to(x.device)
    h_n, c_n, layer_input = [], [], x
    for layer in range(spec.num_layers):
        outputs = []
        for d in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            w = {name[: -len(suffix)]: p for name, p in params.items() if name.endswith(suffix)}
            k = layer * directions + d
            seq = flip(layer_input) if d else layer_input
            out, h, c = _layer(seq, h0[k], c0[k], lengths, w)
            outputs.append(flip(out) if d else out)
            h_n.append(h)
            c_n.append(c)
        layer_input = torch.cat(outputs, -1)
    h_n, c_n = torch.stack(h_n), torch.stack(c_n)
    if packed:
        return pack_padded_sequence(layer_input, lengths.cpu(), enforce_sorted=False), (h_n, c_n)
    if unbatched:
        return layer_input.squeeze(1), (h_n.squeeze(1), c_n.squeeze(1))
    return (layer_input.transpose(0, 1) if spec.batch_first else layer_input), (h_n, c_n)
