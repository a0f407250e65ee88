"""An RNN that returns its outputs as a Python list, one tensor per time step (torch, batched,
sequence first, weights stored (in, out) so that a step is ``x @ W_xh``).

    pytest --rnn-impl examples/courses/step_list.py:rnn_unrolled \
      --rnn-bind "inputs=input,h=h0,W_xh=weight_ih.T,W_hh=weight_hh.T,b_h=bias_ih+bias_hh" \
      --rnn-returns "output_list,h_n"
"""
import torch


def rnn_unrolled(inputs, h, W_xh, W_hh, b_h):
    outputs = []
    for x in inputs:
        h = torch.tanh(x @ W_xh + h @ W_hh + b_h)
        outputs.append(h)
    return outputs, h
