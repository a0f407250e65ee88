"""The conformance suite: one hypothesis property per feature, one test per (mode, device, dtype).

pytest collects this file when it is run with ``--rnn-impl`` and no test paths. Each test is
parametrized by the plugin with the cells that apply to the implementation; see
``pytest_rnnconformance.features`` for what each feature draws.
"""


def test_forward(rnn_case):
    """One layer, one direction, in the layout the implementation uses."""
    rnn_case.run()


def test_layout(rnn_case):
    """batch_first=True and batch_first=False."""
    rnn_case.run()


def test_unbatched(rnn_case):
    """2-D input (time, features) with 2-D states."""
    rnn_case.run()


def test_default_state(rnn_case):
    """hx omitted: zero initial states."""
    rnn_case.run()


def test_no_bias(rnn_case):
    """bias=False."""
    rnn_case.run()


def test_relu(rnn_case):
    """nonlinearity='relu' (RNN only)."""
    rnn_case.run()


def test_multilayer(rnn_case):
    """Two or three stacked layers."""
    rnn_case.run()


def test_bidirectional(rnn_case):
    """Two directions."""
    rnn_case.run()


def test_proj(rnn_case):
    """LSTM with proj_size > 0."""
    rnn_case.run()


def test_packed(rnn_case):
    """PackedSequence input with variable lengths, sorted and unsorted (enforce_sorted=False)."""
    rnn_case.run()


def test_backward(rnn_case):
    """Gradients of a weighted loss on every output, for input, h0, c0 and every weight."""
    rnn_case.run()


def test_float64(rnn_case):
    """Any supported configuration in float64."""
    rnn_case.run()


def test_half(rnn_case):
    """float16 and bfloat16, judged against torch.nn's own error in the same dtype."""
    rnn_case.run()


def test_edge_cases(rnn_case):
    """One time step, batch of one, hidden size one, long sequences, saturating inputs."""
    rnn_case.run()


def test_continuation(rnn_case):
    """Two calls carrying the state equal one call; a sample alone equals it inside a batch."""
    rnn_case.run()


def test_shape(rnn_case):
    """Every result has exactly torch.nn's shape."""
    rnn_case.run()


def test_purity(rnn_case):
    """Inputs and weights left untouched, global torch state unchanged, the same result twice."""
    rnn_case.run()


def test_no_delegation(rnn_case):
    """No call into torch's own RNN kernels (nn.LSTM, torch._VF.lstm, the cells, cuDNN...)."""
    rnn_case.run()
