"""step_list.py with one mistake: each step's output is the state *before* the step (the outputs
are one step late)."""
import torch


def rnn_unrolled(inputs, h, W_xh, W_hh, b_h):
    outputs = []
    for x in inputs:
        outputs.append(h)  # mistake: appended before the update
        h = torch.tanh(x @ W_xh + h @ W_hh + b_h)
    return outputs, h
