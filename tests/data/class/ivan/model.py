"""Ivan: a folder submission whose only file does not parse."""
import torch


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh):
    h, c = initial_states
    for x in input
        pass
    return input, (h, c)
