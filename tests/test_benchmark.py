"""The benchmark: the report's schema, ratios that reflect speed, what an implementation supports,
sizes it refuses or fails, and the CI comparison against a saved run. Quick sizes only."""
from __future__ import annotations

import json
import time

import pytest
import torch

from pytest_rnnconformance import implements
from pytest_rnnconformance.api import runner_for
from pytest_rnnconformance.report.benchmark import (QUICK_SIZES, BenchmarkError, compare, format_table, load_saved,
                                                    missing_entries, run_benchmark, spec_for)
from pytest_rnnconformance.reference import LSTM as ReferenceLSTM
from pytest_rnnconformance.reference import forward as reference_forward
from pytest_rnnconformance.bind.support import Support

ENTRY_KEYS = {"batch", "time", "input", "hidden", "device", "dtype", "impl_s", "torch_s", "ratio", "spread", "rounds",
              "settled"}
SLEEP_S = 0.01


@pytest.fixture(autouse=True)
def one_thread():
    """Time on one thread, as the plugin runs torch: two threads on a shared machine are noise."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def slow_lstm_forward(input, hx, params, spec):
    time.sleep(SLEEP_S)
    return reference_forward(input, hx, params, spec)


def small_lstm_forward(input, hx, params, spec):
    if spec.hidden_size > 8:
        raise NotImplementedError("hidden sizes up to 8 only")
    return reference_forward(input, hx, params, spec)


def broken_lstm_forward(input, hx, params, spec):
    raise ValueError("boom")


def skipping_lstm_forward(input, hx, params, spec):
    pytest.skip("not today")


SEEN_SPECS: list = []


@implements(batch_first=[True], bidirectional=True, unidirectional=False, dtypes=["float64"])
def narrow_lstm_forward(input, hx, params, spec):
    SEEN_SPECS.append(spec)
    return reference_forward(input, hx, params, spec)


class CountingLSTM(ReferenceLSTM):
    built = 0

    def __init__(self, *args, **kwargs):
        type(self).built += 1
        super().__init__(*args, **kwargs)


def bench(impl, mode=None, devices=("cpu",), dtypes=("float32",)) -> dict:
    """The benchmark of `impl` at the quick sizes, with a short budget per size."""
    runner = runner_for(impl, mode)
    return run_benchmark(runner.binding.prepare, runner.summary, list(devices), list(dtypes), quick=True,
                         budget_s=0.5)


def entry(ratio: float, **changes) -> dict:
    fields = dict(batch=8, time=32, input=32, hidden=64, device="cpu", dtype="float32", impl_s=ratio * 0.01,
                  torch_s=0.01, ratio=ratio, spread=0.05, rounds=7, settled=True)
    fields.update(changes)
    return fields


# --------------------------------------------------------------------------- measuring
def test_reference_entries_have_the_report_schema():
    results = bench("reference")
    assert set(results) == {"rnn", "lstm", "gru"}
    for mode, entries in results.items():
        assert [(e["batch"], e["time"], e["input"], e["hidden"]) for e in entries] == QUICK_SIZES
        for e in entries:
            assert set(e) == ENTRY_KEYS
            assert (e["device"], e["dtype"]) == ("cpu", "float32")
            assert e["impl_s"] > 0 and e["torch_s"] > 0 and e["ratio"] > 0  # the median of paired ratios
            assert e["rounds"] >= 1 and isinstance(e["settled"], bool) and e["spread"] >= 0
    assert json.loads(json.dumps(results)) == results  # goes into the JSON report as it is


def test_the_ratio_reflects_a_slow_implementation():
    fast = bench("reference", "lstm")["lstm"]
    slow = bench(slow_lstm_forward)["lstm"]
    for quick, sleepy in zip(fast, slow):
        assert sleepy["impl_s"] >= SLEEP_S  # the sleep is in the time measured
        # Slower code, larger ratio. No factor asserted: under load the reference's own ratio can
        # swing by 2x or more, and a test is not the place to measure how fast anything is.
        assert sleepy["ratio"] > quick["ratio"]


def test_sizes_the_implementation_refuses_are_left_out():
    results = bench(small_lstm_forward)
    assert [e["hidden"] for e in results["lstm"]] == [8]


@pytest.mark.parametrize("impl, message", [
    (broken_lstm_forward, "raised ValueError: boom"),
    (skipping_lstm_forward, "pytest.skip('not today') from inside the implementation"),
])
def test_a_size_that_raises_is_an_error_entry(impl, message):
    results = bench(impl)
    assert len(results["lstm"]) == len(QUICK_SIZES)
    for e in results["lstm"]:
        assert message in e["error"]
        assert not {"impl_s", "torch_s", "ratio"} & set(e)


def test_the_benchmark_keeps_to_what_the_implementation_supports():
    SEEN_SPECS.clear()
    results = bench(narrow_lstm_forward, dtypes=("float32", "float64"))
    assert {e["dtype"] for e in results["lstm"]} == {"float64"}
    assert SEEN_SPECS and all(s.batch_first and s.bidirectional and s.num_layers == 1 for s in SEEN_SPECS)


def test_spec_for_prefers_the_plainest_configuration():
    plain = spec_for(Support(), "lstm", (2, 4, 4, 8))
    assert (plain.num_layers, plain.batch_first, plain.bidirectional, plain.bias, plain.proj_size) == \
        (1, False, False, True, 0)
    narrow = Support(layouts=frozenset({True}), directions=frozenset({2}), bias=frozenset({False}),
                     proj=frozenset({True}), nonlinearities=frozenset({"relu"}))
    lstm = spec_for(narrow, "lstm", (2, 4, 4, 8))
    assert (lstm.batch_first, lstm.bidirectional, lstm.bias, lstm.proj_size) == (True, True, False, 4)
    assert spec_for(narrow, "rnn", (2, 4, 4, 8)).nonlinearity == "relu"


def test_a_module_is_built_once_per_size_not_per_call():
    runner = runner_for(CountingLSTM)
    CountingLSTM.built = 0
    results = run_benchmark(runner.binding.prepare, runner.summary, ["cpu"], ["float32"], quick=True, budget_s=0.5)
    assert len(results["lstm"]) == CountingLSTM.built == len(QUICK_SIZES)
    assert all("ratio" in e for e in results["lstm"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_is_timed_with_events():
    results = bench("reference", "lstm", devices=("cuda",), dtypes=("float16", "float32"))
    assert {(e["device"], e["dtype"]) for e in results["lstm"]} == {("cuda", "float16"), ("cuda", "float32")}
    assert all(e["impl_s"] > 0 and e["torch_s"] > 0 for e in results["lstm"])


def test_format_table_has_a_line_per_entry():
    lines = format_table({"lstm": [entry(1.5), entry(0, dtype="float64", error="raised ValueError: boom")]})
    assert "ratio" in lines[0]
    assert "lstm" in lines[1] and "15.000" in lines[1] and "1.50x" in lines[1] and "±" in lines[1]
    assert "float64" in lines[2] and "error: raised ValueError: boom" in lines[2]


# --------------------------------------------------------------------------- guarding in CI
def test_compare_flags_a_regression_beyond_the_factor_only():
    saved = {"lstm": [entry(1.5)]}
    assert compare({"lstm": [entry(1.8)]}, saved, 1.25) == []  # 1.2x worse: within
    assert compare({"lstm": [entry(1.0)]}, saved, 1.25) == []  # faster
    [line] = compare({"lstm": [entry(2.0)]}, saved, 1.25)  # 1.33x worse
    assert line.startswith("lstm cpu float32 (batch 8, time 32, input 32, hidden 64)")
    assert "ratio 2.00, saved 1.50" in line and "1.33x" in line


def test_compare_counts_a_new_error_and_only_matching_entries():
    saved = {"lstm": [entry(1.5), entry(1.5, dtype="float64")], "gru": [entry(1.0)]}
    current = {"lstm": [entry(1.5, dtype="float64", error="raised ValueError: boom"), entry(9.0, hidden=128)]}
    [line] = compare(current, saved, 1.25)
    assert "float64" in line and "now fails (raised ValueError: boom)" in line
    missing = missing_entries(current, saved)
    assert len(missing) == 2 and all("not measured now" in m for m in missing)
    assert any(m.startswith("lstm cpu float32") for m in missing) and any(m.startswith("gru") for m in missing)


def test_compare_rejects_a_factor_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        compare({}, {}, 0.9)


def test_load_saved_reads_a_report_or_a_bare_benchmark(tmp_path):
    benchmark = {"lstm": [entry(1.5)]}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"schema": 1, "features": {}, "benchmark": benchmark}))
    bare = tmp_path / "bench.json"
    bare.write_text(json.dumps(benchmark))
    assert load_saved(report) == load_saved(str(bare)) == benchmark
    assert compare(benchmark, load_saved(report), 1.0) == []


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    ("{not json", "not JSON"),
    (json.dumps({"schema": 1, "features": {}}), "without a benchmark section"),
    (json.dumps([1, 2]), "expected a JSON object"),
    (json.dumps({"lstm": {}}), "should hold a list"),
    (json.dumps({"lstm": [{"batch": 1}]}), "entry 0 of 'lstm' lacks time"),
    (json.dumps({"lstm": [{k: v for k, v in entry(1.0).items() if k != "ratio"}]}), "lacks ratio"),
])
def test_load_saved_explains_in_one_line(tmp_path, content, message):
    path = tmp_path / "saved.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BenchmarkError, match=message) as raised:
        load_saved(path)
    assert "\n" not in str(raised.value) and str(raised.value).startswith(str(path))
