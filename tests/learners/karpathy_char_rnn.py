"""min-char-rnn-style numpy class (after Karpathy's gist): Wxh, Whh, bh, one unbatched sequence,
hidden states kept in a dict keyed by time; entry point is the method CharRNN.forward. Correct.
"""
import numpy as np


class CharRNN:
    def __init__(self, Wxh, Whh, bh):
        self.Wxh = Wxh  # input to hidden, (hidden_size, input_size)
        self.Whh = Whh  # hidden to hidden, (hidden_size, hidden_size)
        self.bh = bh    # hidden bias, (hidden_size,)

    def step(self, x, h):
        return np.tanh(np.dot(self.Wxh, x) + np.dot(self.Whh, h) + self.bh)

    def forward(self, inputs, hprev):
        hs = {}
        hs[-1] = np.copy(hprev)
        for t in range(len(inputs)):
            hs[t] = self.step(inputs[t], hs[t - 1])
        outputs = np.stack([hs[t] for t in range(len(inputs))])
        return outputs, hs[len(inputs) - 1]
