"""A canonical GRU that accepts packed sequences by padding them and running every padded step.

Bug (catalogue id ``packed_padding_run``): ``pad_packed_sequence`` gives a padded batch, and the
time loop then runs over the padding as if it were input. The forward outputs of the real steps
are right, but each shorter sequence's h_n is the state after the padding, and the reverse
direction starts in the padding instead of at the sequence's own last step.
Convention: canonical ``forward(input, hx, params, spec)``, GRU only, packed and plain input.
"""
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


def _gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    gi = x @ w_ih.T + (b_ih if b_ih is not None else 0)
    gh = h @ w_hh.T + (b_hh if b_hh is not None else 0)
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = gh.chunk(3, -1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


def forward(input, hx, params, spec):
    if spec.mode != "gru" or spec.num_layers != 1:
        raise NotImplementedError("one-layer GRU only")
    packed = isinstance(input, PackedSequence)
    if packed:
        x, lengths = pad_packed_sequence(input)  # (time, batch, features), padding included
    elif input.dim() == 3:
        x = input.transpose(0, 1) if spec.batch_first else input
    else:
        raise NotImplementedError("unbatched input")
    directions = 2 if spec.bidirectional else 1
    if hx is None:
        hx = x.new_zeros(directions, x.shape[1], spec.hidden_size)
    outputs, finals = [], []
    for d in range(directions):
        suffix = "_l0" + ("_reverse" if d else "")
        w = [params.get(name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h, out = hx[d], [None] * x.shape[0]
        for t in (reversed(range(x.shape[0])) if d else range(x.shape[0])):
            h = _gru_step(x[t], h, *w)
            out[t] = h
        outputs.append(torch.stack(out))
        finals.append(h)
    output = torch.cat(outputs, -1)
    if packed:
        output = pack_padded_sequence(output, lengths, enforce_sorted=False)
    elif spec.batch_first:
        output = output.transpose(0, 1)
    return output, torch.stack(finals)
