"""Data- and model-parallel fit over 4 forced host CPU devices, against one-device fit.

The scenarios run in one subprocess (tests/distribution/scenarios.py): the forced device
count must be set before JAX starts, and this test process keeps its single device.
"""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("jax")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    out = tmp_path_factory.mktemp("distribution") / "scenarios.json"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "distribution", "scenarios.py"), str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text())


def scenario(found, name):
    result = found[name]
    assert "error" not in result, result.get("error")
    return result


def test_data_parallel_fit_matches_one_device(found):
    # The model has a Dropout layer: its random bits do not depend on how the batch is split.
    result = scenario(found, "data_parallel")
    assert result["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]
    assert result["weights"] < TOLERANCE
    assert result["loss"] < TOLERANCE
    assert result["predict"] < TOLERANCE and result["evaluate"] < TOLERANCE


def test_data_parallel_shardings(found):
    result = scenario(found, "data_parallel")
    # Batch inputs (x, labels) split along the batch axis; variables and slots replicated.
    assert result["data_specs"] == ["P('batch', None)", "P('batch',)"]
    assert set(result["variable_specs"]) <= {"P()", "P(None,)", "P(None, None)"}
    assert result["kernel_spec"] == [None, None] and result["kernel_devices"] == 4
    assert result["slot_devices"] == [4]
    assert result["batch_spec"] == ["batch", None] and result["batch_shards"] == [[8, 12]]
    # XLA sums the gradients across devices: all-reduces moving every parameter's gradient
    # (12*16+16 + 16*8+8 + 8*4+4 floats), plus the loss.
    reduced = sum(size for op, size in result["collectives"] if op == "all-reduce")
    assert reduced >= 4 * (12 * 16 + 16 + 16 * 8 + 8 + 8 * 4 + 4)
    assert {op for op, _ in result["collectives"]} == {"all-reduce"}


def test_steps_per_execution_under_data_parallel(found):
    assert scenario(found, "steps_per_execution")["weights"] < TOLERANCE


def test_model_parallel_fit_matches_one_device_with_a_split_kernel(found):
    result = scenario(found, "model_parallel")
    assert result["weights"] < TOLERANCE and result["loss"] < TOLERANCE and result["predict"] < TOLERANCE
    assert result["kernel_path"].endswith("/kernel")
    assert result["kernel_spec"] == [None, "model"] and result["kernel_shards"] == [[12, 8]]
    assert result["bias_spec"] == [None]  # unmatched: replicated
    assert result["slot_spec"] == [None, "model"] and result["slot_shards"] == [[12, 8]]  # follows its kernel
    assert result["data_specs"] == ["P('batch', None)", "P('batch',)"]


def test_indivisible_batches_are_clear_errors(found):
    result = scenario(found, "indivisible")
    assert "batch_size=30" in result["fit"] and "30 samples" in result["fit"] and "degree 4" in result["fit"]
    assert "10 samples" in result["last_batch"] and "degree 4" in result["last_batch"]
    assert "6 samples" in result["generator"] and "degree 4" in result["generator"]
    assert result["weights_unchanged_finite"]
