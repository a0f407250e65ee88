"""relu: an Elman RNN with nonlinearity='relu'."""
from ..draw.cases import Dimensions
from .base import SWITCH_SHARE, Feature, needs
from .forward import check

FEATURE = Feature(
    "relu", 60, "nonlinearity='relu' (RNN and RNNCell only).",
    check, Dimensions(nonlinearity="relu"), example_share=SWITCH_SHARE, owns=("nonlinearity",), families=("rnn",),
    requires=needs(lambda s: "relu" in s.nonlinearities, "relu", "tanh only"))
