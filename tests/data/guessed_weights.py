"""A function whose weights have names of its own: --rnn-bind auto guesses what each holds and
leaves their storage ((out, in) or (in, out)) to the solver, one candidate binding for each."""
import torch


def rnn_forward(x, h0, Wx, Wh, b):
    h = h0
    outputs = []
    for step in x:
        h = torch.tanh(step @ Wx + h @ Wh + b)
        outputs.append(h)
    return torch.stack(outputs), h
