"""A bidirectional Elman RNN (tanh), one layer, seq-first.

Bug (catalogue id ``reverse_hn_last_step``): the final hidden state of both directions is read off
the last time step of the concatenated output, ``output[-1]``.  That is right for the forward
direction, but the reverse direction finishes at time step 0: torch.nn's reverse h_n equals
``output[0, :, H:]``.  The output itself is correct; only ``h_n[1]`` is wrong (except for T == 1).

Calling convention: by-name, one layer, two directions (the ``_reverse`` weights are required),
seq-first::

    bidirectional_rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev,
                              weight_ih_reverse, weight_hh_reverse, bias_ih_reverse,
                              bias_hh_reverse, h_prev_reverse)

``input`` is (T, B, I); ``h_prev`` and ``h_prev_reverse`` are (B, H).  Returns
``(output (T, B, 2H), h_n (2, B, H))``.
"""
import torch


def _run_direction(x, h, w_ih, w_hh, b_ih, b_hh):
    outputs = []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outputs.append(h)
    return torch.stack(outputs)


def bidirectional_rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev,
                              weight_ih_reverse, weight_hh_reverse, bias_ih_reverse,
                              bias_hh_reverse, h_prev_reverse):
    hidden_size = weight_hh.shape[0]
    forward_out = _run_direction(input, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    backward_out = _run_direction(input.flip(0), h_prev_reverse, weight_ih_reverse,
                                  weight_hh_reverse, bias_ih_reverse, bias_hh_reverse).flip(0)
    output = torch.cat([forward_out, backward_out], dim=2)
    last = output[-1]
    h_n = torch.stack([last[:, :hidden_size], last[:, hidden_size:]])
    return output, h_n
