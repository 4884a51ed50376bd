"""ReLU, LeakyReLU, PReLU, ELU, Softmax: values against NumPy formulas, Keras shapes and configs,
NumPy-vs-JAX parity, error messages that name the layer."""
import numpy as np
import pytest

import layered
from layered import layers
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree

rng = np.random.default_rng(0)
X = (rng.normal(size=(3, 4, 5)) * 2).astype("float32")


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name, layer, NumPy formula of the output (the values Keras 3 computes)
VALUES = [
    ("relu", lambda: layers.ReLU(), lambda x: np.maximum(x, 0)),
    ("relu6", lambda: layers.ReLU(max_value=6.0), lambda x: np.clip(x, 0, 6)),
    ("relu_all", lambda: layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5),
     lambda x: np.where(x > 0.5, np.minimum(x, 1.5), 0.1 * (x - 0.5))),
    ("relu_threshold", lambda: layers.ReLU(threshold=1.0), lambda x: np.where(x > 1.0, x, 0.0)),
    ("leaky_default", lambda: layers.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x)),
    ("leaky_alpha_kwarg", lambda: layers.LeakyReLU(alpha=0.1), lambda x: np.where(x >= 0, x, 0.1 * x)),
    ("prelu_zero_alpha", lambda: layers.PReLU(), lambda x: np.maximum(x, 0)),
    ("prelu_constant", lambda: layers.PReLU(alpha_initializer=layered.initializers.Constant(0.25)),
     lambda x: np.where(x >= 0, x, 0.25 * x)),
    ("elu", lambda: layers.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu_alpha", lambda: layers.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("softmax", lambda: layers.Softmax(), lambda x: _softmax(x, -1)),
    ("softmax_axis1", lambda: layers.Softmax(axis=1), lambda x: _softmax(x, 1)),
    ("softmax_two_axes", lambda: layers.Softmax(axis=(1, 2)), lambda x: _softmax(x, (1, 2))),
]


@pytest.mark.parametrize("name,make,formula", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_the_formulas(backend, name, make, formula):
    layer = make()
    np.testing.assert_allclose(layer(X), formula(X), rtol=1e-5, atol=1e-6)
    assert layer(layered.Input(shape=(4, 5))).shape == (None, 4, 5)
    assert layer.compute_output_shape((None, 4, 5)) == (None, 4, 5)


# name, layer, input shape, weights as Keras 3 lists them (PReLU: alpha = input shape without
# the batch axis, 1 on the shared axes)
WEIGHTS = [
    ("relu", lambda: layers.ReLU(), (None, 4), []),
    ("prelu", lambda: layers.PReLU(), (None, 4, 5), [("alpha", (4, 5))]),
    ("prelu_shared", lambda: layers.PReLU(shared_axes=[1, 2]), (None, 6, 6, 3), [("alpha", (1, 1, 3))]),
    ("prelu_shared_int", lambda: layers.PReLU(shared_axes=1), (None, 6, 3), [("alpha", (1, 3))]),
]


@pytest.mark.parametrize("name,make,shape,weights", WEIGHTS, ids=[w[0] for w in WEIGHTS])
def test_weights_and_param_counts(name, make, shape, weights):
    layer = make()
    layer(layered.Input(batch_shape=shape))
    assert [(w.name, w.shape) for w in layer.weights] == weights
    assert layer.count_params() == sum(int(np.prod(s)) for _, s in weights)


def test_prelu_learns_one_slope_per_channel(backend):
    layer = layers.PReLU(shared_axes=[1, 2])
    x = rng.normal(size=(2, 3, 3, 2)).astype("float32")
    layer(x)
    layer.set_weights([np.array([[[0.1, 0.5]]], "float32")])
    np.testing.assert_allclose(layer(x), np.where(x >= 0, x, x * np.array([0.1, 0.5])), rtol=1e-6)


def test_masked_softmax_gives_masked_positions_zero(backend):
    mask = rng.uniform(size=(3, 1, 5)) > 0.3
    mask[:, :, 0] = True  # every row keeps one position
    out = layers.Softmax()(X, mask=mask)
    expected = np.where(mask, np.exp(X - np.where(mask, X, -np.inf).max(-1, keepdims=True)), 0.0)
    np.testing.assert_allclose(out, expected / expected.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)


def test_softmax_takes_a_symbolic_mask_in_a_functional_model(backend):
    scores, valid = layered.Input(shape=(4,)), layered.Input(shape=(4,), dtype="bool")
    model = layered.Model([scores, valid], layers.Softmax()(scores, mask=valid))
    x = rng.normal(size=(2, 4)).astype("float32")
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    out = model.predict([x, mask], verbose=0)
    assert np.all(out[~mask] == 0) and np.allclose(out.sum(1), 1.0)


@pytest.mark.parametrize("make", [lambda: layers.ReLU(max_value=3.0, negative_slope=0.2, threshold=0.5),
                                  lambda: layers.ELU(0.7), lambda: layers.LeakyReLU(0.2),
                                  lambda: layers.Softmax(axis=(1, 2))])
def test_config_round_trip(make):
    layer = make()
    copy = type(layer).from_config(layer.get_config())
    assert copy.get_config() == layer.get_config()
    assert layers.deserialize(layers.serialize(layer)).get_config() == layer.get_config()


def test_prelu_config_round_trip_keeps_the_options():
    layer = layers.PReLU(alpha_initializer="ones", alpha_regularizer="l2", shared_axes=[1])
    config = layer.get_config()
    assert config["shared_axes"] == [1] and config["alpha_initializer"]["class_name"] == "Ones"
    assert layers.PReLU.from_config(config).get_config() == config


def test_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match=r"ReLU layer 'r'.*max_value"):
        layers.ReLU(max_value=-1.0, name="r")
    with pytest.raises(ValueError, match=r"ReLU layer 'r2'.*negative_slope"):
        layers.ReLU(negative_slope=-0.1, name="r2")
    with pytest.raises(ValueError, match=r"LeakyReLU layer 'lk'"):
        layers.LeakyReLU(negative_slope=-1, name="lk")
    with pytest.raises(ValueError, match=r"PReLU layer 'p'.*shared_axes"):
        layers.PReLU(shared_axes=[0], name="p")
    with pytest.raises(ValueError, match=r"PReLU layer 'p2'.*shared axis 3"):
        layers.PReLU(shared_axes=[3], name="p2")(layered.Input(shape=(4, 5)))
    with pytest.raises(Exception, match=r"'sm'"):
        layers.Softmax(name="sm")(X, mask=np.ones((3, 4, 2), bool))


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
@pytest.mark.parametrize("make", [lambda: layers.PReLU(alpha_initializer=layered.initializers.Constant(0.2)),
                                  lambda: layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
                                  lambda: layers.ELU(0.5), lambda: layers.Softmax(axis=1)])
def test_numpy_and_jax_agree(monkeypatch, make):
    layer = make()
    layer.build((None, 4, 5))
    assert_backends_agree(layer, [X], layer.trainable_weights, monkeypatch)
