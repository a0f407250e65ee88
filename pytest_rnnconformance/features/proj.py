"""proj: an LSTM with proj_size > 0 (LSTMP)."""
from ..draw.cases import Dimensions
from .base import Feature, needs
from .forward import check

FEATURE = Feature(
    "proj", 90,
    "proj_size > 0 (LSTM only): h = (o ⊙ tanh(c)) W_hrᵀ, so h, h_n and the output have proj_size features "
    "while c keeps hidden_size.",
    check, Dimensions(proj=True), owns=("proj",), families=("lstm",), sequences_only=True,
    requires=needs(lambda s: True in s.proj, "proj", "no projection"))
