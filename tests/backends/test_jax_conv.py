"""The JAX backend's two convolution lowerings (XLA conv, patches + matmul) and the choice between them."""
import numpy as np
import pytest

import backends
import layered
from layered.graph import Graph, autodiff, build as b

jax = pytest.importorskip("jax")
from backends.jax import conv as jax_conv  # noqa: E402

rng = np.random.default_rng(3)
ATTRS = dict(strides=(2, 1), padding=((1, 1), (0, 2)), rhs_dilation=(1, 2), feature_group_count=2)


def conv_and_gradients():
    x, w = layered.placeholder((2, 7, 6, 4)), layered.placeholder((3, 2, 2, 6))
    y = b.conv(x, w, **ATTRS)
    loss = layered.ops.sum(b.square(y))
    dx, dw = autodiff.grad(loss, [x, w])
    [ddw] = autodiff.grad(layered.ops.sum(dx), [w])  # conv_backprop_input's own VJP
    arrays = [rng.normal(size=(2, 7, 6, 4)).astype("float32"), rng.normal(size=(3, 2, 2, 6)).astype("float32")]
    return Graph([x, w], [y, dx, dw, ddw]), arrays


@pytest.mark.parametrize("mode", ["xla", "patches", "auto"])
def test_each_lowering_matches_the_numpy_engine(monkeypatch, mode):
    monkeypatch.setenv("LAYERED_JAX_CONV", mode)
    graph, arrays = conv_and_gradients()
    expected = backends.get("numpy").compile(graph)(*arrays)
    got = backends.get("jax").compile(graph)(*arrays)
    # GPUs multiply float32 matrices in TF32 by default: compare loosely there.
    tolerance = 2e-4 if jax.default_backend() == "cpu" else 2e-2
    for e, g in zip(expected, got):
        np.testing.assert_allclose(np.asarray(g), e, rtol=tolerance, atol=tolerance)


def test_auto_times_each_signature_once(monkeypatch):
    monkeypatch.setenv("LAYERED_JAX_CONV", "auto")
    calls = []
    monkeypatch.setattr(jax_conv, "_chosen", {})
    real = jax_conv._fastest

    def counting(name, arrays, attrs):
        calls.append(name)
        return real(name, arrays, attrs)
    monkeypatch.setattr(jax_conv, "_fastest", counting)
    graph, arrays = conv_and_gradients()
    backends.get("jax").compile(graph)(*arrays)
    backends.get("jax").compile(graph)(*arrays)  # a second program with the same shapes measures nothing
    if jax.default_backend() != "cpu":
        assert calls == []  # XLA's convolutions everywhere but on CPU
        return
    assert sorted(calls) == ["conv", "conv_backprop_filter", "conv_backprop_input"]  # one shape each
    assert set(jax_conv._chosen.values()) <= {"xla", "patches"}


def test_unknown_mode_is_an_error(monkeypatch):
    monkeypatch.setenv("LAYERED_JAX_CONV", "cudnn")
    graph, arrays = conv_and_gradients()
    with pytest.raises(ValueError, match="LAYERED_JAX_CONV"):
        backends.get("jax").compile(graph)(*arrays)
