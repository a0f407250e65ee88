"""A GRU forward pass (any layers, both directions).

Bug (catalogue id ``gru_update_swapped``): the update gate interpolates the wrong way round,
``h' = z * n + (1 - z) * h``.  Both conventions appear in the literature; torch.nn uses
``h' = (1 - z) * n + z * h``.  Wrong from t=0 (including with zero h0, where torch.nn gives
(1 - z) * n and this gives z * n).

Calling convention: canonical, GRU only (other modes raise NotImplementedError)::

    forward(input, hx, params, spec)

Seq-first, batch-first or unbatched (2-D) input; ``hx`` may be None.  Packed sequences raise
NotImplementedError.
"""
import torch


def forward(input, hx, params, spec):
    if spec.mode != "gru":
        raise NotImplementedError("this implementation is a GRU only")
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences")
    unbatched = input.ndim == 2
    if unbatched:
        input = input[:, None, :]
        hx = hx[:, None, :] if hx is not None else None
    elif spec.batch_first:
        input = input.permute(1, 0, 2)

    seq_len, batch_size, _ = input.shape
    num_directions = 2 if spec.bidirectional else 1
    H = spec.hidden_size
    if hx is None:
        hx = torch.zeros(spec.num_layers * num_directions, batch_size, H,
                         dtype=input.dtype, device=input.device)

    layer_in = input
    h_n = []
    for layer in range(spec.num_layers):
        direction_outputs = []
        for direction in range(num_directions):
            tag = f"l{layer}{'_reverse' if direction else ''}"
            w_ih = params[f"weight_ih_{tag}"]
            w_hh = params[f"weight_hh_{tag}"]
            b_ih = params[f"bias_ih_{tag}"] if spec.bias else torch.zeros_like(w_ih[:, 0])
            b_hh = params[f"bias_hh_{tag}"] if spec.bias else torch.zeros_like(w_hh[:, 0])

            h = hx[layer * num_directions + direction]
            out = torch.empty(seq_len, batch_size, H, dtype=input.dtype, device=input.device)
            seq = range(seq_len)
            for t in (reversed(seq) if direction else seq):
                gi = layer_in[t] @ w_ih.T + b_ih
                gh = h @ w_hh.T + b_hh
                r = torch.sigmoid(gi[:, :H] + gh[:, :H])
                z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
                h = z * n + (1 - z) * h
                out[t] = h
            direction_outputs.append(out)
            h_n.append(h)
        layer_in = torch.cat(direction_outputs, dim=2)

    output, h_n = layer_in, torch.stack(h_n)
    if unbatched:
        return output[:, 0], h_n[:, 0]
    if spec.batch_first:
        output = output.permute(1, 0, 2)
    return output, h_n
