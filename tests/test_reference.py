"""The bundled reference computes what torch.nn computes, without using torch's recurrent kernels.

The reference is the oracle the conformance suite judges implementations against, so it has to be
right everywhere an implementation can be tested: every cell, every configuration flag, every
input form (padded, unbatched, packed sorted and unsorted), forward and backward, eval and
training mode. Each property draws configurations with the project's own strategies, so these
tests also exercise the strategies the suite uses.
"""
from __future__ import annotations


import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence

import pytest_rnnconformance.reference as reference
from pytest_rnnconformance.run.delegation import answer_key_calls, recorded_calls, recurrent_kernels
from pytest_rnnconformance.draw.inputs import make_inputs
from pytest_rnnconformance.reference import forward
from pytest_rnnconformance.spec import RNNSpec
from pytest_rnnconformance.strategies import inputs, specs

# `specs` arguments selecting each cell: RNN tanh and relu, LSTM without and with projection, GRU.
CELLS = {
    "rnn_tanh": dict(modes=["rnn"], nonlinearities=["tanh"]),
    "rnn_relu": dict(modes=["rnn"], nonlinearities=["relu"]),
    "lstm": dict(modes=["lstm"], proj=False),
    "lstm_proj": dict(modes=["lstm"], proj=True),
    "gru": dict(modes=["gru"]),
}

# How the input is given: recipe bounds for `inputs`.
INPUT_KINDS = {
    "batched": dict(unbatched=False),  # a 3-D tensor; batch_first is drawn with the spec
    "unbatched": dict(unbatched=True),
    "packed_sorted": dict(packed=True, enforce_sorted=True),
    "packed_unsorted": dict(packed=True, enforce_sorted=False),
}

SIZES = dict(max_input_size=4, max_hidden_size=4)

# float64 agreement: 1e-10 absolute, plus a relative 1e-12 (about 5000 ulps) because a ReLU RNN with
# saturating-scale weights legitimately grows to ~1e6 over a few steps and layers, where one ulp is
# already 1e-10. Any real mistake (a gate, a bias, a direction) is off by far more than either.
FLOAT64 = dict(atol=1e-10, rtol=1e-12)
FLOAT64_GRAD = dict(atol=1e-8, rtol=1e-10)
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


def draw_case(data, cell: str, kind: str, dtype: torch.dtype):
    """A spec of the given cell (layers, directions, layout, bias drawn) and inputs of the given kind.

    hx=None is drawn too, so every kind is also checked with default initial states.
    """
    spec = data.draw(specs(**CELLS[cell], **SIZES), label="spec")
    case = data.draw(inputs(spec, dtype=dtype, max_time=5, max_batch=3, hx_none=None, **INPUT_KINDS[kind]),
                     label="inputs")
    return spec, case


def run_torch(spec: RNNSpec, case, *, train: bool = False):
    module = spec.build_module(case.params, dtype=case.dtype)
    module.train(train)
    return module(case.input, case.hx)


def flatten(result) -> list[torch.Tensor]:
    """(output, h_n) or (output, (h_n, c_n)) as a flat list; a packed output counts by its data."""
    output, hidden = result
    if isinstance(output, PackedSequence):
        output = output.data
    states = list(hidden) if isinstance(hidden, tuple) else [hidden]
    return [output] + states


def assert_same_results(actual, expected, **tolerance) -> None:
    """Same structure, same shapes, values within `tolerance` (assert_close's defaults if none)."""
    actual_output, expected_output = actual[0], expected[0]
    assert isinstance(actual_output, PackedSequence) == isinstance(expected_output, PackedSequence)
    if isinstance(expected_output, PackedSequence):
        # The packing itself must be the caller's: same batch sizes and the same permutation.
        assert torch.equal(actual_output.batch_sizes, expected_output.batch_sizes)
        for name in ("sorted_indices", "unsorted_indices"):
            a, e = getattr(actual_output, name), getattr(expected_output, name)
            assert (a is None and e is None) or torch.equal(a, e), name
    assert type(actual[1]) is type(expected[1])  # a tuple (h, c) for LSTM, a tensor otherwise
    for name, a, e in zip(("output", "h_n", "c_n"), flatten(actual), flatten(expected)):
        assert a.dtype == e.dtype, name
        torch.testing.assert_close(a, e, msg=lambda m, name=name: f"{name}: {m}", **tolerance)


# ------------------------------------------------------------------------------------- forward values
@pytest.mark.parametrize("kind", INPUT_KINDS)
@pytest.mark.parametrize("cell", CELLS)
@FAST
@given(data=st.data())
def test_forward_matches_torch_float64(cell, kind, data):
    """In float64 the reference and torch.nn agree to rounding (`FLOAT64`), everywhere in the space."""
    spec, case = draw_case(data, cell, kind, torch.float64)
    with torch.no_grad():
        assert_same_results(forward(case.input, case.hx, case.params, spec), run_torch(spec, case),
                            **FLOAT64)


@pytest.mark.parametrize("kind", INPUT_KINDS)
@pytest.mark.parametrize("cell", CELLS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_forward_matches_torch_float32(cell, kind, data):
    """In float32 the reference is as accurate as torch.nn: the reference computes in the input's dtype.

    Both float32 results are measured against torch.nn's float64 result on the same float32 values
    (not the reference's own: a mistake in the reference would be in both). A fixed tolerance between
    the two float32 results would not do: a deep, saturated LSTM amplifies rounding, torch.nn's
    included, to ~1e-4, while a real mistake is off by ~0.1 or more.
    """
    spec, case = draw_case(data, cell, kind, torch.float32)
    with torch.no_grad():
        actual, expected = forward(case.input, case.hx, case.params, spec), run_torch(spec, case)
        exact = run_torch(spec, case.to(torch.float64))
        conditioning = rounding_sensitivity(spec, case, exact)
    assert_same_results(actual, expected, atol=float("inf"), rtol=float("inf"))  # structure, shapes, dtypes
    # The float32 floor, scaled by the result's magnitude: a ReLU RNN with large weights grows to ~1e5.
    magnitude = max(max(t.abs().max().item() for t in flatten(exact)), 1.0)
    for name, ours, theirs, truth in zip(("output", "h_n", "c_n"), flatten(actual), flatten(expected), flatten(exact)):
        our_error = (ours.double() - truth).abs().max().item() if ours.numel() else 0.0
        torch_error = (theirs.double() - truth).abs().max().item() if theirs.numel() else 0.0
        assert our_error <= 2 * torch_error + 1e-5 * magnitude + conditioning, (
            f"{name}: the reference's float32 error {our_error:.3g} exceeds torch.nn's {torch_error:.3g} "
            f"(one float32 rounding of the inputs moves the result by {conditioning:.3g})")


def test_an_ill_conditioned_float32_case_is_allowed_what_its_rounding_costs():
    """The case a CI run drew (2 layers, bidirectional, tanh at 4x scale): the reference's float32 error
    is 5x torch.nn's lucky one, and within what one rounding of the inputs moves the exact result."""
    spec = RNNSpec("rnn", 3, 2, num_layers=2, bidirectional=True)
    case = make_inputs(spec, time=3, batch=2, seed=848, scale=4.0, dtype=torch.float32)
    with torch.no_grad():
        exact = run_torch(spec, case.to(torch.float64))
        ours = flatten(forward(case.input, case.hx, case.params, spec))[0]
        theirs = flatten(run_torch(spec, case))[0]
        conditioning = rounding_sensitivity(spec, case, exact)
    our_error, torch_error = ((t.double() - exact[0]).abs().max().item() for t in (ours, theirs))
    assert our_error > 2 * torch_error + 1e-5  # the old bound alone failed it
    assert our_error <= conditioning


def rounding_sensitivity(spec: RNNSpec, case, exact, draws: int = 4) -> float:
    """How far torch.nn's float64 result moves when every float32 input and weight moves by one
    rounding (a relative eps, random sign): what rounding alone may cost any float32 computation of
    this case. Saturating weights over several layers and steps make a case ill-conditioned (one
    drawn case: 8e-5), where torch.nn's own float32 error can be lucky (6e-6) and the reference's
    equally valid rounding is not (3e-5); a real mistake is off by 0.1 or more."""
    eps = torch.finfo(torch.float32).eps
    generator = torch.Generator().manual_seed(0)
    moved = 0.0
    for _ in range(draws):
        jittered = case.to(torch.float64)
        data = jittered.input.data if isinstance(jittered.input, PackedSequence) else jittered.input
        for tensor in [data, *jittered.params.values()]:
            tensor.mul_(1 + eps * (2 * torch.rand(tensor.shape, generator=generator, dtype=torch.float64) - 1))
        moved = max(moved, *((a - b).abs().max().item() for a, b in zip(flatten(run_torch(spec, jittered)),
                                                                        flatten(exact)) if a.numel()))
    return moved


# ------------------------------------------------------------------------------------- gradients
def leaves(case):
    """Copies of every input tensor of a case as leaves requiring grad: (input, hx, params, list of leaves)."""
    def leaf(t):
        return t.detach().clone().requires_grad_(True)

    if isinstance(case.input, PackedSequence):
        data = leaf(case.input.data)
        input_ = PackedSequence(data, case.input.batch_sizes, case.input.sorted_indices,
                                case.input.unsorted_indices)
    else:
        data = input_ = leaf(case.input)
    hx = None if case.hx is None else (tuple(map(leaf, case.hx)) if isinstance(case.hx, tuple) else leaf(case.hx))
    params = {name: leaf(value) for name, value in case.params.items()}
    states = [] if hx is None else (list(hx) if isinstance(hx, tuple) else [hx])
    return input_, hx, params, [data, *states, *params.values()]


def weighted_loss(result, generator: torch.Generator) -> torch.Tensor:
    """A scalar from every output with random weights: a plain sum would hide permuted or mixed gradients."""
    return sum((t * torch.randn(t.shape, generator=generator, dtype=t.dtype)).sum() for t in flatten(result))


@pytest.mark.parametrize("kind", INPUT_KINDS)
@pytest.mark.parametrize("cell", CELLS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_gradients_match_torch_float64(cell, kind, data):
    """Autograd through the reference gives torch.nn's gradients for input, h0, c0 and every weight."""
    spec, case = draw_case(data, cell, kind, torch.float64)
    seed = data.draw(st.integers(0, 2**16), label="loss seed")

    input_, hx, params, reference_leaves = leaves(case)
    reference_loss = weighted_loss(forward(input_, hx, params, spec), torch.Generator().manual_seed(seed))
    reference_grads = torch.autograd.grad(reference_loss, reference_leaves, allow_unused=True)

    input_, hx, params, torch_leaves = leaves(case)
    module = spec.build_module(params, dtype=torch.float64).eval()
    module_params = dict(module.named_parameters())
    torch_leaves = torch_leaves[: len(torch_leaves) - len(params)] + [module_params[n] for n in params]
    torch_loss = weighted_loss(module(input_, hx), torch.Generator().manual_seed(seed))
    torch_grads = torch.autograd.grad(torch_loss, torch_leaves, allow_unused=True)

    names = ["input"] + ["h0", "c0"][: len(torch_leaves) - 1 - len(params)] + list(params)
    for name, r, t in zip(names, reference_grads, torch_grads):
        # A parameter torch leaves unused (none today) must be unused by the reference too.
        assert (r is None) == (t is None), name
        if t is not None:
            torch.testing.assert_close(r, t, **FLOAT64_GRAD, msg=lambda m, name=name: f"grad {name}: {m}")


# ------------------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_training_dropout_matches_torch_with_the_same_seed(mode, data):
    """With the same seed, the reference draws torch.nn's dropout masks (CPU), so training runs compare.

    Masks drawn in another layout (batch-major, per direction, once per sequence) give other values
    as soon as there are two steps and two rows; that dropout acts at all is checked below.
    """
    spec = data.draw(specs([mode], min_layers=2, max_layers=3, **SIZES), label="spec").replace(dropout=0.3)
    case = data.draw(inputs(spec, dtype=torch.float64, min_time=2, max_time=5, min_batch=2, max_batch=3,
                            hx_none=None), label="inputs")
    seed = data.draw(st.integers(0, 2**16), label="dropout seed")

    module = spec.build_module(case.params, dtype=case.dtype).train()  # construction draws from the RNG
    with torch.no_grad():
        torch.manual_seed(seed)
        expected = module(case.input, case.hx)
        actual = forward(case.input, case.hx, case.params, spec, training=True,
                         generator=torch.Generator().manual_seed(seed))
    assert_same_results(actual, expected, **FLOAT64)


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_dropout_acts_between_layers_and_not_on_final_states(mode):
    """Dropout changes the output in training mode only, and h_n/c_n are taken before it.

    With p=1 every layer above the first reads zeros, so the first layer's final states equal the
    eval run's while the output differs from it; torch.nn agrees on all of it.
    """
    spec = RNNSpec(mode, 3, 4, num_layers=2, dropout=1.0)
    case = make_inputs(spec, time=4, batch=2, seed=3, dtype=torch.float64)
    module = spec.build_module(case.params, dtype=torch.float64).train()
    with torch.no_grad():
        trained = forward(case.input, case.hx, case.params, spec, training=True)
        evaluated = forward(case.input, case.hx, case.params, spec)
        expected = module(case.input, case.hx)
    assert_same_results(trained, expected, **FLOAT64)
    assert not torch.allclose(trained[0], evaluated[0])
    for trained_state, evaluated_state in zip(flatten(trained)[1:], flatten(evaluated)[1:]):
        torch.testing.assert_close(trained_state[0], evaluated_state[0], atol=0, rtol=0)  # layer 0


# ------------------------------------------------------------------------------------- drop-in modules
MODULE_ARGS = [
    ("RNN", (3, 4), {}),
    ("RNN", (3, 4, 2, "relu"), {"bias": False, "batch_first": True}),
    ("RNN", (3, 4), {"num_layers": 2, "nonlinearity": "relu", "bidirectional": True, "dropout": 0.2}),
    ("LSTM", (3, 4), {}),
    ("LSTM", (3, 4, 2, True, True, 0.0, True, 2), {}),
    ("LSTM", (3, 5), {"num_layers": 3, "proj_size": 3, "bias": False, "bidirectional": True}),
    ("GRU", (3, 4), {}),
    ("GRU", (2, 3, 2, False, True, 0.1, True), {}),
    ("GRU", (3, 4), {"num_layers": 2, "batch_first": True, "dtype": torch.float64}),
]


def module_pair(name, args, kwargs):
    return getattr(reference, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


@pytest.mark.filterwarnings("ignore:dropout option adds dropout")
@pytest.mark.parametrize("name, args, kwargs", MODULE_ARGS)
def test_drop_in_module_has_torch_parameters(name, args, kwargs):
    """Same constructor, same parameter names, order, shapes and dtype, and torch.nn's initial range."""
    ours, theirs = module_pair(name, args, kwargs)
    assert [(n, p.shape, p.dtype) for n, p in ours.named_parameters()] == \
           [(n, p.shape, p.dtype) for n, p in theirs.named_parameters()]
    bound = 1 / theirs.hidden_size ** 0.5
    for n, p in ours.named_parameters():
        assert p.abs().max() <= bound, n
    assert len({p.data_ptr() for p in ours.parameters()}) == len(list(ours.parameters()))


@pytest.mark.filterwarnings("ignore:dropout option adds dropout")
@pytest.mark.parametrize("direction", ["torch_to_reference", "reference_to_torch"])
@pytest.mark.parametrize("name, args, kwargs", MODULE_ARGS)
def test_drop_in_module_loads_state_dict_and_gives_torch_results(name, args, kwargs, direction):
    """load_state_dict works both ways (strict) and the loaded pair gives the same results, eval and train."""
    ours, theirs = module_pair(name, args, kwargs)
    ours.double(), theirs.double()
    if direction == "torch_to_reference":
        ours.load_state_dict(theirs.state_dict())
    else:
        theirs.load_state_dict(ours.state_dict())
    for n, p in theirs.named_parameters():
        assert torch.equal(p, ours.get_parameter(n)), n

    spec = RNNSpec.from_module(theirs)
    case = make_inputs(spec, time=4, batch=3, seed=5, dtype=torch.float64)
    with torch.no_grad():
        for training in (False, True):
            ours.train(training), theirs.train(training)
            torch.manual_seed(11)
            actual = ours(case.input, case.hx)
            torch.manual_seed(11)
            expected = theirs(case.input, case.hx)
            assert_same_results(actual, expected, **FLOAT64)
        # hx omitted, as people call modules
        assert_same_results(ours.eval()(case.input), theirs.eval()(case.input), **FLOAT64)


# ------------------------------------------------------------------------------------- no delegation
def recorded_names(fn) -> set[str]:
    """Every torch function and ATen operator `fn` reaches (the plugin's own no_delegation recorder)."""
    return recorded_calls(fn)[1]


def forbidden(names: set[str]) -> list[str]:
    """The recorded names that are torch's recurrent kernels (lstm, gru, rnn_*, cells, cuDNN/oneDNN RNN);
    the reference's own functions, which no_delegation flags in an implementation, are the reference here."""
    kernels = recurrent_kernels(names)
    return [name for name in kernels if name not in answer_key_calls(kernels)]


@pytest.mark.parametrize("kind", ["batched", "packed_unsorted"])
@pytest.mark.parametrize("cell", CELLS)
def test_reference_never_calls_torch_recurrent_kernels(cell, kind):
    """The oracle must be independent of what it judges: no lstm/gru/rnn_* kernel, cell or cuDNN/oneDNN RNN.

    The same recorder run on torch.nn must catch its kernel, or this test could not fail.
    """
    mode = CELLS[cell]["modes"][0]
    spec = RNNSpec(mode, 3, 4, num_layers=2, bidirectional=True, proj_size=2 if cell == "lstm_proj" else 0,
                   nonlinearity=CELLS[cell].get("nonlinearities", ["tanh"])[0], dropout=0.5)
    recipe = dict(time=4, batch=3, seed=0)
    if kind.startswith("packed"):
        recipe.update(lengths=(2, 4, 1), enforce_sorted=False)
    case = make_inputs(spec, **recipe)
    leaves_case = leaves(case)

    def run_reference():
        input_, hx, params, all_leaves = leaves_case
        result = forward(input_, hx, params, spec, training=True, generator=torch.Generator().manual_seed(0))
        torch.autograd.grad(weighted_loss(result, torch.Generator().manual_seed(0)), all_leaves)

    reference_names = recorded_names(run_reference)
    assert reference_names, "the recorder saw nothing"
    assert not forbidden(reference_names)

    module = spec.build_module(case.params)
    torch_names = recorded_names(lambda: module(case.input, case.hx))
    assert forbidden(torch_names), f"the recorder does not see torch.nn's kernel: {sorted(torch_names)}"
