"""Normalization layers: Keras shapes and weights, values against NumPy, gradients, BatchNorm state in fit."""
import numpy as np
import pytest

import layered
from layered import layers
from layered.graph.core import ShapeError
from tests.helpers import check_vjp
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree

rng = np.random.default_rng(0)

# name, layer, input shape, output shape, [(weight name, shape)] in Keras's get_weights order
# (from the Keras 3 docs: BatchNormalization lists gamma, beta, moving_mean, moving_variance).
SHAPES = [
    ("batchnorm", lambda: layers.BatchNormalization(), (None, 5), (None, 5),
     [("gamma", (5,)), ("beta", (5,)), ("moving_mean", (5,)), ("moving_variance", (5,))]),
    ("batchnorm_axis1", lambda: layers.BatchNormalization(axis=1), (None, 3, 4), (None, 3, 4),
     [("gamma", (3,)), ("beta", (3,)), ("moving_mean", (3,)), ("moving_variance", (3,))]),
    ("batchnorm_no_affine", lambda: layers.BatchNormalization(center=False, scale=False), (None, 5), (None, 5),
     [("moving_mean", (5,)), ("moving_variance", (5,))]),
    ("layernorm", lambda: layers.LayerNormalization(), (None, 3, 4), (None, 3, 4), [("gamma", (4,)), ("beta", (4,))]),
    ("layernorm_axes", lambda: layers.LayerNormalization(axis=[1, 2]), (None, 3, 4), (None, 3, 4),
     [("gamma", (3, 4)), ("beta", (3, 4))]),
    ("layernorm_rms", lambda: layers.LayerNormalization(rms_scaling=True), (None, 4), (None, 4), [("gamma", (4,))]),
    ("layernorm_no_center", lambda: layers.LayerNormalization(center=False), (None, 4), (None, 4), [("gamma", (4,))]),
    ("groupnorm", lambda: layers.GroupNormalization(groups=2), (None, 3, 4), (None, 3, 4),
     [("gamma", (4,)), ("beta", (4,))]),
    ("unitnorm", lambda: layers.UnitNormalization(), (None, 4), (None, 4), []),
]


@pytest.mark.parametrize("name,make,input_shape,output_shape,weights", SHAPES, ids=[s[0] for s in SHAPES])
def test_output_and_weight_shapes_follow_keras(name, make, input_shape, output_shape, weights):
    layer = make()
    out = layer(layered.Input(batch_shape=input_shape))
    assert out.shape == output_shape
    assert layer.compute_output_shape(input_shape) == output_shape
    assert [(w.name, w.shape) for w in layer.weights] == weights
    assert layer.count_params() == sum(int(np.prod(s)) for _, s in weights)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def _random_weights(layer):
    values = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.weights]
    layer.set_weights(values)
    return values


def _bn_reference(x, gamma, beta, mean, var, eps=1e-3, axis=-1):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: v.reshape(shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


def _ln_reference(x, axes, gamma=1.0, beta=0.0, eps=1e-3):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gn_reference(x, groups, gamma, beta, eps=1e-3):
    b, c = x.shape[0], x.shape[-1]
    grouped = x.reshape(x.shape[:-1] + (groups, c // groups))
    axes = tuple(range(1, x.ndim - 1)) + (x.ndim,)
    mean, var = grouped.mean(axes, keepdims=True), grouped.var(axes, keepdims=True)
    return ((grouped - mean) / np.sqrt(var + eps)).reshape(x.shape) * gamma + beta


def test_values_match_numpy(backend):
    x = rng.normal(size=(6, 3, 4)).astype("float32")

    bn = layers.BatchNormalization(axis=1)
    bn.build((None, 3, 4))
    g, b, m, v = _random_weights(bn)
    np.testing.assert_allclose(bn(x), _bn_reference(x, g, b, m, v, axis=1), rtol=1e-5, atol=1e-5)
    batch_mean, batch_var = x.mean((0, 2)), x.var((0, 2))
    np.testing.assert_allclose(bn(x, training=True), _bn_reference(x, g, b, batch_mean, batch_var, axis=1),
                               rtol=1e-4, atol=1e-4)

    ln = layers.LayerNormalization(axis=[1, 2])
    ln.build((None, 3, 4))
    g, b = _random_weights(ln)
    np.testing.assert_allclose(ln(x), _ln_reference(x, [1, 2], g, b), rtol=1e-4, atol=1e-5)

    rms = layers.LayerNormalization(rms_scaling=True, epsilon=1e-6)
    rms.build((None, 3, 4))
    (g,) = _random_weights(rms)
    # Keras 3's rms_scaling divides the uncentred input by the standard deviation (not the RMS).
    np.testing.assert_allclose(rms(x), x / np.sqrt(x.var(-1, keepdims=True) + 1e-6) * g, rtol=1e-4, atol=1e-5)

    gn = layers.GroupNormalization(groups=2)
    gn.build((None, 3, 4))
    g, b = _random_weights(gn)
    np.testing.assert_allclose(gn(x), _gn_reference(x, 2, g, b), rtol=1e-4, atol=1e-5)

    instance = layers.GroupNormalization(groups=-1, center=False, scale=False)
    np.testing.assert_allclose(instance(x), _ln_reference(x, [1]), rtol=1e-4, atol=1e-5)

    unit = layers.UnitNormalization(axis=[1, 2])
    np.testing.assert_allclose(unit(x), x / np.sqrt((x ** 2).sum((1, 2), keepdims=True)), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layers.UnitNormalization()(np.zeros((2, 3), "float32")), 0)


def test_batchnorm_eager_training_call_moves_the_statistics(backend):
    x = rng.normal(2.0, 3.0, size=(16, 4)).astype("float32")
    bn = layers.BatchNormalization(momentum=0.8)
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.2 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.8 + 0.2 * x.var(0), rtol=1e-5)
    bn(x)  # inference leaves them alone
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.2 * x.mean(0), rtol=1e-5)


def test_batchnorm_in_fit_updates_moving_stats_like_keras_and_evaluate_predict_do_not(backend):
    x = rng.normal(1.0, 2.0, size=(20, 3)).astype("float32")
    y = rng.normal(size=(20, 4)).astype("float32")
    dense = layers.Dense(4, kernel_initializer="glorot_uniform")
    bn = layers.BatchNormalization(momentum=0.9)
    model = layered.Sequential([layered.Input(shape=(3,)), dense, bn])
    model.compile(optimizer=layered.optimizers.SGD(0.0), loss="mse")  # lr 0: only the BN state moves
    kernel, bias = dense.get_weights()
    hidden = x @ kernel + bias
    mean, var = np.zeros(4), np.ones(4)
    for _ in range(2):
        for start in range(0, 20, 8):  # batches of 8, 8 and 4
            h = hidden[start:start + 8]
            mean = mean * 0.9 + h.mean(0) * 0.1
            var = var * 0.9 + h.var(0) * 0.1
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-4, atol=1e-5)

    model.evaluate(x, y, batch_size=8, verbose=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-4, atol=1e-5)
    gamma, beta = bn.get_weights()[:2]
    expected = _bn_reference(hidden, gamma, beta, bn.moving_mean.numpy(), bn.moving_variance.numpy())
    np.testing.assert_allclose(model.predict(x, batch_size=8, verbose=0), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-4, atol=1e-5)


def test_frozen_batchnorm_runs_in_inference_mode_in_fit(backend):
    x = rng.normal(3.0, 1.0, size=(16, 3)).astype("float32")
    bn = layers.BatchNormalization()
    model = layered.Sequential([layered.Input(shape=(3,)), bn, layers.Dense(1)])
    bn.trainable = False
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((16, 1)), batch_size=8, epochs=1, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0.0)
    np.testing.assert_array_equal(bn.moving_variance.numpy(), 1.0)


def test_batchnorm_with_a_mask_uses_only_unmasked_steps(backend):
    tokens = np.array([[3, 1, 0, 0], [2, 0, 0, 0]], "int32")
    inputs = layered.Input(shape=(4,), dtype="int32")
    embedding = layers.Embedding(5, 2, mask_zero=True)
    bn = layers.BatchNormalization(momentum=0.0)
    model = layered.Model(inputs, bn(embedding(inputs)))
    embedding.set_weights([np.arange(10, dtype="float32").reshape(5, 2)])
    model.compile(optimizer=layered.optimizers.SGD(0.0), loss="mse")
    model.fit(tokens, np.zeros((2, 4, 2)), batch_size=2, epochs=1, verbose=0)
    rows = np.arange(10, dtype="float32").reshape(5, 2)[[3, 1, 2]]  # the three unmasked tokens
    np.testing.assert_allclose(bn.moving_mean.numpy(), rows.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), rows.var(0), rtol=1e-4)


GRADIENT_CASES = [
    ("batchnorm_training", lambda dtype: layers.BatchNormalization(dtype=dtype), (5, 3), True),
    ("layernorm", lambda dtype: layers.LayerNormalization(dtype=dtype), (2, 3, 4), False),
    ("layernorm_rms", lambda dtype: layers.LayerNormalization(rms_scaling=True, dtype=dtype), (3, 4), False),
    ("groupnorm", lambda dtype: layers.GroupNormalization(groups=2, dtype=dtype), (2, 3, 4), False),
    ("unitnorm", lambda dtype: layers.UnitNormalization(dtype=dtype), (3, 4), False),
]


@pytest.mark.parametrize("name,make,shape,training", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_input_gradients_match_finite_differences(monkeypatch, name, make, shape, training):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    layer = make("float64")
    layer.build((None,) + shape[1:])
    if layer.weights:
        layer.set_weights([np.random.default_rng(1).uniform(0.5, 1.5, w.shape) for w in layer.weights])
    x = np.random.default_rng(2).normal(size=shape)
    check_vjp(lambda t: layer(t, training=training), [x], rtol=1e-5, atol=1e-7)


@pytest.mark.skipif(not HAS_JAX, reason="needs jax")
@pytest.mark.parametrize("name,make,shape,training", GRADIENT_CASES[:4], ids=[c[0] for c in GRADIENT_CASES[:4]])
def test_numpy_and_jax_agree_on_values_and_weight_gradients(monkeypatch, name, make, shape, training):
    layer = make("float32")
    layer.build((None,) + shape[1:])
    layer.set_weights([np.random.default_rng(1).uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in layer.weights])
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    assert_backends_agree(lambda t: layer(t, training=training), [x], layer.trainable_weights, monkeypatch)


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"'gn'.*6 channels.*cannot be split into 4"):
        layers.GroupNormalization(groups=4, name="gn")(layered.Input(shape=(6,)))
    with pytest.raises(ShapeError, match=r"'bn'.*known sizes.*\(None, None\)"):
        layers.BatchNormalization(name="bn")(layered.Input(batch_shape=(None, None)))
    bn = layers.BatchNormalization(name="bn2")
    bn(layered.Input(shape=(3,)))
    with pytest.raises(ShapeError, match=r"'bn2'.*axis 1 of size 3.*\(None, 4\)"):
        bn(layered.Input(shape=(4,)))


# ---------------------------------------------------------------- regressions against Keras 3

def test_rms_scaling_divides_by_the_standard_deviation_as_keras(backend):
    # Keras 3 (ops.layer_normalization with rms_scaling) uses the variance, not the mean square:
    # x = [1, 2, 3, 6] has variance 3.5 (mean square 12.5).
    layer = layers.LayerNormalization(rms_scaling=True, epsilon=0.0)
    out = layer(np.array([[1.0, 2.0, 3.0, 6.0]], "float32"))
    np.testing.assert_allclose(out, [[1.0, 2.0, 3.0, 6.0]] / np.sqrt(3.5), rtol=1e-6)


def test_configs_match_keras_after_build():
    layer = layers.LayerNormalization()
    assert layer.get_config()["axis"] == -1
    layer.build((None, 3))
    assert layer.get_config()["axis"] == [-1]  # Keras keeps a list once built
    assert layers.LayerNormalization.from_config(layer.get_config()).get_config()["axis"] == [-1]


def test_batch_norm_mask_of_the_wrong_shape_is_an_error():
    with pytest.raises(ShapeError, match=r"'bn_m' \(BatchNormalization\): the mask has shape \(None, 7\).*"
                                         r"expected shape \(None, 5\)"):
        layers.BatchNormalization(name="bn_m")(layered.Input(shape=(5, 3)),
                                               mask=layered.Input(shape=(7,), dtype="bool"))


def test_group_normalization_over_unknown_spatial_sizes(backend):
    # Bug: the grouping reshape failed when more than the batch size was unknown.
    x = np.arange(2 * 2 * 3 * 4, dtype="float32").reshape(2, 2, 3, 4) ** 1.5
    layer = layers.GroupNormalization(groups=2, epsilon=1e-5)
    out = layered.Model(inputs := layered.Input(shape=(None, None, 4)), layer(inputs)).predict(x, verbose=0)
    grouped = x.reshape(2, 2, 3, 2, 2)
    mean, var = grouped.mean((1, 2, 4), keepdims=True), grouped.var((1, 2, 4), keepdims=True)
    np.testing.assert_allclose(out, ((grouped - mean) / np.sqrt(var + 1e-5)).reshape(x.shape), rtol=1e-5, atol=1e-5)
