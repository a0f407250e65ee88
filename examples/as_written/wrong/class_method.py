"""class_method.py with one mistake: relu in the step where the RNN uses tanh.

    pytest --rnn-impl examples/as_written/wrong/class_method.py:CharRNN.run --rnn-bind auto
"""
import numpy as np


class CharRNN:
    def __init__(self, Wxh, Whh, bh):
        self.Wxh, self.Whh, self.bh = Wxh, Whh, bh

    def step(self, x, h):
        return np.maximum(0.0, self.Wxh @ x + self.Whh @ h + self.bh)

    def run(self, inputs, hprev):
        """inputs: (T, D), one sequence; hprev: (H,). Returns (states (T, H), last state (H,))."""
        hs = [hprev]
        for x in inputs:
            hs.append(self.step(x, hs[-1]))
        return np.stack(hs[1:]), hs[-1]
