"""Helpers for the layer tests: numpy-vs-jax parity of a layer's forward pass and gradients."""
import importlib.util

import numpy as np

import layered
from layered.graph import autodiff

HAS_JAX = importlib.util.find_spec("jax") is not None


def forward_and_gradients(layer_call, arrays, weights, monkeypatch, backend):
    """Run `layer_call(*placeholders)` on `backend`; return its output and the gradients of a
    fixed projection of it with respect to the float inputs and `weights`."""
    monkeypatch.setenv("LAYERED_BACKEND", backend)
    xs = [layered.placeholder(a.shape, a.dtype.name) for a in arrays]
    out = layer_call(*xs)
    projection = np.linspace(-1, 1, int(np.prod(out.shape))).reshape(out.shape).astype(out.dtype)
    loss = layered.ops.sum(out * layered.constant(projection))
    wrt = [x for x, a in zip(xs, arrays) if np.issubdtype(a.dtype, np.floating)] + list(weights)
    grads = autodiff.grad(loss, wrt)
    return layered.function(xs, [out] + grads)(*arrays)


def assert_backends_agree(make_call, arrays, weights, monkeypatch, rtol=2e-4, atol=2e-5):
    """The same layer graph on the NumPy and JAX backends: equal outputs and gradients."""
    numpy_results = forward_and_gradients(make_call, arrays, weights, monkeypatch, "numpy")
    jax_results = forward_and_gradients(make_call, arrays, weights, monkeypatch, "jax")
    for i, (a, b) in enumerate(zip(numpy_results, jax_results)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"result {i} (0: output, then gradients)")
    return numpy_results
