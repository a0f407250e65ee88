"""Hank: a folder whose function has another name than the assignment asks for."""


def my_lstm(input, initial_states, w_ih, w_hh, b_ih, b_hh):
    raise NotImplementedError
