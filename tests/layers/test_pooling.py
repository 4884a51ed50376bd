"""Pooling layers: Keras shapes, values against a naive NumPy loop on both backends, tie
handling, masks, gradients across backends, errors."""
import numpy as np
import pytest

import layered
from layered import layers
from layered.graph.core import ShapeError
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree

rng = np.random.default_rng(1)

# name, layer, input shape, output shape (Keras 3 documentation: strides default to pool_size;
# 'valid' gives (n - pool) // stride + 1, 'same' gives ceil(n / stride)).
SHAPES = [
    ("max2d", lambda: layers.MaxPooling2D(), (None, 26, 26, 32), (None, 13, 13, 32)),
    ("max2d_odd", lambda: layers.MaxPooling2D(), (None, 11, 11, 64), (None, 5, 5, 64)),
    ("max2d_same_strided", lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (None, 7, 8, 2),
     (None, 4, 4, 2)),
    ("avg2d_rect", lambda: layers.AveragePooling2D((2, 3)), (None, 6, 7, 1), (None, 3, 2, 1)),
    ("max1d", lambda: layers.MaxPooling1D(), (None, 9, 3), (None, 4, 3)),
    ("avg1d_same", lambda: layers.AveragePooling1D(3, strides=1, padding="same"), (None, 5, 2), (None, 5, 2)),
    ("max1d_any_length", lambda: layers.MaxPooling1D(3, strides=1, padding="same"), (None, None, 2),
     (None, None, 2)),
    ("max3d", lambda: layers.MaxPooling3D(), (None, 4, 5, 6, 2), (None, 2, 2, 3, 2)),
    ("avg3d", lambda: layers.AveragePooling3D(2, strides=1), (None, 3, 3, 3, 1), (None, 2, 2, 2, 1)),
    ("global_max2d", lambda: layers.GlobalMaxPooling2D(), (None, 4, 5, 3), (None, 3)),
    ("global_avg2d_keepdims", lambda: layers.GlobalAveragePooling2D(keepdims=True), (None, 4, 5, 3),
     (None, 1, 1, 3)),
    ("global_avg1d", lambda: layers.GlobalAveragePooling1D(), (None, 6, 4), (None, 4)),
    ("global_max1d_keepdims", lambda: layers.GlobalMaxPooling1D(keepdims=True), (None, 6, 4), (None, 1, 4)),
    ("global_avg3d", lambda: layers.GlobalAveragePooling3D(), (None, 2, 3, 4, 5), (None, 5)),
]


@pytest.mark.parametrize("name,make,input_shape,output_shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_output_shapes_follow_keras(name, make, input_shape, output_shape):
    layer = make()
    assert layer(layered.Input(batch_shape=input_shape)).shape == output_shape
    assert layer.compute_output_shape(input_shape) == output_shape
    assert layer.weights == []


def naive_pool(x, window, strides, pads, reduce):
    """`reduce` over each window's real (non-padding) elements, by a loop over output positions."""
    spatial = x.shape[1:-1]
    out_sizes = [(n + lo + hi - k) // s + 1 for n, k, s, (lo, hi) in zip(spatial, window, strides, pads)]
    out = np.zeros((x.shape[0], *out_sizes, x.shape[-1]))
    for pos in np.ndindex(*out_sizes):
        region = tuple(slice(max(p * s - lo, 0), min(p * s - lo + k, n))
                       for p, s, (lo, _), k, n in zip(pos, strides, pads, window, spatial))
        block = x[(slice(None),) + region + (slice(None),)]
        out[(slice(None),) + pos + (slice(None),)] = reduce(block.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return out


# name, layer, input shape, window, strides, padding pairs, reduction
VALUES = [
    ("max2d", lambda: layers.MaxPooling2D(), (2, 6, 7, 3), (2, 2), (2, 2), [(0, 0)] * 2, np.max),
    ("max2d_same_overlapping", lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (2, 7, 6, 2),
     (3, 3), (2, 2), [(1, 1), (0, 1)], np.max),
    ("avg2d_same", lambda: layers.AveragePooling2D(2, padding="same"), (2, 5, 5, 2), (2, 2), (2, 2),
     [(0, 1), (0, 1)], np.mean),
    ("avg2d_overlapping", lambda: layers.AveragePooling2D((3, 2), strides=(1, 2)), (1, 5, 6, 2), (3, 2), (1, 2),
     [(0, 0)] * 2, np.mean),
    ("max1d", lambda: layers.MaxPooling1D(3), (2, 10, 3), (3,), (3,), [(0, 0)], np.max),
    ("avg3d_same", lambda: layers.AveragePooling3D(2, padding="same"), (1, 3, 4, 5, 2), (2, 2, 2), (2, 2, 2),
     [(0, 1), (0, 0), (0, 1)], np.mean),
    ("avg1d_same", lambda: layers.AveragePooling1D(3, strides=1, padding="same"), (2, 6, 2), (3,), (1,), [(1, 1)],
     np.mean),
]


@pytest.mark.parametrize("name,make,shape,window,strides,pads,reduce", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_a_naive_loop(backend, name, make, shape, window, strides, pads, reduce):
    x = rng.normal(size=shape).astype("float32")
    expected = naive_pool(x.astype(np.float64), window, strides, pads, reduce)
    np.testing.assert_allclose(make()(x), expected, rtol=1e-5, atol=1e-6)


def test_global_pooling_values(backend):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    np.testing.assert_allclose(layers.GlobalMaxPooling2D()(x), x.max(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D(keepdims=True)(x), x.mean(axis=(1, 2), keepdims=True),
                               rtol=1e-5)


def test_global_average_1d_leaves_masked_steps_out(backend):
    tokens = np.array([[3, 5, 0, 0], [2, 0, 0, 0]])
    embed = layers.Embedding(8, 2, mask_zero=True)
    pooled = layers.GlobalAveragePooling1D()
    inputs = layered.Input(shape=(4,), dtype="int32")
    model = layered.Model(inputs, pooled(embed(inputs)))
    table = embed.get_weights()[0]
    expected = np.stack([table[[3, 5]].mean(0), table[[2]].mean(0)])
    np.testing.assert_allclose(model.predict(tokens, verbose=0), expected, rtol=1e-5)


def test_max_pool_gradient_goes_to_the_first_maximum_on_both_backends(monkeypatch):
    x = np.array([[2.0, 2.0, 1.0, 5.0], [2.0, 0.0, 5.0, 5.0]], "float32").reshape(1, 2, 4, 1)
    expected = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]).reshape(1, 2, 4, 1)
    for name in ["numpy"] + (["jax"] if HAS_JAX else []):
        monkeypatch.setenv("LAYERED_BACKEND", name)
        p = layered.placeholder((1, 2, 4, 1))
        [g] = layered.ops.grad(layered.ops.sum(layers.MaxPooling2D()(p)), [p])
        np.testing.assert_array_equal(layered.function([p], g)(x), expected, err_msg=name)


@pytest.mark.skipif(not HAS_JAX, reason="needs jax")
@pytest.mark.parametrize("name,make,shape,window,strides,pads,reduce", VALUES, ids=[v[0] for v in VALUES])
def test_gradients_agree_across_backends(monkeypatch, name, make, shape, window, strides, pads, reduce):
    x = rng.permutation(np.arange(np.prod(shape), dtype="float32")).reshape(shape) * 0.1  # no ties
    assert_backends_agree(make(), [x], [], monkeypatch)


def test_errors():
    with pytest.raises(ShapeError, match=r"Layer 'pool' \(MaxPooling2D\).*pool_size \(3, 3\) is larger than the input"):
        layers.MaxPooling2D(3, name="pool")(layered.Input(shape=(2, 5, 1)))
    with pytest.raises(ShapeError, match=r"\(MaxPooling2D\).*expected rank 4.*\(None, 5, 1\)"):
        layers.MaxPooling2D()(layered.Input(shape=(5, 1)))
    with pytest.raises(NotImplementedError, match="channels_first"):
        layers.AveragePooling2D(data_format="channels_first")
    with pytest.raises(ValueError, match="padding"):
        layers.MaxPooling1D(padding="causal")


def test_config():
    config = layers.MaxPooling2D(3, strides=2, padding="same", name="p").get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": (3, 3), "strides": (2, 2), "padding": "same", "data_format": "channels_last"}
    assert layers.MaxPooling2D.from_config(config).get_config() == config
    assert layers.GlobalAveragePooling1D(keepdims=True).get_config()["keepdims"] is True


def test_global_average_pooling_mask_of_the_wrong_shape_is_an_error():
    with pytest.raises(ShapeError, match=r"'gap' \(GlobalAveragePooling1D\): the mask has shape \(None, 7\).*"
                                         r"expected shape \(None, 5\)"):
        layers.GlobalAveragePooling1D(name="gap")(layered.Input(shape=(5, 3)),
                                                  mask=layered.Input(shape=(7,), dtype="bool"))
