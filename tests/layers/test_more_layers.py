"""The Keras 3 layers added together: RMSNormalization, the 3-D padding/cropping/upsampling and
transposed conv, EinsumDense, AdditiveAttention, StackedRNNCells, CategoryEncoding,
Discretization, RandomFlip, CenterCrop, AlphaDropout, SpatialDropout3D, the aliases and
functional merge forms, serialize/deserialize, and unknown spatial sizes."""
import numpy as np
import pytest

import layered
from layered import layers
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree

rng = np.random.default_rng(0)

# name, layer, input shape, output shape, [(weight name, shape)] in Keras 3's get_weights order
SHAPES = [
    ("rms_norm", lambda: layers.RMSNormalization(), (None, 4, 6), (None, 4, 6), [("scale", (6,))]),
    ("rms_norm_two_axes", lambda: layers.RMSNormalization(axis=[-2, -1]), (None, 4, 6), (None, 4, 6),
     [("scale", (4, 6))]),
    ("zero_padding3d", lambda: layers.ZeroPadding3D(((1, 2), (0, 1), (2, 0))), (None, 4, 5, 3, 2),
     (None, 7, 6, 5, 2), []),
    ("cropping3d", lambda: layers.Cropping3D(((1, 2), (0, 1), (1, 0))), (None, 4, 5, 3, 2), (None, 1, 4, 2, 2), []),
    ("upsampling3d", lambda: layers.UpSampling3D((1, 2, 3)), (None, 4, 5, 3, 2), (None, 4, 10, 9, 2), []),
    ("conv3d_transpose", lambda: layers.Conv3DTranspose(3, 3, strides=2, padding="same"), (None, 4, 5, 3, 2),
     (None, 8, 10, 6, 3), [("kernel", (3, 3, 3, 3, 2)), ("bias", (3,))]),
    ("conv3d_transpose_valid", lambda: layers.Conv3DTranspose(3, (2, 3, 1), use_bias=False), (None, 4, 5, 3, 2),
     (None, 5, 7, 3, 3), [("kernel", (2, 3, 1, 3, 2))]),
    ("einsum_dense", lambda: layers.EinsumDense("ab,bc->ac", output_shape=5, bias_axes="c"), (None, 6), (None, 5),
     [("kernel", (6, 5)), ("bias", (5,))]),
    ("einsum_dense_heads", lambda: layers.EinsumDense("abc,cde->abde", output_shape=(None, 3, 5), bias_axes="de"),
     (None, 4, 6), (None, 4, 3, 5), [("kernel", (6, 3, 5)), ("bias", (3, 5))]),
    ("einsum_dense_merge", lambda: layers.EinsumDense("abcd,cde->abe", output_shape=(None, 7), bias_axes="e"),
     (None, 4, 3, 6), (None, 4, 7), [("kernel", (3, 6, 7)), ("bias", (7,))]),
    ("einsum_dense_ellipsis", lambda: layers.EinsumDense("...b,bc->...c", output_shape=8), (None, 3, 5, 4),
     (None, 3, 5, 8), [("kernel", (4, 8))]),
    ("einsum_dense_bias_b", lambda: layers.EinsumDense("abc,cd->abd", output_shape=(4, 5), bias_axes="b"),
     (None, 4, 6), (None, 4, 5), [("kernel", (6, 5)), ("bias", (4, 1))]),
    ("additive_attention", lambda: layers.AdditiveAttention(), [(None, 3, 4), (None, 5, 4)], (None, 3, 4),
     [("scale", (4,))]),
    ("stacked_cells", lambda: layers.RNN([layers.SimpleRNNCell(4), layers.SimpleRNNCell(2)]), (None, 5, 3),
     (None, 2), [("kernel", (3, 4)), ("recurrent_kernel", (4, 4)), ("bias", (4,)), ("kernel", (4, 2)),
                 ("recurrent_kernel", (2, 2)), ("bias", (2,))]),
    ("conv_lstm2d", lambda: layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True), (None, 4, 5, 6, 2),
     (None, 4, 5, 6, 3), [("kernel", (3, 3, 2, 12)), ("recurrent_kernel", (3, 3, 3, 12)), ("bias", (12,))]),
    ("conv_lstm1d", lambda: layers.ConvLSTM1D(3, 2), (None, 4, 5, 2), (None, 4, 3),
     [("kernel", (2, 2, 12)), ("recurrent_kernel", (2, 3, 12)), ("bias", (12,))]),
    ("category_multi_hot", lambda: layers.CategoryEncoding(5), (None, 3), (None, 5), []),
    ("category_one_hot", lambda: layers.CategoryEncoding(5, output_mode="one_hot"), (None, 1), (None, 5), []),
    ("discretization", lambda: layers.Discretization(bin_boundaries=[0.0, 1.0]), (None, 3), (None, 3), []),
    ("discretization_count", lambda: layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="count"),
     (None, 3), (None, 3), []),
    ("center_crop", lambda: layers.CenterCrop(4, 5), (None, 7, 8, 3), (None, 4, 5, 3), []),
    ("adaptive_avg3d", lambda: layers.AdaptiveAveragePooling3D((2, 4, 3)), (None, 5, 6, 4, 2), (None, 2, 4, 3, 2),
     []),
    ("random_flip", lambda: layers.RandomFlip(), (None, 7, 8, 3), (None, 7, 8, 3), []),
    ("alpha_dropout", lambda: layers.AlphaDropout(0.2), (None, 4), (None, 4), []),
    ("spatial_dropout3d", lambda: layers.SpatialDropout3D(0.2), (None, 2, 3, 4, 5), (None, 2, 3, 4, 5), []),
]


def _input(shape):
    if isinstance(shape, list):
        return [layered.Input(batch_shape=s) for s in shape]
    return layered.Input(batch_shape=shape, dtype="int32" if shape == (None, 3) else None)


@pytest.mark.parametrize("name,make,shape,out_shape,weights", SHAPES, ids=[s[0] for s in SHAPES])
def test_shapes_weights_and_config(name, make, shape, out_shape, weights):
    layer = make()
    assert layer(_input(shape)).shape == out_shape
    assert [(w.name, w.shape) for w in layer.weights] == weights
    assert layer.count_params() == sum(int(np.prod(s)) for _, s in weights)
    data = layers.serialize(layer)
    assert layers.deserialize(data).get_config() == layer.get_config()


# ------------------------------------------------------------ values against NumPy

def test_rms_normalization_formula(backend):
    x = rng.normal(size=(3, 4, 6)).astype("float32")
    layer = layers.RMSNormalization(epsilon=1e-3)
    layer(x)
    scale = rng.uniform(0.5, 1.5, size=6).astype("float32")
    layer.set_weights([scale])
    expected = x / np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + 1e-3) * scale
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5)
    assert layer.get_config()["axis"] == [-1]  # a sorted list once built, as Keras keeps it


@pytest.mark.parametrize("equation,output_shape,bias_axes,in_shape", [
    ("ab,bc->ac", 5, "c", (3, 6)),
    ("abc,cd->abd", (None, 5), "d", (3, 4, 6)),
    ("abc,cde->abde", (None, 3, 5), "de", (3, 4, 6)),
    ("abcd,cde->abe", (None, 7), None, (2, 4, 3, 6)),
    ("...b,bc->...c", 8, "c", (2, 3, 5, 4)),
    ("abc,bcd->ad", (5,), None, (3, 4, 6)),
    ("abc,bd->acd", (6, 5), None, (3, 4, 6)),
    ("ab...,bc->ac...", (5,), None, (3, 6, 4)),
])
def test_einsum_dense_matches_numpy_einsum(backend, equation, output_shape, bias_axes, in_shape):
    x = rng.normal(size=in_shape).astype("float32")
    layer = layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes, activation="relu",
                               bias_initializer="ones")
    out = layer(x)
    weights = layer.get_weights()
    expected = np.einsum(equation, x, weights[0]) + (weights[1] if bias_axes else 0)
    np.testing.assert_allclose(out, np.maximum(expected, 0), rtol=1e-5, atol=1e-5)


def test_einsum_dense_with_unknown_batch_and_steps(backend):
    inputs = layered.Input(shape=(None, 6))
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 3, 5), bias_axes="de")
    model = layered.Model(inputs, layer(inputs))
    x = rng.normal(size=(2, 7, 6)).astype("float32")
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), np.einsum("abc,cde->abde", x, kernel) + bias,
                               rtol=1e-5, atol=1e-5)


def test_additive_attention_formula(backend):
    q, v = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32")
    layer = layers.AdditiveAttention()
    layer([q, v])
    scale = rng.normal(size=4).astype("float32")
    layer.set_weights([scale])
    scores = (np.tanh(q[:, :, None, :] + v[:, None, :, :]) * scale).sum(-1)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(layer([q, v]), weights @ v, rtol=1e-5, atol=1e-6)
    assert "score_mode" not in layer.get_config() and layer.get_config()["use_scale"] is True


def test_group_query_attention_shares_key_value_heads(backend):
    q, v = rng.normal(size=(2, 3, 8)).astype("float32"), rng.normal(size=(2, 5, 6)).astype("float32")
    layer = layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    assert layer(layered.Input(shape=(3, 8)), layered.Input(shape=(5, 6))).shape == (None, 3, 8)
    assert [(w.path.split("/", 1)[1], w.shape) for w in layer.weights] == [
        ("query/kernel", (8, 4, 4)), ("query/bias", (4, 4)), ("key/kernel", (6, 2, 4)), ("key/bias", (2, 4)),
        ("value/kernel", (6, 2, 4)), ("value/bias", (2, 4)), ("attention_output/kernel", (4, 4, 8)),
        ("attention_output/bias", (8,))]
    wq, bq, wk, bk, wv, bv, wo, bo = [rng.normal(size=w.shape).astype("float32") * 0.3 for w in layer.weights]
    layer.set_weights([wq, bq, wk, bk, wv, bv, wo, bo])
    query = np.einsum("btd,dhk->bhtk", q, wq) + bq[None, :, None]
    key = np.repeat(np.einsum("bsd,dhk->bhsk", v, wk) + bk[None, :, None], 2, axis=1)
    value = np.repeat(np.einsum("bsd,dhk->bhsk", v, wv) + bv[None, :, None], 2, axis=1)
    scores = query @ key.transpose(0, 1, 3, 2) / 2.0
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    expected = np.einsum("bhtk,hkd->btd", weights @ value, wo) + bo
    np.testing.assert_allclose(layer(q, v), expected, rtol=1e-4, atol=1e-5)
    config = layer.get_config()
    assert config["num_key_value_heads"] == 2 and "num_heads" not in config
    assert layers.GroupQueryAttention.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"GroupQueryAttention layer 'g'.*multiple"):
        layers.GroupQueryAttention(head_dim=4, num_query_heads=3, num_key_value_heads=2, name="g")


def test_conv_lstm_matches_a_numpy_loop(backend):
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")  # (batch, time, steps, channels)
    layer = layers.ConvLSTM1D(2, 1, return_sequences=True, return_state=True)
    sequences, h, c = layer(x)
    kernel, recurrent, bias = [w[0] if w.ndim == 3 else w for w in layer.get_weights()]
    assert np.allclose(bias[2:4], 1.0)  # unit_forget_bias

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))
    hs, state_h, state_c = [], np.zeros((2, 4, 2)), np.zeros((2, 4, 2))
    for t in range(3):
        z = x[:, t] @ kernel + state_h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        state_c = sigmoid(f) * state_c + sigmoid(i) * np.tanh(g)
        state_h = sigmoid(o) * np.tanh(state_c)
        hs.append(state_h)
    np.testing.assert_allclose(sequences, np.stack(hs, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, state_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, state_c, rtol=1e-5, atol=1e-6)


def test_stacked_cells_equal_two_stacked_layers(backend):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    stacked = layers.RNN([layers.GRUCell(4), layers.LSTMCell(2)], return_sequences=True)
    out = stacked(x)
    first, second = layers.GRU(4, return_sequences=True), layers.LSTM(2, return_sequences=True)
    first(x), second(first(x))
    weights = stacked.get_weights()
    first.set_weights(weights[:3]), second.set_weights(weights[3:])
    np.testing.assert_allclose(out, second(first(x)), rtol=1e-5, atol=1e-6)
    hidden, *states = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(4), layers.SimpleRNNCell(2)]),
                                 return_state=True)(x)
    assert hidden.shape == (2, 2) and [s.shape for s in states] == [(2, 4), (2, 4), (2, 2)]


def test_category_encoding_modes(backend):
    ids = np.array([[0, 1, 1], [3, 3, 3]], "int32")
    np.testing.assert_array_equal(layers.CategoryEncoding(4)(ids), [[1, 1, 0, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(layers.CategoryEncoding(4, output_mode="count")(ids), [[1, 2, 0, 0], [0, 0, 0, 3]])
    np.testing.assert_array_equal(layers.CategoryEncoding(4, output_mode="one_hot")(np.array([[2], [0]], "int32")),
                                  [[0, 0, 1, 0], [1, 0, 0, 0]])
    counts = layers.CategoryEncoding(4, output_mode="count")(ids, count_weights=np.full((2, 3), 0.5, "float32"))
    np.testing.assert_allclose(counts, [[0.5, 1, 0, 0], [0, 0, 0, 1.5]])


def test_discretization_buckets_like_numpy_digitize(backend):
    x = np.array([[-1.5, -1.0, 0.0, 0.3, 1.5, 9.0]], "float32")
    boundaries = [-1.0, 0.0, 1.5]
    out = layers.Discretization(bin_boundaries=boundaries)(x)
    np.testing.assert_array_equal(out, np.digitize(x, boundaries))
    assert out.dtype == np.int32
    one_hot = layers.Discretization(bin_boundaries=boundaries, output_mode="one_hot")(x[0])
    np.testing.assert_array_equal(one_hot, np.eye(4)[np.digitize(x[0], boundaries)])


def test_center_crop_and_random_flip(backend):
    images = rng.normal(size=(8, 7, 8, 3)).astype("float32")
    np.testing.assert_array_equal(layers.CenterCrop(4, 5)(images), images[:, 1:5, 1:6])
    flip = layers.RandomFlip("horizontal", seed=1)
    out = flip(images)  # called directly, it flips (Keras's default training=True there)
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, images)]
    assert all(f or np.array_equal(o, i) for f, o, i in zip(flipped, out, images)) and any(flipped)
    np.testing.assert_array_equal(flip(images, training=False), images)
    both = layers.RandomFlip()(images)
    assert all(np.array_equal(o, i) or np.array_equal(o, i[::-1, ::-1]) for o, i in zip(both, images))
    model = layered.Sequential([layered.Input((7, 8, 3)), layers.RandomFlip()])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)  # inference: identity


def test_alpha_dropout_keeps_selu_statistics_in_training(backend):
    x = rng.normal(size=(400, 250)).astype("float32")
    layer = layers.AlphaDropout(0.2)
    np.testing.assert_array_equal(layer(x), x)
    out = layer(x, training=True)
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.03
    dropped = ~np.isclose(out, x * _alpha_a(0.2) + _alpha_b(0.2), atol=1e-5)
    assert 0.17 < dropped.mean() < 0.23


def _alpha_a(rate):
    saturation = -1.6732632423543772 * 1.0507009873554805
    return ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5


def _alpha_b(rate):
    return -_alpha_a(rate) * -1.6732632423543772 * 1.0507009873554805 * rate


def test_spatial_dropout3d_drops_whole_volumes(backend):
    out = layers.SpatialDropout3D(0.4)(np.ones((32, 2, 3, 2, 16), "float32"), training=True)
    kept = out != 0
    assert np.all(kept.all(axis=(1, 2, 3)) | (~kept).all(axis=(1, 2, 3)))


def test_3d_reshaping_values(backend):
    x = rng.normal(size=(2, 4, 5, 3, 2)).astype("float32")
    np.testing.assert_array_equal(layers.UpSampling3D((1, 2, 3))(x), x.repeat(2, 2).repeat(3, 3))
    np.testing.assert_array_equal(layers.Cropping3D(((1, 2), (0, 1), (1, 0)))(x), x[:, 1:2, 0:4, 1:3])
    np.testing.assert_array_equal(layers.ZeroPadding3D(1)(x), np.pad(x, [(0, 0), (1, 1), (1, 1), (1, 1), (0, 0)]))


def test_geometric_augmentations_with_fixed_factors_match_keras(backend):
    square = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    # Values printed by Keras 3 for the same calls (factors that leave nothing to chance).
    np.testing.assert_allclose(layers.RandomRotation((0.25, 0.25))(square)[0, ..., 0],
                               np.rot90(square[0, ..., 0]), atol=1e-4)
    shifted = layers.RandomTranslation((0.2, 0.2), (0.0, 0.0), fill_mode="constant")(square)[0, ..., 0]
    np.testing.assert_allclose(shifted, np.vstack([np.zeros((1, 5)), square[0, :4, :, 0]]), atol=1e-5)
    reflected = layers.RandomTranslation((0.4, 0.4), (0.0, 0.0))(square)[0, ..., 0]
    np.testing.assert_allclose(reflected[:, 0], [5, 0, 0, 5, 10], atol=1e-5)
    zoomed = layers.RandomZoom((-0.5, -0.5), interpolation="nearest")(square)[0, ..., 0]
    np.testing.assert_allclose(zoomed[0], [6, 7, 7, 8, 8], atol=1e-5)


@pytest.mark.parametrize("make", [lambda: layers.RandomRotation(0.1, fill_mode="wrap"),
                                  lambda: layers.RandomTranslation(0.1, 0.2, fill_mode="nearest"),
                                  lambda: layers.RandomZoom(0.2, interpolation="nearest")])
def test_augmentations_train_in_a_model_and_pass_through_at_inference(backend, make):
    images = rng.normal(size=(4, 5, 6, 3)).astype("float32")
    layer = make()
    model = layered.Sequential([layered.Input((5, 6, 3)), layer, layers.Flatten(), layers.Dense(2)])
    model.compile("sgd", "mse")
    model.fit(images, np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    np.testing.assert_array_equal(layer(images, training=False), images)
    assert layer(images).shape == images.shape
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_resizing_matches_keras_values(backend):
    image = np.arange(12, dtype="float32").reshape(1, 3, 4, 1)
    # Keras 3 (jax.image.resize, half-pixel centres, no antialiasing) gives these.
    up = layers.Resizing(2, 8)(image)[0, ..., 0]
    np.testing.assert_allclose(up[0], [1.0, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.0], atol=1e-5)
    np.testing.assert_allclose(layers.Resizing(3, 2)(image)[0, :, :, 0], [[0.5, 2.5], [4.5, 6.5], [8.5, 10.5]])
    nearest = layers.Resizing(6, 2, interpolation="nearest")(image)[0, ..., 0]
    np.testing.assert_array_equal(nearest, [[1, 3], [1, 3], [5, 7], [5, 7], [9, 11], [9, 11]])
    assert layers.Resizing(5, 7)(layered.Input(shape=(3, 4, 2))).shape == (None, 5, 7, 2)


def test_contrast_and_brightness_in_training_only(backend):
    images = rng.uniform(0, 255, size=(6, 5, 6, 3)).astype("float32")
    contrast, brightness = layers.RandomContrast((0.5, 0.5)), layers.RandomBrightness(0.2)
    np.testing.assert_array_equal(contrast(images, training=False), images)
    np.testing.assert_array_equal(brightness(images, training=False), images)
    out = contrast(images)
    assert out.min() >= 0 and out.max() <= 255 and not np.allclose(out, images)
    shift = brightness(images) - images
    assert np.abs(shift).max() <= 0.2 * 255 + 1e-3
    assert layers.RandomContrast(0.2).get_config()["factor"] == (0, 0.2)  # Keras 3 stores (0, f)


def test_random_crop_crops_in_training_and_passes_through_at_inference(backend):
    images = np.arange(2 * 5 * 6, dtype="float32").reshape(2, 5, 6, 1)
    layer = layers.RandomCrop(3, 4, seed=1)
    out = layer(images)
    assert out.shape == (2, 3, 4, 1) and layer.compute_output_shape((None, 5, 6, 1)) == (None, 3, 4, 1)
    top, left = np.argwhere(images[0, ..., 0] == out[0, 0, 0, 0])[0]
    np.testing.assert_array_equal(out, images[:, top:top + 3, left:left + 4])  # one window for the batch
    np.testing.assert_array_equal(layer(images, training=False), images)  # Keras 3 does not crop at inference
    model = layered.Sequential([layered.Input((5, 6, 1)), layer, layers.Conv2D(2, 3), layers.GlobalMaxPooling2D()])
    model.compile("sgd", "mse")
    model.fit(images, np.zeros((2, 2), "float32"), verbose=0)


def test_pipeline_and_wrapper(backend):
    images = np.arange(8, dtype="float32").reshape(2, 2, 2, 1)
    pipeline = layers.Pipeline([layers.Rescaling(0.5), layers.RandomFlip()])
    np.testing.assert_array_equal(pipeline(images, training=False), images * 0.5)
    assert layers.deserialize(layers.serialize(pipeline)).get_config() == pipeline.get_config()
    assert set(pipeline.get_config()) == {"layers", "name"}  # as Keras saves a Pipeline

    class Doubled(layers.Wrapper):
        def call(self, inputs):
            return self.layer(inputs) * 2.0
    wrapped = Doubled(layers.Dense(2, kernel_initializer="ones"))
    np.testing.assert_allclose(wrapped(np.ones((1, 3), "float32")), [[6.0, 6.0]])
    assert [w.shape for w in wrapped.weights] == [(3, 2), (2,)]
    assert layers.Wrapper.from_config(layers.Wrapper(layers.Dense(4)).get_config()).layer.units == 4


@pytest.mark.parametrize("size,target", [(7, 3), (7, 5), (4, 9)])
def test_adaptive_pooling_windows(backend, size, target):
    x = rng.normal(size=(2, size, 3)).astype("float32")
    windows = [(i * size // target, -(-(i + 1) * size // target)) for i in range(target)]  # PyTorch's rule
    np.testing.assert_allclose(layers.AdaptiveAveragePooling1D(target)(x),
                               np.stack([x[:, a:b].mean(1) for a, b in windows], 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers.AdaptiveMaxPooling1D(target)(x),
                               np.stack([x[:, a:b].max(1) for a, b in windows], 1))
    image = rng.normal(size=(2, size, size + 2, 3)).astype("float32")
    layer = layers.AdaptiveMaxPooling2D((target, 2))
    assert layer(image).shape == (2, target, 2, 3) and layer.get_config()["output_size"] == (target, 2)


# ------------------------------------------------------------ names Keras exports

def test_aliases_are_the_same_classes():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.Convolution2D is layers.Conv2D and layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    assert layers.serialize(layers.MaxPool2D())["class_name"] == "MaxPooling2D"


def test_functional_merge_forms(backend):
    a, b = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    x, y = layered.Input(shape=(4,)), layered.Input(shape=(4,))
    outputs = [layers.subtract([x, y]), layers.multiply([x, y]), layers.average([x, y]), layers.maximum([x, y]),
               layers.minimum([x, y]), layers.dot([x, y], axes=1)]
    results = layered.Model([x, y], outputs).predict([a, b], verbose=0)
    expected = [a - b, a * b, (a + b) / 2, np.maximum(a, b), np.minimum(a, b), (a * b).sum(1, keepdims=True)]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_serialize_and_deserialize_layers():
    data = layers.serialize(layers.Dense(3, activation="relu", name="d"))
    assert data["class_name"] == "Dense" and data["config"]["units"] == 3
    copy = layers.deserialize(data)
    assert isinstance(copy, layers.Dense) and copy.get_config() == data["config"]


# ------------------------------------------------------------ unknown spatial sizes

@pytest.mark.parametrize("make", [
    lambda: layers.UpSampling2D((2, 3)), lambda: layers.Cropping2D(((1, 2), (0, 1))),
    lambda: layers.Conv2DTranspose(2, 3, strides=2), lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same"),
    lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1),
    lambda: layers.Conv2D(2, 3, strides=2, padding="same"), lambda: layers.Conv2D(2, 5, strides=3, padding="same"),
    lambda: layers.MaxPooling2D(3, strides=2, padding="same"), lambda: layers.AveragePooling2D(3, 2, padding="same"),
    lambda: layers.MaxPooling2D(padding="same"),
], ids=["upsampling", "cropping", "conv_transpose_valid", "conv_transpose_same", "conv_transpose_output_padding",
        "strided_same_conv", "strided_same_conv_s3", "strided_same_max_pool", "strided_same_avg_pool",
        "same_max_pool_2"])
@pytest.mark.parametrize("size", [(7, 6), (8, 9)])
def test_unknown_spatial_sizes_give_the_known_size_results(backend, make, size):
    layer = make()
    x = rng.normal(size=(2,) + size + (3,)).astype("float32")
    unknown, known = layered.Input(shape=(None, None, 3)), layered.Input(shape=size + (3,))
    model_unknown, model_known = layered.Model(unknown, layer(unknown)), layered.Model(known, layer(known))
    assert model_unknown.output_shape[1:3] == (None, None)
    np.testing.assert_allclose(model_unknown.predict(x, verbose=0), model_known.predict(x, verbose=0), rtol=1e-6)
    if size == (7, 6):
        model_unknown.compile("sgd", "mse")
        model_unknown.fit(x, model_known.predict(x, verbose=0), epochs=1, verbose=0)


@pytest.mark.parametrize("make", [
    lambda: layers.Conv2D(2, 3, strides=2, padding="same"), lambda: layers.AveragePooling2D(3, 2, padding="same"),
    lambda: layers.Cropping2D(((1, 2), (0, 1))), lambda: layers.UpSampling2D(2),
    lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same"),
], ids=["strided_same_conv", "strided_same_avg_pool", "cropping", "upsampling", "conv_transpose"])
def test_gradients_with_sizes_unknown_until_run_time(backend, make):
    from layered.graph import autodiff
    layer = make()
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")

    def run(shape):
        inputs = layered.placeholder(shape, "float32")
        out = layer(inputs)
        grads = autodiff.grad(layered.ops.sum(out * out), [inputs] + layer.trainable_weights)
        return layered.function([inputs], [out] + grads)(x)
    for unknown, known in zip(run((None, None, None, 3)), run(x.shape)):
        np.testing.assert_allclose(unknown, known, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------ errors name the layer

def test_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match=r"EinsumDense layer 'e'.*invalid equation"):
        layers.EinsumDense("ab->b", output_shape=3, name="e")
    with pytest.raises(ValueError, match=r"EinsumDense layer 'e2'.*bias axes 'z'"):
        layers.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="z", name="e2")
    with pytest.raises(ValueError, match=r"EinsumDense layer 'e3'.*output_shape"):
        layers.EinsumDense("abc,cd->abd", output_shape=3, name="e3")(layered.Input(shape=(4, 5)))
    with pytest.raises(ValueError, match=r"CategoryEncoding layer 'c'.*output_mode"):
        layers.CategoryEncoding(3, output_mode="tf_idf", name="c")
    with pytest.raises(ValueError, match=r"Discretization layer 'd'.*sorted"):
        layers.Discretization(bin_boundaries=[1.0, 0.0], name="d")
    with pytest.raises(NotImplementedError, match=r"CenterCrop layer 'cc'.*smaller"):
        layers.CenterCrop(9, 9, name="cc")(layered.Input(shape=(7, 8, 3)))
    with pytest.raises(ValueError, match=r"RandomRotation layer 'rr'.*fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror", name="rr")
    with pytest.raises(ValueError, match=r"RandomZoom layer 'rz'.*lower <= upper"):
        layers.RandomZoom((0.3, 0.1), name="rz")
    with pytest.raises(ValueError, match=r"RandomContrast layer 'rc'.*factor"):
        layers.RandomContrast(1.5, name="rc")
    with pytest.raises(NotImplementedError, match=r"Resizing layer 'rs'.*bicubic"):
        layers.Resizing(4, 4, interpolation="bicubic", name="rs")
    with pytest.raises(ValueError, match=r"RandomFlip layer 'rf'.*mode"):
        layers.RandomFlip("diagonal", name="rf")
    with pytest.raises(ValueError, match=r"AlphaDropout layer 'ad'.*rate"):
        layers.AlphaDropout(1.5, name="ad")
    with pytest.raises(Exception, match=r"'rms'.*axis 3"):
        layers.RMSNormalization(axis=3, name="rms")(layered.Input(shape=(4,)))


# ------------------------------------------------------------ NumPy vs JAX

@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
@pytest.mark.parametrize("make,shape", [
    (lambda: layers.RMSNormalization(), (2, 4, 6)),
    (lambda: layers.EinsumDense("abc,cde->abde", output_shape=(None, 3, 5), bias_axes="de"), (2, 4, 6)),
    (lambda: layers.Conv3DTranspose(2, 3, strides=2, padding="same"), (2, 3, 4, 3, 2)),
    (lambda: layers.UpSampling3D(2), (2, 2, 3, 2, 2)),
], ids=["rms_norm", "einsum_dense", "conv3d_transpose", "upsampling3d"])
def test_numpy_and_jax_agree(monkeypatch, make, shape):
    layer = make()
    layer.build((None,) + shape[1:])
    x = rng.normal(size=shape).astype("float32")
    assert_backends_agree(layer, [x], layer.trainable_weights, monkeypatch)


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_additive_attention_numpy_and_jax_agree(monkeypatch):
    layer = layers.AdditiveAttention()
    layer.build([(None, 3, 4), (None, 5, 4)])
    q, v = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32")
    assert_backends_agree(lambda a, b: layer([a, b]), [q, v], layer.trainable_weights, monkeypatch)
