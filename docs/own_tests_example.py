import torch
from hypothesis import given, settings, strategies as st

from pytest_rnnconformance import rnn_check
from pytest_rnnconformance.strategies import inputs, specs

IMPL = "my_lstm.py:lstm_forward"  # yours: file.py:function, a module class, a Class.method


@settings(deadline=None)  # the first example binds IMPL and warms torch up: no per-example deadline
@given(data=st.data())
def test_my_lstm_matches_torch(data):
    spec = data.draw(specs(supported_by=IMPL))  # only what IMPL takes: here one layer, one direction
    case = data.draw(inputs(spec, dtype=torch.float64, supported_by=IMPL))
    rnn_check(IMPL, spec, case)  # raises with the suite's message where it differs from torch.nn
