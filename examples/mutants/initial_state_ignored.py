"""An Elman RNN (tanh), one layer, batch-first, that always starts from a zero state.

Bug (catalogue id ``initial_state_ignored``): the initial state ``h_prev`` is accepted but not
used: the loop starts from ``torch.zeros_like(h_prev)``, as in the many tutorials where h0 is
always zero.  With a zero h0 (and so with hx omitted) everything is right; with any other h0
every output and h_n differ, most at t=0 and less as the state forgets it.

Calling convention: by-name, one layer, one direction, batch-first::

    rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev)

``input`` is (B, T, I), ``h_prev`` is (B, H).  Returns ``(output (B, T, H), h_n (B, H))``.
"""
import torch


def rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev):
    h = torch.zeros_like(h_prev)  # the hidden state starts at zero
    outputs = []
    for t in range(input.shape[1]):
        h = torch.tanh(input[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
