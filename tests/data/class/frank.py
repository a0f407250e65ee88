"""Frank: kills the process it runs in."""
import os


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh):
    os._exit(1)
