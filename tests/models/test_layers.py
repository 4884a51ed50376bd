"""Core layers: shapes, parameter counts, formulas against NumPy, eager and symbolic calls."""
import numpy as np
import pytest

import layered
from layered import layers
from layered.graph.core import ShapeError


def check_layer(layer, input_shape, expected_shape, n_params, reference=None, inputs=None, seed=0):
    """Build `layer` on `input_shape` (batch first, None allowed) and check its output shape,
    its parameter count, and, given `reference(arrays, weights)`, its values on random data."""
    rng = np.random.default_rng(seed)
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    symbolic = [layered.Input(batch_shape=s) for s in shapes]
    out = layer(symbolic if isinstance(input_shape, list) else symbolic[0])
    assert out.shape == expected_shape
    assert layer.count_params() == n_params
    assert layer.compute_output_shape(input_shape) == expected_shape
    arrays = inputs or [rng.normal(size=tuple(4 if d is None else d for d in s)).astype("float32") for s in shapes]
    result = layer(arrays if isinstance(input_shape, list) else arrays[0])
    assert isinstance(result, np.ndarray)
    if reference is not None:
        expected = reference(arrays if isinstance(input_shape, list) else arrays[0], layer.get_weights())
        np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)
    return result


def relu(x):
    return np.maximum(x, 0)


CASES = [
    ("dense", lambda: layers.Dense(3), (None, 5), (None, 3), 18, lambda x, w: x @ w[0] + w[1]),
    ("dense_relu_nobias", lambda: layers.Dense(4, activation="relu", use_bias=False), (None, 5), (None, 4), 20,
     lambda x, w: relu(x @ w[0])),
    ("dense_rank3", lambda: layers.Dense(2), (None, 3, 5), (None, 3, 2), 12, lambda x, w: x @ w[0] + w[1]),
    ("activation", lambda: layers.Activation("tanh"), (None, 6), (None, 6), 0, lambda x, w: np.tanh(x)),
    ("dropout_inference", lambda: layers.Dropout(0.5), (None, 6), (None, 6), 0, lambda x, w: x),
    ("flatten", lambda: layers.Flatten(), (None, 2, 3, 4), (None, 24), 0, lambda x, w: x.reshape(len(x), -1)),
    ("reshape", lambda: layers.Reshape((3, 2)), (None, 6), (None, 3, 2), 0, lambda x, w: x.reshape(len(x), 3, 2)),
    ("reshape_infer", lambda: layers.Reshape((-1, 2)), (None, 2, 4), (None, 4, 2), 0,
     lambda x, w: x.reshape(len(x), 4, 2)),
    ("concatenate", lambda: layers.Concatenate(), [(None, 2), (None, 3)], (None, 5), 0,
     lambda xs, w: np.concatenate(xs, -1)),
    ("concatenate_axis1", lambda: layers.Concatenate(axis=1), [(None, 2, 4), (None, 3, 4)], (None, 5, 4), 0,
     lambda xs, w: np.concatenate(xs, 1)),
    ("add", lambda: layers.Add(), [(None, 3), (None, 3), (None, 3)], (None, 3), 0, lambda xs, w: sum(xs)),
    ("multiply", lambda: layers.Multiply(), [(None, 3), (None, 3)], (None, 3), 0, lambda xs, w: xs[0] * xs[1]),
    ("average", lambda: layers.Average(), [(None, 3), (None, 3)], (None, 3), 0, lambda xs, w: (xs[0] + xs[1]) / 2),
]


@pytest.mark.parametrize("name,make,input_shape,expected,n_params,reference", CASES, ids=[c[0] for c in CASES])
def test_layer(backend, name, make, input_shape, expected, n_params, reference):
    check_layer(make(), input_shape, expected, n_params, reference)


def test_dense_weights_are_kernel_then_bias_and_follow_initializers():
    layer = layers.Dense(3, kernel_initializer="ones", bias_initializer=layered.initializers.Constant(0.5))
    layer.build((None, 2))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 3) and bias.shape == (3,)
    assert np.all(kernel == 1) and np.all(bias == 0.5)
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]


def test_set_weights_checks_count_and_shapes_before_assigning():
    layer = layers.Dense(2)
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match="has 2 weights, set_weights got 1"):
        layer.set_weights([before[0]])
    with pytest.raises(ValueError, match=r"bias. has shape \(2,\), the value given has shape \(2, 2\)"):
        layer.set_weights([before[0] + 1, np.zeros((2, 2))])  # kernel fits, bias does not
    np.testing.assert_array_equal(layer.get_weights()[0], before[0])


def test_dropout_in_training_zeroes_and_rescales(backend):
    x = np.ones((200, 50), "float32")
    out = layers.Dropout(0.3)(x, training=True)
    kept = out != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(layers.Dropout(0.3)(x), x)


def test_dense_rejects_a_wrong_feature_size_naming_layer_and_shapes():
    layer = layers.Dense(2, name="head")
    layer(layered.Input(shape=(4,)))
    with pytest.raises(ShapeError, match=r"'head'.*axis -1 of size 4.*\(None, 5\)"):
        layer(layered.Input(shape=(5,)))


def test_merge_layers_reject_mismatched_inputs():
    with pytest.raises(ShapeError, match=r"'cat'.*\(None, 2, 3\) and \(None, 4, 4\)"):
        layers.Concatenate(name="cat")([layered.Input(shape=(2, 3)), layered.Input(shape=(4, 4))])
    with pytest.raises(ShapeError, match=r"incompatible shapes \(None, 2\) and \(None, 3\)"):
        layers.Add()([layered.Input(shape=(2,)), layered.Input(shape=(3,))])
    with pytest.raises(ValueError, match="list of at least 2 inputs"):
        layers.Add()(layered.Input(shape=(2,)))


def test_reshape_rejects_sizes_that_do_not_fit():
    with pytest.raises(ValueError, match="6 values per sample, target shape \\(4, 2\\) has 8"):
        layers.Reshape((4, 2))(layered.Input(shape=(6,)))


def test_custom_layer_with_add_weight_build_and_training_flag(backend):
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
            self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

        def call(self, x, training=None):
            return x * self.scale * (2.0 if training else 1.0)

    layer = Scale()
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(layer(x), x)
    np.testing.assert_allclose(layer(x, training=True), 2 * x)
    assert [w.name for w in layer.trainable_weights] == ["scale"]
    assert [w.name for w in layer.non_trainable_weights] == ["calls"]
    assert layer.count_params() == 4
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_layer_names_are_unique_per_class():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name != b.name and a.name.startswith("dense") and b.name.startswith("dense")
    assert layers.Dense(1, name="mine").name == "mine"


def test_unknown_constructor_arguments_and_names_are_errors():
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['unit'\\]"):
        layers.Dense(2, unit=3)
    with pytest.raises(ValueError, match="unknown activation 'rellu'.*Did you mean 'relu'"):
        layers.Dense(2, activation="rellu")
    with pytest.raises(ValueError, match="unknown initializer"):
        layers.Dense(2, kernel_initializer="glorot_uniformm")


def test_masks_flow_to_layers_that_take_them_and_state_assignments_become_updates(backend):
    class NonZero(layers.Layer):
        def compute_mask(self, inputs, mask=None):
            return layered.ops.not_equal(inputs, 0.0)

    class MaskedSum(layers.Layer):
        def call(self, x, mask=None):
            return layered.ops.sum(layered.ops.where(mask, x, 0.0) * 2.0, axis=-1)

    class Counter(layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def call(self, x, training=None):
            if training:
                self.count.assign(self.count + 1.0)
            return x

    inputs = layered.Input(shape=(3,))
    counter = Counter()
    hidden = layers.Dense(3, kernel_initializer="identity", name="keeps_mask")(NonZero()(counter(inputs)))
    model = layered.Model(inputs, MaskedSum()(hidden))
    x = np.array([[1.0, 0.0, 2.0]], "float32")
    np.testing.assert_allclose(model(x), [6.0])  # the mask made from the input reached MaskedSum
    model.compile(optimizer=layered.optimizers.SGD(0.0), loss="mse")
    model.fit(np.ones((8, 3)), np.zeros(8), batch_size=4, epochs=2, verbose=0)
    assert counter.count.numpy() == 4.0  # one assignment per training step, none in predict
    model.predict(np.ones((8, 3)), verbose=0)
    assert counter.count.numpy() == 4.0
    with pytest.raises(RuntimeError, match="outside a traced step"):
        counter.count.assign(layered.placeholder(()) + 1.0)
