"""Embedding: Keras shapes and weights, lookups, integer inputs in fit, mask_zero reaching a consumer."""
import warnings

import numpy as np
import pytest

import layered
from layered import layers, ops

rng = np.random.default_rng(0)


class MaskedMean(layers.Layer):
    """Averages the unmasked steps (what a pooling consumer of a padded sequence does)."""

    def call(self, x, mask=None):
        if mask is None:
            return ops.mean(x, axis=1)
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        return ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)


def test_shapes_weights_and_config_follow_keras():
    layer = layers.Embedding(10, 4)
    out = layer(layered.Input(shape=(7,), dtype="int32"))
    assert out.shape == (None, 7, 4)
    assert layer.compute_output_shape((None, 7)) == (None, 7, 4)
    assert [(w.name, w.shape) for w in layer.weights] == [("embeddings", (10, 4))]
    assert layer.count_params() == 40
    values = layer.get_weights()[0]
    assert np.abs(values).max() <= 0.05 and values.std() > 0.01  # "uniform": RandomUniform(-0.05, 0.05)
    config = layer.get_config()
    assert config["input_dim"] == 10 and config["output_dim"] == 4 and config["mask_zero"] is False
    assert layers.Embedding.from_config(config).get_config() == config


def test_lookup_returns_table_rows_for_int_and_float_indices(backend):
    table = rng.normal(size=(6, 3)).astype("float32")
    layer = layers.Embedding(6, 3, weights=[table])
    indices = np.array([[0, 5, 2], [1, 1, 4]])
    np.testing.assert_allclose(layer(indices.astype("int32")), table[indices])
    np.testing.assert_allclose(layer(indices.astype("float32")), table[indices])  # cast like Keras


def test_input_length_is_ignored_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = layers.Embedding(5, 2, input_length=8)
    assert any("input_length" in str(w.message) for w in caught)
    assert "input_length" not in layer.get_config()


def test_mask_zero_mask_reaches_a_consumer(backend):
    table = np.arange(12, dtype="float32").reshape(6, 2)
    inputs = layered.Input(shape=(4,), dtype="int32")
    embedding = layers.Embedding(6, 2, mask_zero=True, weights=[table])
    embedded = embedding(inputs)
    assert embedded._keras_mask is not None and embedded._keras_mask.shape == (None, 4)
    hidden = layers.Dense(2, kernel_initializer="identity")(embedded)  # Dense passes the mask on
    model = layered.Model(inputs, MaskedMean()(hidden))
    tokens = np.array([[3, 5, 0, 0], [2, 0, 0, 0]], "int32")
    expected = np.stack([table[[3, 5]].mean(0), table[[2]].mean(0)])
    np.testing.assert_allclose(model.predict(tokens, verbose=0), expected, rtol=1e-6)
    without = layered.Model(inputs, MaskedMean()(layers.Embedding(6, 2, weights=[table])(inputs)))
    np.testing.assert_allclose(without.predict(tokens, verbose=0), table[tokens].mean(1), rtol=1e-6)


def test_int32_input_model_trains_and_updates_only_used_rows_by_scatter_add(backend):
    inputs = layered.Input(shape=(3,), dtype="int32")
    embedding = layers.Embedding(5, 2, embeddings_initializer="zeros")
    outputs = layers.Flatten()(embedding(inputs))
    model = layered.Model(inputs, outputs)
    model.compile(optimizer=layered.optimizers.SGD(0.5), loss="mse")
    tokens = np.array([[1, 1, 3]], "int32")
    target = np.ones((1, 6), "float32")
    model.fit(tokens, target, epochs=1, verbose=0)
    # mse over 6 outputs: d/d(out) = 2 * (0 - 1) / 6; row 1 is used twice, so its gradient doubles.
    step = 0.5 * 2.0 / 6.0
    expected = np.zeros((5, 2), "float32")
    expected[1], expected[3] = 2 * step, step
    np.testing.assert_allclose(embedding.get_weights()[0], expected, rtol=1e-5)


def test_sequential_starting_with_embedding_fits_on_int_data(backend):
    layered.utils.set_random_seed(0)
    x = rng.integers(1, 8, size=(64, 5)).astype("int64")
    y = (x[:, 0] > 4).astype("float32")
    model = layered.Sequential([layers.Embedding(8, 8), layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=layered.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (64, 1)


def test_rejects_bad_sizes():
    with pytest.raises(ValueError, match="must be positive"):
        layers.Embedding(0, 4)


# ---------------------------------------------------------------- regressions

def test_sequential_built_lazily_from_integer_ids_keeps_them_integers(backend):
    # Bug: the InputLayer made on the first call was float32, so later fit/predict calls fed
    # the ids as floats (inexact above 2**24). The input now takes the integer dtype of the data.
    table = np.arange(12, dtype="float32").reshape(6, 2)
    model = layered.Sequential([layers.Embedding(6, 2, weights=[table]), layers.GlobalAveragePooling1D()])
    ids = np.array([[1, 5], [2, 2]], dtype="int64")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(ids, np.zeros((2, 2), "float32"), epochs=1, verbose=0)
    assert model.inputs[0].dtype == "int32"
    model.set_weights([table])
    np.testing.assert_allclose(model.predict(ids, verbose=0), [[6.0, 7.0], [4.0, 5.0]])
    eager = layered.Sequential([layers.Embedding(6, 2)])
    eager(ids)
    assert eager.inputs[0].dtype == "int32"
    floats = layered.Sequential([layers.Dense(2)])  # float data keeps floatx
    floats(np.ones((1, 3), "float64"))
    assert floats.inputs[0].dtype == "float32"


def test_mask_survives_the_cast_into_a_layer_of_another_dtype(backend):
    # Bug: `_autocast` (a float16 layer after a float32 Embedding) dropped the Keras mask, and
    # the cast input had no history, so a functional model could not be built across it.
    ids = layered.Input(shape=(4,), dtype="int32")
    embedded = layers.Embedding(5, 2, mask_zero=True, weights=[np.array([[0, 0], [1, 1], [3, 3], [5, 5], [7, 7]])])(ids)
    pooled = layers.GlobalAveragePooling1D(dtype="float16")(embedded)
    model = layered.Model(ids, pooled)
    out = model.predict(np.array([[1, 2, 0, 0], [3, 0, 0, 0]]), verbose=0)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, [[2.0, 2.0], [5.0, 5.0]])  # unmasked means would be 1 and 1.25


def test_config_has_the_keras_keys():
    config = layers.Embedding(10, 4).get_config()
    assert config["activity_regularizer"] is None
    assert layers.Embedding.from_config(config).get_config() == config
