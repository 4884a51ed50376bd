"""Spatial and Gaussian dropout, GaussianNoise, ActivityRegularization: training-only noise, statistics, loss."""
import numpy as np
import pytest

import layered
from layered import layers

CASES = [
    ("spatial_dropout1d", lambda: layers.SpatialDropout1D(0.3), (None, 5, 3)),
    ("spatial_dropout2d", lambda: layers.SpatialDropout2D(0.3), (None, 4, 5, 3)),
    ("spatial_dropout2d_first", lambda: layers.SpatialDropout2D(0.3, data_format="channels_first"), (None, 3, 4, 5)),
    ("gaussian_noise", lambda: layers.GaussianNoise(0.5), (None, 4)),
    ("gaussian_dropout", lambda: layers.GaussianDropout(0.4), (None, 4)),
    ("activity_regularization", lambda: layers.ActivityRegularization(l1=0.1, l2=0.01), (None, 4)),
]


@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_shapes_config_and_identity_at_inference(backend, name, make, shape):
    layer = make()
    assert layer(layered.Input(batch_shape=shape)).shape == shape
    assert layer.compute_output_shape(shape) == shape and layer.get_weights() == []
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    x = np.random.default_rng(0).normal(size=tuple(3 if d is None else d for d in shape)).astype("float32")
    np.testing.assert_array_equal(layer(x), x)


@pytest.mark.parametrize("make,shape,channel_axis", [
    (lambda: layers.SpatialDropout1D(0.4), (64, 6, 32), 2),
    (lambda: layers.SpatialDropout2D(0.4), (32, 3, 4, 32), 3),
    (lambda: layers.SpatialDropout2D(0.4, data_format="channels_first"), (32, 32, 3, 4), 1),
])
def test_spatial_dropout_drops_whole_channels(backend, make, shape, channel_axis):
    out = make()(np.ones(shape, "float32"), training=True)
    kept = out != 0
    others = tuple(a for a in range(1, len(shape)) if a != channel_axis)
    assert np.all(kept.all(axis=others) | (~kept).all(axis=others))  # one draw per (sample, channel)
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(out[kept], 1 / 0.6, rtol=1e-6)


def test_gaussian_noise_and_dropout_statistics_in_training(backend):
    x = np.full((200, 100), 2.0, "float32")
    noisy = layers.GaussianNoise(0.5)(x, training=True)
    assert abs((noisy - x).mean()) < 0.02 and abs((noisy - x).std() - 0.5) < 0.02
    scaled = layers.GaussianDropout(0.2)(x, training=True) / x
    assert abs(scaled.mean() - 1.0) < 0.01 and abs(scaled.std() - np.sqrt(0.2 / 0.8)) < 0.01


def test_noise_is_reproducible_with_the_global_seed(backend):
    x = np.ones((4, 3), "float32")
    layer = layers.GaussianNoise(1.0)
    layered.utils.set_random_seed(7)
    first = layer(x, training=True)
    layered.utils.set_random_seed(7)
    np.testing.assert_array_equal(layer(x, training=True), first)
    assert not np.array_equal(layer(x, training=True), first)


def test_activity_regularization_adds_its_penalty_divided_by_the_batch_size(backend):
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.zeros((8, 2), "float32")
    dense = layers.Dense(2, kernel_initializer="ones")
    model = layered.Sequential([layered.Input(shape=(3,)), dense, layers.ActivityRegularization(l1=0.1, l2=0.2)])
    model.compile(optimizer=layered.optimizers.SGD(0.0), loss="mse")
    hidden = x @ np.ones((3, 2), "float32")
    expected = np.mean(hidden ** 2) + (0.1 * np.abs(hidden).sum() + 0.2 * (hidden ** 2).sum()) / 8
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=8, verbose=0), expected, rtol=1e-5)


def test_rates_are_checked():
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        layers.GaussianDropout(1.0)
    with pytest.raises(ValueError, match="stddev must be non-negative"):
        layers.GaussianNoise(-0.1)
    with pytest.raises(ValueError, match="data_format"):
        layers.SpatialDropout2D(0.1, data_format="channels_middle")


def test_spatial_dropout_configs_have_the_keras_keys():
    assert set(layers.SpatialDropout1D(0.2).get_config()) == {"name", "dtype", "rate", "seed"}
    assert set(layers.SpatialDropout2D(0.2).get_config()) == {"name", "dtype", "rate", "seed", "data_format"}
