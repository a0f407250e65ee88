"""A numpy character-level RNN class (the minimal-char-rnn style): weights given to the constructor in
torch's (out, in) layout, one unbatched sequence at a time, the entry point a method.

    pytest --rnn-impl examples/as_written/class_method.py:CharRNN.run --rnn-bind auto

(auto reads Wxh, Whh, bh; hprev is a known name for the state)
"""
import numpy as np


class CharRNN:
    def __init__(self, Wxh, Whh, bh):
        self.Wxh, self.Whh, self.bh = Wxh, Whh, bh

    def step(self, x, h):
        return np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)

    def run(self, inputs, hprev):
        """inputs: (T, D), one sequence; hprev: (H,). Returns (states (T, H), last state (H,))."""
        hs = [hprev]
        for x in inputs:
            hs.append(self.step(x, hs[-1]))
        return np.stack(hs[1:]), hs[-1]
