"""Rescaling and Normalization: values, adapt, weights as Keras lists them, saving, both backends."""
import numpy as np
import pytest

import layered
from layered import layers
from layered.graph.core import ShapeError
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree

RNG = np.random.default_rng(0)
X = (RNG.normal(size=(40, 3)) * [1.0, 5.0, 0.1] + [0.0, 3.0, -2.0]).astype("float32")


def test_rescaling_scales_and_offsets(backend):
    layer = layers.Rescaling(scale=1 / 127.5, offset=-1.0)
    pixels = np.array([[0.0, 127.5, 255.0]], "float32")
    np.testing.assert_allclose(layer(pixels), [[-1.0, 0.0, 1.0]], atol=1e-6)
    assert layer.get_config()["scale"] == pytest.approx(1 / 127.5) and layer.get_config()["offset"] == -1.0
    assert layer.weights == []


def test_adapt_learns_the_mean_and_population_variance_per_feature(backend):
    layer = layers.Normalization()
    layer.adapt(X)
    mean, variance, count = layer.get_weights()  # Keras's weights and order: mean, variance, count
    np.testing.assert_allclose(mean, X.astype("float64").mean(0), rtol=1e-6)
    np.testing.assert_allclose(variance, X.astype("float64").var(0), rtol=1e-6)
    assert count.shape == () and count.dtype == np.int32
    np.testing.assert_allclose(layer(X), (X - X.mean(0)) / X.std(0), rtol=1e-5, atol=1e-5)


def test_adapt_over_batches_equals_adapt_over_the_whole(backend):
    whole, batched = layers.Normalization(), layers.Normalization()
    whole.adapt(X)
    batched.adapt([X[:7], X[7:30], X[30:]])
    for a, b in zip(whole.get_weights(), batched.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_axis_none_uses_one_mean_and_variance(backend):
    layer = layers.Normalization(axis=None)
    layer.adapt(X)
    assert [w.shape for w in layer.weights] == [(), (), ()]
    np.testing.assert_allclose(layer.get_weights()[0], X.mean(), rtol=1e-6)


def test_axis_on_a_middle_dimension(backend):
    images = RNG.normal(size=(6, 4, 5)).astype("float32")
    layer = layers.Normalization(axis=1)
    layer.adapt(images)
    assert layer.get_weights()[0].shape == (4,)
    np.testing.assert_allclose(layer.get_weights()[0], images.mean(axis=(0, 2)), rtol=1e-5, atol=1e-6)


def test_given_statistics_have_no_weights_and_invert_maps_back(backend):
    layer = layers.Normalization(mean=2.0, variance=4.0)
    np.testing.assert_allclose(layer(np.ones((2, 3), "float32")), -0.5 * np.ones((2, 3)))
    assert layer.weights == []
    inverse = layers.Normalization(mean=2.0, variance=4.0, invert=True)
    np.testing.assert_allclose(inverse(layer(X)), X, rtol=1e-5, atol=1e-5)


def test_a_constant_feature_is_not_divided_by_zero(backend):
    data = np.stack([np.full(10, 3.0), np.arange(10.0)], axis=1).astype("float32")
    layer = layers.Normalization()
    layer.adapt(data)
    assert np.all(np.isfinite(layer(data))) and np.allclose(layer(data)[:, 0], 0.0)


def test_adapted_statistics_are_not_trained_and_survive_saving(backend, tmp_path):
    norm = layers.Normalization()
    norm.adapt(X)
    model = layered.Sequential([layered.Input((3,)), norm, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    assert model.count_params() == 7 + 4 and len(model.trainable_weights) == 2
    before = [w.copy() for w in norm.get_weights()]
    model.fit(X, X[:, :1], epochs=2, batch_size=8, verbose=0)
    for a, b in zip(before, norm.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.save(tmp_path / "m.layered")
    loaded = layered.models.load_model(tmp_path / "m.layered")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_config_round_trip():
    for layer in (layers.Rescaling(0.5, offset=1.0), layers.Normalization(axis=(1, 2), mean=[1.0, 2.0],
                                                                          variance=[3.0, 4.0], invert=True)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


@pytest.mark.skipif(not HAS_JAX, reason="needs jax")
def test_backends_agree_on_values_and_gradients(monkeypatch):
    norm = layers.Normalization()
    norm.adapt(X)
    assert_backends_agree(lambda x: layers.Rescaling(2.0, 1.0)(norm(x)), [X[:5]], [], monkeypatch)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="adapt learns them only"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(X)
    with pytest.raises(ValueError, match="no data"):
        layers.Normalization().adapt([])
    with pytest.raises(ShapeError, match="normalization.*known size on axis 1"):
        layers.Normalization(name="normalization_x")(layered.Input((None,)))
