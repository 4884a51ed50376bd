"""Reshaping layers, Dot and Lambda: Keras shapes, values against NumPy, masks, configs, errors."""
import numpy as np
import pytest

import layered
from layered import layers, ops
from layered.graph.core import ShapeError
from tests.helpers import check_vjp
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree
from tests.models.test_layers import check_layer


def l2n(x, axis):
    return x / np.sqrt((x ** 2).sum(axis, keepdims=True))


# name, layer, input shape(s), output shape (from the Keras 3 docs), NumPy reference
CASES = [
    ("permute", lambda: layers.Permute((2, 1)), (None, 3, 4), (None, 4, 3), lambda x: x.transpose(0, 2, 1)),
    ("permute3", lambda: layers.Permute((3, 1, 2)), (None, 2, 3, 4), (None, 4, 2, 3),
     lambda x: x.transpose(0, 3, 1, 2)),
    ("repeat_vector", lambda: layers.RepeatVector(3), (None, 4), (None, 3, 4),
     lambda x: np.repeat(x[:, None], 3, axis=1)),
    ("zero_padding1d", lambda: layers.ZeroPadding1D(2), (None, 3, 4), (None, 7, 4),
     lambda x: np.pad(x, ((0, 0), (2, 2), (0, 0)))),
    ("zero_padding1d_pair", lambda: layers.ZeroPadding1D((1, 3)), (None, 3, 4), (None, 7, 4),
     lambda x: np.pad(x, ((0, 0), (1, 3), (0, 0)))),
    ("zero_padding2d", lambda: layers.ZeroPadding2D(), (None, 3, 4, 2), (None, 5, 6, 2),
     lambda x: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))),
    ("zero_padding2d_pairs", lambda: layers.ZeroPadding2D(((1, 0), (2, 3))), (None, 3, 4, 2), (None, 4, 9, 2),
     lambda x: np.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0)))),
    ("zero_padding2d_first", lambda: layers.ZeroPadding2D((1, 2), data_format="channels_first"), (None, 2, 3, 4),
     (None, 2, 5, 8), lambda x: np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)))),
    ("cropping1d", lambda: layers.Cropping1D(), (None, 5, 2), (None, 3, 2), lambda x: x[:, 1:-1]),
    ("cropping1d_pair", lambda: layers.Cropping1D((0, 2)), (None, 5, 2), (None, 3, 2), lambda x: x[:, :3]),
    ("cropping2d", lambda: layers.Cropping2D(((1, 0), (2, 1))), (None, 4, 5, 2), (None, 3, 2, 2),
     lambda x: x[:, 1:, 2:-1]),
    ("cropping2d_symmetric", lambda: layers.Cropping2D((1, 2)), (None, 4, 5, 2), (None, 2, 1, 2),
     lambda x: x[:, 1:-1, 2:-2]),
    ("upsampling1d", lambda: layers.UpSampling1D(3), (None, 2, 4), (None, 6, 4), lambda x: np.repeat(x, 3, 1)),
    ("upsampling2d", lambda: layers.UpSampling2D((2, 3)), (None, 2, 3, 1), (None, 4, 9, 1),
     lambda x: np.repeat(np.repeat(x, 2, 1), 3, 2)),
    ("upsampling2d_first", lambda: layers.UpSampling2D(2, data_format="channels_first"), (None, 1, 2, 3),
     (None, 1, 4, 6), lambda x: np.repeat(np.repeat(x, 2, 2), 2, 3)),
    ("masking", lambda: layers.Masking(), (None, 3, 2), (None, 3, 2), lambda x: x),
    ("dot_rank2", lambda: layers.Dot(axes=1), [(None, 4), (None, 4)], (None, 1),
     lambda xs: (xs[0] * xs[1]).sum(1, keepdims=True)),
    ("dot_rank3", lambda: layers.Dot(axes=2), [(None, 3, 4), (None, 5, 4)], (None, 3, 5),
     lambda xs: xs[0] @ xs[1].transpose(0, 2, 1)),
    ("dot_pair_axes", lambda: layers.Dot(axes=(1, 2)), [(None, 3, 4), (None, 5, 3)], (None, 4, 5),
     lambda xs: np.einsum("bij,bki->bjk", xs[0], xs[1])),
    ("dot_normalize", lambda: layers.Dot(axes=-1, normalize=True), [(None, 4), (None, 4)], (None, 1),
     lambda xs: (l2n(xs[0], 1) * l2n(xs[1], 1)).sum(1, keepdims=True)),
    ("lambda", lambda: layers.Lambda(lambda x: ops.square(x) + 1.0), (None, 3), (None, 3), lambda x: x ** 2 + 1),
    ("lambda_args_shape", lambda: layers.Lambda(lambda x, k: ops.sum(x, axis=-1) * k, output_shape=(),
                                                arguments={"k": 2.0}), (None, 3), (None,),
     lambda x: x.sum(-1) * 2),
]


@pytest.mark.parametrize("name,make,input_shape,expected,reference", CASES, ids=[c[0] for c in CASES])
def test_layer(backend, name, make, input_shape, expected, reference):
    layer = make()
    check_layer(layer, input_shape, expected, 0, lambda x, w: reference(x))
    if not isinstance(layer, layers.Lambda):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_masking_zeroes_masked_steps_and_the_mask_reaches_a_consumer(backend):
    class CountSteps(layers.Layer):
        def call(self, x, mask=None):
            return ops.sum(ops.cast(mask, x.dtype), axis=1, keepdims=True)

    inputs = layered.Input(shape=(4, 2))
    masked = layers.Masking(mask_value=-1.0)(inputs)
    model = layered.Model(inputs, [masked, CountSteps()(layers.Dense(3)(masked))])
    x = np.array([[[1, 2], [-1, -1], [-1, 0], [-1, -1]]], "float32")
    values, counts = model.predict(x, verbose=0)
    np.testing.assert_array_equal(values, [[[1, 2], [0, 0], [-1, 0], [0, 0]]])
    np.testing.assert_array_equal(counts, [[2]])


def test_lambda_receives_mask_and_training_and_its_config_limits():
    seen = {}

    def function(x, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return x * 2.0

    inputs = layered.Input(shape=(3,), dtype="int32")
    masked = layers.Embedding(4, 2, mask_zero=True)(inputs)
    layer = layers.Lambda(function, mask=lambda x, mask: mask)
    out = layer(masked, training=True)
    assert seen["mask"] is masked._keras_mask and seen["training"] is True
    assert out._keras_mask is masked._keras_mask
    assert getattr(layers.Lambda(lambda x: x)(masked), "_keras_mask", None) is None  # no `mask` given: the mask stops, as in Keras
    config = layer.get_config()
    assert config["function"].endswith("function")
    with pytest.raises(ValueError, match="keeps only the name of its function"):
        layers.Lambda.from_config(config)
    assert isinstance(layers.Lambda.from_config({**config, "function": function, "mask": layer.mask}), layers.Lambda)


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ShapeError, match=r"'dot'.*dimension 1 of \(None, 3\) and dimension 1 of \(None, 4\)"):
        layers.Dot(axes=1, name="dot")([layered.Input(shape=(3,)), layered.Input(shape=(4,))])
    with pytest.raises(ShapeError, match=r"axis 0 is not a non-batch axis"):
        layers.Dot(axes=0)([layered.Input(shape=(3,)), layered.Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"'crop'.*leaves nothing of input shape \(None, 3, 2\)"):
        layers.Cropping1D((2, 1), name="crop")(layered.Input(shape=(3, 2)))
    with pytest.raises(ValueError, match="permutation of 1..2"):
        layers.Permute((0, 1))
    with pytest.raises(ShapeError, match=r"'rep'.*expected rank 2.*\(None, 3, 4\)"):
        layers.RepeatVector(2, name="rep")(layered.Input(shape=(3, 4)))
    with pytest.raises(ValueError, match="ZeroPadding2D padding must be"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(NotImplementedError, match="nearest"):
        layers.UpSampling2D(interpolation="bilinear")


def test_gradients_match_finite_differences(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    rng = np.random.default_rng(0)
    dot = layers.Dot(axes=(1, 2), normalize=True, dtype="float64")
    check_vjp(lambda a, b: dot([a, b]), [rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 4, 3))])
    up = layers.UpSampling2D((2, 1), dtype="float64")
    crop = layers.Cropping2D(((1, 0), (0, 1)), dtype="float64")
    check_vjp(lambda x: crop(up(x)), [rng.normal(size=(1, 2, 3, 2))])


@pytest.mark.skipif(not HAS_JAX, reason="needs jax")
def test_numpy_and_jax_agree(monkeypatch):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32")
    dot, pad, up = layers.Dot(axes=2, normalize=True), layers.ZeroPadding1D((1, 2)), layers.UpSampling1D(2)
    assert_backends_agree(lambda x, y: up(pad(dot([x, y]))), [a, b], [], monkeypatch)


# ---------------------------------------------------------------- merging masked sequences (Keras 3 rules)

def _two_masked(merge, second_masked=True):
    """Two Embedding(mask_zero) branches (rows of the tables: index i -> [i, i] and [10 i, 10 i])
    merged by `merge`; returns the model output and the merged tensor's mask as outputs."""
    a, b = layered.Input(shape=(3,), dtype="int32"), layered.Input(shape=(3,), dtype="int32")
    table = np.repeat(np.arange(4, dtype="float32")[:, None], 2, axis=1)
    ea = layers.Embedding(4, 2, mask_zero=True, weights=[table])(a)
    eb = layers.Embedding(4, 2, mask_zero=second_masked, weights=[10 * table])(b)
    merged = merge([ea, eb])
    return layered.Model([a, b], merged), merged


A_IDS, B_IDS = np.array([[1, 2, 0]]), np.array([[3, 0, 0]])


@pytest.mark.parametrize("merge,values,mask", [
    (layers.Add, [[[31, 31], [2, 2], [0, 0]]], [[True, True, False]]),
    (layers.Average, [[[15.5, 15.5], [1, 1], [0, 0]]], [[True, True, False]]),
    (layers.Multiply, [[[30, 30], [2, 2], [1, 1]]], [[True, True, False]]),  # a masked step counts as 1
    (layers.Maximum, [[[30, 30], [2, 2], [0, 0]]], [[True, True, False]]),
    (layers.Minimum, [[[1, 1], [2, 2], [0, 0]]], [[True, True, False]]),  # masked b: a's value
], ids=["add", "average", "multiply", "maximum", "minimum"])
def test_elementwise_merges_or_the_masks(backend, merge, values, mask):
    model, merged = _two_masked(merge())
    np.testing.assert_allclose(model.predict([A_IDS, B_IDS], verbose=0), values)
    np.testing.assert_array_equal(layered.function(model.inputs, [merged._keras_mask])(A_IDS, B_IDS)[0], mask)
    _, half = _two_masked(merge(), second_masked=False)
    assert getattr(half, "_keras_mask", None) is None  # Keras: a mask only when every input has one


def test_concatenate_merges_the_masks(backend):
    model, merged = _two_masked(layers.Concatenate())
    np.testing.assert_allclose(model.predict([A_IDS, B_IDS], verbose=0), [[[1, 1, 30, 30], [2, 2, 0, 0], [0, 0, 0, 0]]])
    mask = layered.function(model.inputs, [merged._keras_mask])
    np.testing.assert_array_equal(mask(A_IDS, B_IDS)[0], [[True, True, False]])
    model, merged = _two_masked(layers.Concatenate(), second_masked=False)  # an unmasked input counts as all True
    np.testing.assert_array_equal(layered.function(model.inputs, [merged._keras_mask])(A_IDS, B_IDS)[0],
                                  [[True, True, True]])
    model, merged = _two_masked(layers.Concatenate(axis=1))  # along time: the masks follow one another
    np.testing.assert_array_equal(layered.function(model.inputs, [merged._keras_mask])(A_IDS, B_IDS)[0],
                                  [[True, True, False, True, False, False]])


def test_configs_match_keras():
    assert layers.Dot(axes=1).get_config()["axes"] == 1  # as given, not expanded to a pair
    assert list(layers.Dot(axes=(1, 2)).get_config()["axes"]) == [1, 2]
    assert layers.Dot.from_config(layers.Dot(axes=-1, normalize=True).get_config()).get_config()["axes"] == -1
    assert layers.Flatten().get_config()["data_format"] == "channels_last"
    assert layers.ZeroPadding1D(2).get_config()["data_format"] == "channels_last"
