"""Behaviour checked against Keras 3 (by hand, outside this suite) that Keras code relies on."""
import numpy as np
import pytest

import layered
from layered import layers

rng = np.random.default_rng(0)
X = rng.normal(size=(16, 3)).astype("float32")


def test_functional_layers_follow_keras_depth_order():
    i = layered.Input((3,))
    d0, d1, d2, d3 = (layers.Dense(3, name=f"d{k}") for k in range(4))
    model = layered.Model(i, layers.Add(name="add")([d1(d0(i)), d3(d2(i))]))
    # Keras lists the deepest layers first, each depth in the order a walk from the output met them.
    assert [l.name for l in model.layers][1:] == ["d0", "d2", "d1", "d3", "add"]
    assert [w.path for w in model.weights][::2] == ["d0/kernel", "d2/kernel", "d1/kernel", "d3/kernel"]


def test_subclassed_dict_of_layers_keeps_insertion_order():
    class Heads(layered.Model):
        def __init__(self):
            super().__init__()
            self.heads = {"z": layers.Dense(2, name="z"), "y": layers.Dense(2, name="y")}

        def call(self, x):
            return self.heads["z"](x) + self.heads["y"](x)

    model = Heads()
    model.build((None, 3))
    assert [l.name for l in model.layers] == ["z", "y"]


def test_regularizers_enter_the_loss_and_constraints_project_weights(backend):
    model = layered.Sequential([layered.Input((3,)), layers.Dense(
        2, kernel_regularizer=layered.regularizers.L2(0.1), bias_regularizer="l1",
        kernel_initializer="ones", bias_initializer=layered.initializers.Constant(0.5))])
    model.compile(optimizer=layered.optimizers.SGD(0.0), loss="mse")
    y = np.zeros((16, 2), "float32")
    pred = X @ np.ones((3, 2), "float32") + 0.5
    expected = np.mean(pred ** 2) + 0.1 * 6 + 0.01 * 1.0
    np.testing.assert_allclose(model.fit(X, y, batch_size=16, verbose=0).history["loss"][0], expected, rtol=1e-5)
    assert len(model.losses) == 2

    clipped = layered.Sequential([layered.Input((3,)), layers.Dense(4, kernel_constraint="non_neg",
                                                                     bias_constraint=layered.constraints.MaxNorm(0.1))])
    clipped.compile(optimizer=layered.optimizers.SGD(1.0), loss="mse")
    clipped.fit(X, rng.normal(size=(16, 4)).astype("float32") * 10, verbose=0, epochs=2)
    kernel, bias = clipped.get_weights()
    assert kernel.min() >= 0.0 and np.linalg.norm(bias) <= 0.1 + 1e-5
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        layers.Dense(2, kernel_regularizer="l3")


def test_metric_names_weighted_twins_and_repeats():
    model = layered.Sequential([layered.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_categorical_accuracy", "sparse_categorical_accuracy"],
                  weighted_metrics=["accuracy"])
    logs = model.evaluate(X, np.arange(16) % 2, sample_weight=np.linspace(0, 1, 16), verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "sparse_categorical_accuracy", "sparse_categorical_accuracy_1",
                          "weighted_accuracy"]


def test_train_on_batch_reports_that_batch_only(backend):
    model = layered.Sequential([layered.Input((3,)), layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=layered.optimizers.SGD(0.0), loss="mse")
    first = model.train_on_batch(X, np.ones((16, 1)))
    second = model.train_on_batch(X, np.full((16, 1), 3.0))
    assert first == pytest.approx(1.0) and second == pytest.approx(9.0)


def test_loss_weights_as_a_list_and_dict_outputs_named_by_key(backend):
    i = layered.Input((3,))
    model = layered.Model(i, {"p": layers.Dense(1, name="pp")(i), "q": layers.Dense(1, name="qq")(i)})
    model.compile(optimizer="sgd", loss={"p": "mse", "q": "mae"}, loss_weights=[0.5, 2.0])
    logs = model.evaluate(X, {"p": np.zeros((16, 1)), "q": np.zeros((16, 1))}, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "p_loss", "q_loss"}
    np.testing.assert_allclose(logs["loss"], 0.5 * logs["p_loss"] + 2.0 * logs["q_loss"], rtol=1e-5)


def test_binary_labels_of_rank_one_train_like_rank_two(backend):
    y = (X[:, 0] > 0).astype("float32")

    def run(labels):
        layered.utils.set_random_seed(2)
        model = layered.Sequential([layered.Input((3,)), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["mse"])
        return model.fit(X, labels, batch_size=8, epochs=2, shuffle=False, verbose=0).history, model.get_weights()

    (h1, w1), (h2, w2) = run(y), run(y[:, None])
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-6)
    np.testing.assert_allclose(h1["mse"], h2["mse"], rtol=1e-6)
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_dict_inputs_are_matched_by_name_not_by_key_order(backend):
    wide, narrow = layered.Input((3,), name="wide"), layered.Input((1,), name="a_narrow")
    model = layered.Model([wide, narrow], layers.Dense(1, kernel_initializer="ones")(
        layers.Concatenate()([wide, narrow])))
    model.compile(optimizer=layered.optimizers.SGD(0.0), loss="mse")
    data = {"wide": X, "a_narrow": X[:, :1]}  # sorted keys put a_narrow first; the model wants wide first
    expected = X.sum(1, keepdims=True) + X[:, :1] + model.get_weights()[1]
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(data, expected, verbose=0), 0.0, atol=1e-10)
