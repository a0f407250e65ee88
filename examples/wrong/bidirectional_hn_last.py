"""WRONG on purpose: the reverse direction's h_n is taken from the last time step of its output,
where the reverse pass *started*, instead of step 0, where it ended.

    pytest --rnn-impl examples/wrong/bidirectional_hn_last.py:bidirectional_rnn_forward   # fails: forward (reverse_hn_last_step); rows built on it blocked
"""
import torch


def bidirectional_rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev,
                              weight_ih_reverse, weight_hh_reverse, bias_ih_reverse, bias_hh_reverse,
                              h_prev_reverse):
    time = input.shape[1]
    h, forward_out = h_prev, []
    for t in range(time):
        h = torch.tanh(input[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        forward_out.append(h)
    h_r, reverse_out = h_prev_reverse, [None] * time
    for t in reversed(range(time)):
        h_r = torch.tanh(input[:, t] @ weight_ih_reverse.T + bias_ih_reverse + h_r @ weight_hh_reverse.T
                         + bias_hh_reverse)
        reverse_out[t] = h_r
    output = torch.cat([torch.stack(forward_out, 1), torch.stack(reverse_out, 1)], dim=-1)
    return output, torch.stack([output[:, -1, :h.shape[-1]], output[:, -1, h.shape[-1]:]])
