"""Serving exported files: an .onnx file through onnxruntime, and a StableHLO artifact through
`layered.export.load_stablehlo` (here a stand-in keeping its contract, so the server is tested
apart from the exporter)."""
import sys
import types

import numpy as np
import pytest

from layered.serve import load_predictor, make_server
from tests.serve.helpers import predict, request, serving

WEIGHTS = np.arange(12, dtype="float32").reshape(4, 3) / 10
BIAS = np.array([0.1, -0.2, 0.3], "float32")


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _onnx_file(path, batch="N"):
    """y = softmax(x @ W + b), and z = x @ W + b as a second output: built with onnx.helper."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch, 3]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 3])],
        initializer=[numpy_helper.from_array(WEIGHTS, "W"), numpy_helper.from_array(BIAS, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_onnx_file_is_served_with_its_signature(tmp_path):
    pytest.importorskip("onnxruntime")
    path = _onnx_file(tmp_path / "tiny.onnx")
    x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    with serving(path) as server:
        assert server.name == "tiny" and server.predictor.kind == "onnx"
        status, body = predict(server, {"instances": x.tolist()})
        assert status == 200, body
        np.testing.assert_allclose([row["probs"] for row in body["predictions"]], _softmax(x @ WEIGHTS + BIAS),
                                   atol=1e-5)
        status, body = predict(server, {"inputs": {"x": x.tolist()}})
        np.testing.assert_allclose(body["outputs"]["logits"], x @ WEIGHTS + BIAS, atol=1e-5)
        status, body = predict(server, {"instances": [[1, 2, 3]]})
        assert status == 400 and "wrong shape" in body["error"]
        status, body = request(f"{server.model_url}/metadata")
        signature = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
        assert [d["size"] for d in signature["inputs"]["x"]["tensor_shape"]["dim"]] == ["-1", "4"]
        assert sorted(signature["outputs"]) == ["logits", "probs"]


def test_onnx_file_with_a_fixed_batch_runs_in_chunks(tmp_path):
    pytest.importorskip("onnxruntime")
    predictor = load_predictor(_onnx_file(tmp_path / "fixed.onnx", batch=2))
    assert predictor.fixed_batch == 2
    x = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    probs, logits = predictor([x])
    np.testing.assert_allclose(logits, x @ WEIGHTS + BIAS, atol=1e-5)


def test_onnx_without_onnxruntime_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match="needs onnxruntime.*pip install onnxruntime"):
        make_server(path, port=0)


def _fake_export(monkeypatch, function):
    module = types.ModuleType("layered.export")
    module.load_stablehlo = lambda path: function
    monkeypatch.setitem(sys.modules, "layered.export", module)


def test_stablehlo_artifact_with_a_signature(tmp_path, monkeypatch):
    def run(a, b):
        return [a @ WEIGHTS + b[:, :1], a.sum(-1, keepdims=True)]
    run.meta = {"inputs": [{"name": "a", "dtype": "float32", "shape": [None, 4]},
                           {"name": "b", "dtype": "int32", "shape": [-1, 2]}],
                "outputs": [{"name": "y", "dtype": "float32", "shape": [None, 3]},
                            {"name": "s", "dtype": "float32", "shape": [None, 1]}]}
    _fake_export(monkeypatch, run)
    (tmp_path / "m.stablehlo").write_bytes(b"")
    a, b = np.ones((2, 4), "float32"), np.array([[1, 0], [2, 0]])
    with serving(tmp_path / "m.stablehlo") as server:
        assert server.predictor.kind == "stablehlo"
        status, body = predict(server, {"inputs": {"a": a.tolist(), "b": b.tolist()}})
        assert status == 200, body
        np.testing.assert_allclose(body["outputs"]["y"], a @ WEIGHTS + b[:, :1], atol=1e-6)
        status, body = predict(server, {"inputs": {"a": a.tolist(), "b": [[0.5, 0]] * 2}})
        assert status == 400 and "input 'b' expects integers" in body["error"]


def test_stablehlo_artifact_without_a_signature_learns_its_outputs(tmp_path, monkeypatch):
    _fake_export(monkeypatch, lambda x: x * 3)
    (tmp_path / "bare").mkdir()
    with serving(tmp_path / "bare", warmup=False) as server:
        status, body = predict(server, {"instances": [[1.0, 2.0]]})
        assert status == 200 and body == {"predictions": [[3.0, 6.0]]}
        status, body = request(f"{server.model_url}/metadata")
        assert "output" in body["metadata"]["signature_def"]["signature_def"]["serving_default"]["outputs"]


def test_missing_file_and_unknown_format_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model at"):
        make_server(tmp_path / "nothing.layered", port=0)
    with pytest.raises(ValueError, match="unknown model format 'tflite'"):
        make_server(tmp_path / "m.tflite", port=0, format="tflite")


def _exported(tmp_path, fmt):
    """A small CNN exported with `model.export`, and what `model.predict` says for a few images."""
    pytest.importorskip("layered.export")
    import layered
    from layered import layers
    layered.utils.set_random_seed(6)
    model = layered.Sequential([layered.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                                layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")])
    path = tmp_path / f"cnn.{fmt}"
    model.export(path, format=fmt, verbose=False)
    x = np.random.default_rng(7).random((3, 8, 8, 1)).astype("float32")
    return path, x, model.predict(x, verbose=0)


def test_model_exported_to_onnx_is_served_like_predict(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    path, x, expected = _exported(tmp_path, "onnx")
    with serving(path) as server:
        status, body = predict(server, {"instances": x.tolist()})
        assert status == 200, body
        np.testing.assert_allclose(body["predictions"], expected, atol=1e-5)


def test_model_exported_to_stablehlo_is_served_like_predict(tmp_path, monkeypatch):
    pytest.importorskip("jax")
    monkeypatch.setenv("LAYERED_BACKEND", "jax")
    path, x, expected = _exported(tmp_path, "stablehlo")
    with serving(path) as server:
        assert server.predictor.kind == "stablehlo"
        status, body = predict(server, {"inputs": x.tolist()})
        assert status == 200, body
        np.testing.assert_allclose(body["outputs"], expected, atol=1e-5)
        signature = request(f"{server.model_url}/metadata")[1]["metadata"]["signature_def"]["signature_def"]
        [image] = signature["serving_default"]["inputs"].values()
        assert [d["size"] for d in image["tensor_shape"]["dim"]] == ["-1", "8", "8", "1"]
