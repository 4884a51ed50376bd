"""Activations against NumPy formulas, on every backend; gradients by finite differences."""
from math import erf

import numpy as np
import pytest

import layered
from layered import activations
from tests.helpers import check_vjp

x = np.linspace(-4, 4, 42)  # even, for glu's halves
sig = 1 / (1 + np.exp(-x))
REFERENCE = {
    "linear": x, "relu": np.maximum(x, 0), "leaky_relu": np.where(x > 0, x, 0.2 * x), "sigmoid": sig,
    "tanh": np.tanh(x), "gelu": x * 0.5 * (1 + np.vectorize(erf)(x / np.sqrt(2))),
    "elu": np.where(x > 0, x, np.exp(x) - 1),
    "selu": 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "softplus": np.log1p(np.exp(x)), "softsign": x / (1 + np.abs(x)), "silu": x * sig, "swish": x * sig,
    "hard_sigmoid": np.clip(x + 3, 0, 6) / 6, "hard_silu": x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": x * np.clip(x + 3, 0, 6) / 6, "exponential": np.exp(x),
    "softmax": np.exp(x) / np.exp(x).sum(), "log_softmax": x - np.log(np.exp(x).sum()),
    "celu": np.where(x > 0, x, np.exp(x) - 1), "glu": x[:21] / (1 + np.exp(-x[21:])),
    "hard_shrink": np.where(np.abs(x) > 0.5, x, 0), "hard_tanh": np.clip(x, -1, 1),
    "log_sigmoid": np.log(sig), "mish": x * np.tanh(np.log1p(np.exp(x))), "relu6": np.clip(x, 0, 6),
    "soft_shrink": np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "sparse_plus": np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": np.clip((x + 1) / 2, 0, 1), "squareplus": (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": x - np.tanh(x), "threshold": np.where(x > 0.5, x, -1.0),
    # the Euclidean projection onto the simplex: x - tau on the support (here the 3 largest)
    "sparsemax": np.maximum(x - (x[-3:].sum() - 1) / 3, 0),
}
# activations that take required arguments besides x
CALLS = {"threshold": lambda f, t: f(t, 0.5, -1.0)}


def test_reference_covers_the_table():
    assert set(REFERENCE) == set(activations.ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_values(name, backend):
    p = layered.placeholder(x.shape)
    fn = activations.get(name)
    got = layered.function([p], CALLS.get(name, lambda f, t: f(t))(fn, p))(x.astype(np.float32))
    np.testing.assert_allclose(got, REFERENCE[name], rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_gradients(name):
    # away from kinks at 0, +-0.5, +-1 and +-3
    points = x[np.all([np.abs(np.abs(x) - k) > 0.05 for k in (0, 0.5, 1, 3)], axis=0)]
    if name in ("glu", "sparsemax"):
        points = points[:len(points) // 2 * 2]
    fn = activations.get(name)
    check_vjp(lambda t: CALLS.get(name, lambda f, t: f(t))(fn, t), [points], rtol=1e-5, atol=1e-6)


def test_relu_options():
    p = layered.placeholder(x.shape, "float64")
    got = layered.function([p], activations.relu(p, negative_slope=0.1, max_value=2.0, threshold=0.5))(x)
    np.testing.assert_allclose(got, np.minimum(np.where(x > 0.5, x, 0.1 * (x - 0.5)), 2.0))


def test_elu_gradient_is_finite_for_large_inputs():
    p = layered.placeholder((2,), "float64")
    [g] = layered.ops.grad(layered.ops.sum(activations.elu(p)), [p])
    np.testing.assert_array_equal(layered.function([p], g)(np.array([1000.0, -1000.0])), [1.0, 0.0])


def test_string_lookup_and_deserialize():
    for name in ("mish", "relu6", "celu", "hard_tanh", "sparsemax", "squareplus", "log_sigmoid"):
        fn = activations.get(name)
        assert activations.serialize(fn) == name
        assert activations.deserialize(name) is fn
        assert activations.deserialize({"module": "keras.activations", "class_name": "function",
                                        "config": name, "registered_name": "function"}) is fn
    assert activations.deserialize("mine", custom_objects={"mine": np.tanh}) is np.tanh
    layer = layered.layers.Dense(2, activation="mish")
    assert layer.activation is activations.mish


def test_get():
    assert activations.get(None) is activations.linear
    assert activations.get(np.tanh) is np.tanh
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'.*Did you mean 'relu'"):
        activations.get("rleu")
