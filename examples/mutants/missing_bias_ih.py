"""An Elman RNN (tanh), one layer, batch-first, written from the textbook formula
h_t = tanh(W_ih x_t + W_hh h_{t-1} + b).

Bug (catalogue id ``missing_bias_ih``): the formula has one bias, so the author added only
``bias_hh`` and never uses ``bias_ih``.  torch.nn adds both (b_ih + b_hh), so every step is off by
b_ih from t=0; with bias=False (not accepted by this signature) it would be right.

Calling convention: by-name, one layer, one direction, batch-first::

    rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev)

``input`` is (B, T, I), ``h_prev`` is (B, H).  Returns ``(output (B, T, H), h_n (B, H))``.
"""
import torch


def rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev):
    batch_size, seq_len, _ = input.shape
    hidden_size = weight_hh.shape[0]
    h = h_prev
    outputs = input.new_zeros(batch_size, seq_len, hidden_size)
    for t in range(seq_len):
        h = torch.tanh(input[:, t] @ weight_ih.T + h @ weight_hh.T + bias_hh)
        outputs[:, t] = h
    return outputs, h
