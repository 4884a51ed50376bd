"""ONNX export: onnxruntime reproduces `predict`, per model kind and per primitive."""
import builtins
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import layered  # noqa: E402
from layered import export, layers, ops  # noqa: E402
from layered.export import onnx as onnx_export  # noqa: E402
from layered.export.graph import InferenceGraph  # noqa: E402
from layered.graph import build as b  # noqa: E402
from layered.graph.core import Placeholder  # noqa: E402
from layered.graph.graph import Graph  # noqa: E402
from layered.graph.primitives import PRIMITIVES  # noqa: E402
from tests.export import models  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _load_checked(path):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)  # full_check runs strict shape inference too
    return model


# ---------------------------------------------------------------- whole models

# Every model on the NumPy backend; on JAX (weights held as jax arrays) two of them, since
# the ONNX file does not depend on the backend and JAX's compiles are the slow part here.
CASES_BY_BACKEND = [("numpy", name) for name in sorted(models.MODELS)] + [("jax", "cnn"), ("jax", "two_in_two_out")]


@pytest.mark.parametrize("backend_name, name", CASES_BY_BACKEND)
def test_onnxruntime_matches_predict(backend_name, name, monkeypatch, tmp_path):
    if backend_name == "jax":
        pytest.importorskip("jax")
    monkeypatch.setenv("LAYERED_BACKEND", backend_name)
    model, inputs = models.build(name)
    path = tmp_path / f"{name}.onnx"
    model.export(path, verbose=False)
    proto = _load_checked(path)
    assert proto.opset_import[0].version >= 17
    input_names = [i.name for i in proto.graph.input]
    output_names = [o.name for o in proto.graph.output]
    if model.inputs is not None:  # functional and Sequential: named after the model's tensors
        assert input_names == model.input_names
        assert output_names == model.output_names
    for value in list(proto.graph.input) + list(proto.graph.output):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    session = _session(path)
    for n in (3, models.BATCH):  # two batch sizes, one file
        expected = models.as_list(model.predict(models.feed(inputs, n), verbose=0))
        got = session.run(None, {k: x[:n] for k, x in zip(input_names, inputs)})
        assert len(got) == len(expected)
        for e, g in zip(expected, got):
            np.testing.assert_allclose(g, e, **TOL)


def test_node_names_carry_layer_scopes(tmp_path):
    model, _ = models.build("cnn")
    model.export(tmp_path / "cnn.onnx", verbose=False)
    proto = onnx.load(str(tmp_path / "cnn.onnx"))
    names = [n.name for n in proto.graph.node]
    assert len(set(names)) == len(names)
    conv, norm = model.layers[0].name, model.layers[1].name
    assert f"{model.name}/{conv}/Conv" in names
    assert any(n.startswith(f"{model.name}/{norm}/") for n in names)
    assert {i.name for i in proto.graph.initializer} >= {w.path for w in model.weights}
    # Dropout is off at inference: no random op, and nothing of it reaches the file.
    assert not any(n.op_type.startswith("Random") for n in proto.graph.node)


def test_scan_body_keeps_scopes(tmp_path):
    model, _ = models.build("recurrent")
    model.export(tmp_path / "rnn.onnx", verbose=False)
    proto = onnx.load(str(tmp_path / "rnn.onnx"))
    scans = [n for n in proto.graph.node if n.op_type == "Scan"]
    assert len(scans) == 4  # forward and backward LSTM, GRU, SimpleRNN
    body = scans[0].attribute[0].g
    assert body.node and all(n.name.startswith(scans[0].name.rsplit("/", 1)[0]) for n in body.node)


def test_subclassed_model_with_input_signature(tmp_path):
    class Classifier(layered.Model):
        def __init__(self):
            super().__init__()
            self.embed = layers.Embedding(10, 3)
            self.out = layers.Dense(2)

        def call(self, inputs):
            return self.out(ops.mean(self.embed(inputs), axis=1))

    model = Classifier()
    tokens = np.random.default_rng(0).integers(0, 10, size=(4, 5)).astype("int32")
    expected = model.predict(tokens, verbose=0)
    path = tmp_path / "sub.onnx"
    model.export(path, verbose=False, input_signature=[layered.Input(shape=(5,), dtype="int32")])
    proto = _load_checked(path)
    assert [i.name for i in proto.graph.input] == ["input"] and [o.name for o in proto.graph.output] == ["output_0"]
    np.testing.assert_allclose(_session(path).run(None, {"input": tokens})[0], expected, **TOL)


# ---------------------------------------------------------------- primitive by primitive

def _positive(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype("float32")


def _normal(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _ints(shape, low, high, seed=0):
    return np.random.default_rng(seed).integers(low, high, size=shape).astype("int32")


def _unary_case(name, positive=False):
    return name, lambda x: getattr(b, name)(x), [(_positive if positive else _normal)((4, 3))]


def _binary_case(name, positive=False):
    make = _positive if positive else _normal
    return name, lambda x, y: getattr(b, name)(x, y), [make((4, 3)), make((3,), 1)]


def _conv_transpose(x, w, strides, padding, output_padding=None):
    return layered.convolution.conv_transpose(x, w, strides=strides, padding=padding, output_padding=output_padding)


def _scan_reverse(x):
    # A reverse scan with a carry, per-step outputs and an invariant read from outside.
    w = b.as_tensor(np.float32(0.5))
    final, ys = ops.scan(lambda c, xt: (c * w + xt, ops.tanh(c + xt)), ops.zeros_like(x[:, 0]),
                         b.transpose(x, (1, 0, 2)), reverse=True)
    return [final, b.transpose(ys, (1, 0, 2))]


def _scan_length(x):
    final, ys = ops.scan(lambda c, _: (c * 0.5 + 1.0, c), x, None, length=3)
    return [final, b.transpose(ys, (1, 0, 2))]


# (primitive[:variant], build(*placeholders) -> tensor(s), sample arrays: the first axis of each is the batch)
CASES = [
    *[_unary_case(n) for n in ("neg", "exp", "tanh", "logistic", "abs", "sign", "square", "erf", "sin", "cos",
                               "floor")],
    *[_unary_case(n, positive=True) for n in ("log", "log1p", "sqrt", "rsqrt", "reciprocal")],
    *[_binary_case(n) for n in ("add", "sub", "mul", "div", "maximum", "minimum")],
    _binary_case("pow", positive=True),
    *[(n, lambda x, y, n=n: getattr(b, n)(x, b.floor(y)), [_ints((4, 3), 0, 3).astype("float32"),
                                                           _ints((3,), 0, 3, 1).astype("float32")])
      for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")],
    ("logical_and", lambda x, y: b.logical_and(x > 0.0, y > 0.0), [_normal((4, 3)), _normal((4, 3), 1)]),
    ("logical_or", lambda x, y: b.logical_or(x > 0.0, y > 0.0), [_normal((4, 3)), _normal((4, 3), 1)]),
    ("logical_not", lambda x: b.logical_not(x > 0.0), [_normal((4, 3))]),
    ("where", lambda x, y: b.where(x > y, x, y * 2.0), [_normal((4, 3)), _normal((4, 3), 1)]),
    ("reduce_sum", lambda x: b.reduce_sum(x, (1, 2)), [_normal((4, 3, 2))]),
    ("reduce_max", lambda x: b.reduce_max(x, (2,), keepdims=True), [_normal((4, 3, 2))]),
    ("reduce_min", lambda x: b.reduce_min(x, (1,)), [_normal((4, 3, 2))]),
    ("argmax", lambda x: b.argmax(x, -1), [_normal((4, 5))]),
    ("argmin", lambda x: b.argmin(x, 1), [_normal((4, 5))]),
    ("reshape", lambda x, y: b.reshape(x, (None, 2, 3), like=y) + y, [_normal((4, 6)), _normal((4, 2, 3), 1)]),
    ("reshape:minus_one", lambda x: b.reshape(x, (-1, 3)), [_normal((4, 6))]),
    ("transpose", lambda x: b.transpose(x, (0, 2, 1)), [_normal((4, 3, 2))]),
    ("broadcast_to", lambda x, y: b.broadcast_to(b.reshape(x, (-1, 1, 3)), (None, 2, 3), like=y),
     [_normal((4, 3)), _normal((4, 2, 3), 1)]),
    ("slice", lambda x: b.slice(x, (0, 1, 0), (None, 6, 2), (1, 2, 1)), [_normal((4, 7, 2))]),
    ("concatenate", lambda x, y: b.concatenate([x, y, x], axis=1), [_normal((4, 3)), _normal((4, 2), 1)]),
    ("pad", lambda x: b.pad(x, (0, 1, 2), (0, 2, 0), (0, 1, 2)), [_normal((4, 3, 2))]),
    ("take", lambda x, i: b.take(b.reduce_sum(x, (0,)), i, axis=0), [_normal((4, 5, 3)), _ints((4, 2), 0, 5)]),
    ("scatter_add", lambda x: b.scatter_add(x, np.array([1, 4, 1], np.int32), b.ones_like(x[:, :3]) * 3.0, axis=1),
     [_normal((4, 5))]),
    ("one_hot", lambda i: b.one_hot(i, 4), [_ints((5,), -2, 6)]),
    ("matmul", lambda x, y: b.matmul(x, b.reduce_sum(y, (0,))), [_normal((4, 2, 3)), _normal((4, 3, 5), 1)]),
    ("cast", lambda x: b.cast(b.cast(x * 3.0, "int32"), "float32"), [_normal((4, 3))]),
    ("stop_gradient", lambda x: b.stop_gradient(x) + 1.0, [_normal((4, 3))]),
    ("conv", lambda x: b.conv(x, b.as_tensor(_normal((3, 4, 2), 2)), strides=2, padding=((2, 1),), rhs_dilation=1),
     [_normal((4, 9, 4))]),
    ("conv:grouped_dilated", lambda x: b.conv(x, b.as_tensor(_normal((2, 2, 2, 6), 2)), padding=((1, 1), (0, 2)),
                                              rhs_dilation=(2, 1), feature_group_count=2), [_normal((4, 5, 6, 4))]),
    ("conv_backprop_input", lambda x: _conv_transpose(x, b.as_tensor(_normal((3, 3, 2, 4), 2)), 2, "valid"),
     [_normal((4, 4, 5, 4))]),
    ("conv_backprop_input:same", lambda x: _conv_transpose(x, b.as_tensor(_normal((4, 2, 3), 2)), 3, "same"),
     [_normal((4, 5, 3))]),
    # Rows no window reaches come back as ConvTranspose's output_padding.
    ("conv_backprop_input:output_padding",
     lambda x: _conv_transpose(x, b.as_tensor(_normal((3, 2, 4), 2)), 2, "valid", output_padding=1),
     [_normal((4, 4, 4))]),
    ("max_pool", lambda x: b.max_pool(x, (2, 3), (2, 1), ((0, 1), (1, 1))), [_normal((4, 5, 5, 2))]),
    ("avg_pool", lambda x: b.avg_pool(x, (3,), (2,), ((1, 1),)), [_normal((4, 6, 2))]),
    ("scan", _scan_reverse, [_normal((4, 5, 3))]),
    ("scan:length", _scan_length, [_normal((4, 3))]),
]


def _case_graph(build, arrays):
    placeholders = [Placeholder((None,) + a.shape[1:], a.dtype.name, name=f"x{i}") for i, a in enumerate(arrays)]
    outputs = build(*placeholders)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    return placeholders, outputs


@pytest.mark.parametrize("name, build, arrays", CASES, ids=[c[0] for c in CASES])
def test_primitive_matches_backend(name, build, arrays):
    placeholders, outputs = _case_graph(build, arrays)
    exported = InferenceGraph(Graph(placeholders, outputs), placeholders, [], None,
                              [p.name for p in placeholders], [f"y{i}" for i in range(len(outputs))], False)
    proto = onnx_export.to_onnx(exported)
    onnx.checker.check_model(proto, full_check=True)
    assert name.split(":")[0] in {n.primitive.name for n in exported.graph.nodes}
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    reference = layered.function(placeholders, outputs)
    for n in (1, 3):  # the batch stays dynamic
        feeds = [a[:n] for a in arrays]
        expected = reference(*feeds)
        got = session.run(None, {p.name: a for p, a in zip(placeholders, feeds)})
        for e, g in zip(expected, got):
            assert g.dtype == e.dtype, (g.dtype, e.dtype)
            np.testing.assert_allclose(g, e, **TOL)


def test_every_primitive_is_mapped_or_refused():
    assert set(onnx_export.RULES) | set(onnx_export.UNSUPPORTED) == set(PRIMITIVES)
    assert not set(onnx_export.RULES) & set(onnx_export.UNSUPPORTED)


# ---------------------------------------------------------------- errors

def test_unmapped_primitive_names_primitive_and_layer(monkeypatch, tmp_path):
    model, _ = models.build("two_in_two_out")
    monkeypatch.delitem(onnx_export.RULES, "matmul")
    with pytest.raises(export.UnsupportedPrimitiveError, match=r"primitive 'matmul' of layer 'dense_?\d*'"):
        model.export(tmp_path / "m.onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def test_random_op_at_inference_is_refused(tmp_path):
    class AlwaysNoisy(layers.Layer):
        def call(self, inputs):
            seed, salt = layered.random.next_seed("noise")
            return inputs + b.random_normal(seed, inputs.shape, inputs.dtype, salt=salt, like=inputs)

    with layered.random.seed_stream():  # building the model traces the layer once
        model = layered.Sequential([layered.Input(shape=(3,)), layers.Dense(2), AlwaysNoisy(name="always_noisy")])
    with pytest.raises(export.UnsupportedPrimitiveError,
                       match="primitive 'random_normal' of layer 'always_noisy'.*random op is active"):
        model.export(tmp_path / "noisy.onnx", verbose=False)


def test_unknown_format_lists_valid_ones(tmp_path):
    model, _ = models.build("subclassed")
    with pytest.raises(ValueError, match=r"unknown export format 'tflite'; valid formats: onnx, stablehlo"):
        model.export(tmp_path / "m.tflite", format="tflite")


def test_missing_onnx_says_how_to_install(monkeypatch, tmp_path):
    model, _ = models.build("subclassed")
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "onnx", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ImportError, match=r"pip install 'layered\[onnx\]'"):
        model.export(tmp_path / "m.onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def test_importing_layered_imports_no_onnx():
    import subprocess
    code = ("import sys, layered, layered.export; "
            "assert not any(m.split('.')[0] in ('onnx', 'onnxruntime', 'jax') for m in sys.modules), 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
