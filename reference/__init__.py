"""The reference RNN, LSTM and GRU: what torch.nn computes, written to be read.

Read it in this order, one idea per file:

1. ``cells.py``     one time step of each cell: the equations.
2. ``direction.py`` one cell run over time, forwards or backwards.
3. ``stack.py``     layers on top of each other, two directions side by side, dropout between.
4. ``packed.py``    sequences of different lengths in one batch.
5. ``forward.py``   torch.nn's interface (batch_first, unbatched input, hx=None) around all that.
6. ``modules.py``   the same as drop-in nn.Modules.

It is the oracle the conformance suite checks implementations against, so it never calls torch's
own recurrent kernels (nn.RNN/LSTM/GRU, their cells, ``torch._VF``): only matrix products and
element-wise functions.
"""
from .cells import Cell, LayerWeights, cell_for
from .forward import forward
from .modules import GRU, LSTM, RNN

__all__ = ["forward", "RNN", "LSTM", "GRU", "Cell", "LayerWeights", "cell_for"]
