"""Sequential, functional and subclassed models: structure, weights order, calls, summary."""
import numpy as np
import pytest

import layered
from layered import layers
from layered.graph.core import ShapeError


def mlp(name=None):
    return layered.Sequential([layered.Input(shape=(4,)), layers.Dense(3, activation="relu"), layers.Dense(2)],
                              name=name)


def test_sequential_list_add_and_input_shape_give_the_same_structure():
    a = mlp()
    b = layered.Sequential()
    b.add(layered.Input(shape=(4,)))
    b.add(layers.Dense(3, activation="relu"))
    b.add(layers.Dense(2))
    c = layered.Sequential([layers.Dense(3, activation="relu", input_shape=(4,)), layers.Dense(2)])
    for model in (a, b, c):
        assert model.built and model.output_shape == (None, 2) and model.count_params() == 15 + 8
        assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense"]
        assert [w.shape for w in model.get_weights()] == [(4, 3), (3,), (3, 2), (2,)]


def test_sequential_without_input_builds_on_first_data(backend):
    model = layered.Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built
    out = model(np.ones((5, 7), "float32"))
    assert out.shape == (5, 1) and model.built and model.count_params() == 7 * 3 + 3 + 4


def test_sequential_pop_and_get_layer():
    model = mlp()
    last = model.pop()
    assert isinstance(last, layers.Dense) and model.output_shape == (None, 3)
    assert model.get_layer(index=0) is model.layers[0]
    assert model.get_layer(model.layers[0].name) is model.layers[0]
    with pytest.raises(ValueError, match="has no layer named 'nope'"):
        model.get_layer("nope")


def test_model_call_on_numpy_matches_a_numpy_forward(backend):
    model = mlp()
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    k1, b1, k2, b2 = model.get_weights()
    expected = np.maximum(x @ k1 + b1, 0) @ k2 + b2
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_functional_multi_input_output_shared_and_nested(backend):
    a, b = layered.Input(shape=(3,), name="a"), layered.Input(shape=(3,), name="b")
    shared = layers.Dense(2, name="shared")
    merged = layers.Concatenate()([shared(a), shared(b)])
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = layers.Add(name="out2")([shared(a), shared(b)])
    model = layered.Model(inputs=[a, b], outputs=[out1, out2])
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    assert sum(l is shared for l in model.layers) == 1
    assert [w.path for w in model.weights] == ["shared/kernel", "shared/bias", "out1/kernel", "out1/bias"]
    xa, xb = np.ones((2, 3), "float32"), np.full((2, 3), 2.0, "float32")
    k, bias, k1, b1 = model.get_weights()
    o1, o2 = model([xa, xb])
    np.testing.assert_allclose(o2, (xa @ k + bias) + (xb @ k + bias), rtol=1e-5)
    np.testing.assert_allclose(o1, np.concatenate([xa @ k + bias, xb @ k + bias], 1) @ k1 + b1, rtol=1e-5)

    # The whole model as a layer of a bigger one.
    c, d = layered.Input(shape=(3,)), layered.Input(shape=(3,))
    inner1, inner2 = model([c, d])
    outer = layered.Model([c, d], layers.Dense(1, name="top")(layers.Concatenate()([inner1, inner2])))
    assert len(outer.weights) == 6 and outer.weights[:4] == model.weights
    assert outer([xa, xb]).shape == (2, 1)


def test_functional_dict_inputs_and_outputs(backend):
    a, b = layered.Input(shape=(2,), name="a"), layered.Input(shape=(1,), name="b")
    out = layers.Dense(1, name="y")(layers.Concatenate()([a, b]))
    model = layered.Model({"a": a, "b": b}, {"y": out})
    result = model({"a": np.ones((3, 2), "float32"), "b": np.ones((3, 1), "float32")})
    assert set(result) == {"y"} and result["y"].shape == (3, 1)


def test_functional_errors_name_the_problem():
    a, b = layered.Input(shape=(2,)), layered.Input(shape=(2,), name="forgotten")
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="disconnected.*'forgotten'"):
        layered.Model(a, out)
    with pytest.raises(TypeError, match="made by layered.Input"):
        layered.Model(layered.placeholder((None, 2)), out)
    model = layered.Model([a, b], out)
    with pytest.raises(ShapeError, match=r"expects shape \(None, 2\), received shape \(None, 3\)"):
        model([layered.Input(shape=(3,)), layered.Input(shape=(2,))])


def test_subclassed_model_tracks_layers_in_assignment_order(backend):
    class TwoTowers(layered.Model):
        def __init__(self):
            super().__init__(name="towers")
            self.second = layers.Dense(2, name="second")
            self.blocks = [layers.Dense(3, name="b0"), layers.Dense(3, name="b1")]
            self.dropout = layers.Dropout(0.5)

        def call(self, x, training=None):
            h = self.dropout(self.blocks[1](self.blocks[0](x)), training=training)
            return self.second(h)

    model = TwoTowers()
    model.build((None, 4))
    assert [l.name for l in model.layers] == ["second", "b0", "b1", model.dropout.name]
    assert [w.path for w in model.weights] == ["second/kernel", "second/bias", "b0/kernel", "b0/bias",
                                               "b1/kernel", "b1/bias"]
    x = np.ones((3, 4), "float32")
    np.testing.assert_allclose(model(x), model(x))  # inference: dropout off
    assert model.count_params() == 15 + 12 + 8


def test_subclassed_model_must_call_super_init():
    class Broken(layered.Model):
        def __init__(self):
            self.dense = layers.Dense(1)

    with pytest.raises(RuntimeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_summary_lists_layers_shapes_and_counts():
    model = mlp(name="tiny")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "tiny"' in text
    assert "(None, 3)" in text and "(None, 2)" in text
    assert "Total params: 23" in text and "Trainable params: 23" in text and "Non-trainable params: 0" in text
    layered.Sequential([layers.Dense(2)]).summary(print_fn=lines.append)
    assert any("0 (unbuilt)" in line for line in lines)


def test_empty_sequential_cannot_be_called():
    with pytest.raises(ValueError, match="has no layers"):
        layered.Sequential().predict(np.ones((2, 3)), verbose=0)
def test_from_config_rebuilds_the_model_from_its_own_config(backend):
    model = layered.Sequential([layered.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2)],
                               name="pair")
    clone = layered.Sequential.from_config(model.get_config())
    assert clone.name == "pair" and [type(l).__name__ for l in clone.layers] == ["Dense", "Dense"]
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_predict_does_not_change_the_shapes_the_model_reports(backend):
    inputs = layered.Input((None, 6))
    dense = layers.Dense(3)
    model = layered.Model(inputs, dense(inputs))
    model.predict(np.ones((2, 7, 6), "float32"), verbose=0)
    assert dense.output_shape == (None, None, 3) and dense.input_shape == (None, None, 6)
