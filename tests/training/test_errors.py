"""Bad input: a clear exception naming the problem, and the model left as it was."""
import warnings

import numpy as np
import pytest

import layered
from layered import layers
from layered.graph.core import ShapeError


@pytest.fixture
def model():
    layered.utils.set_random_seed(0)
    m = layered.Sequential([layered.Input(shape=(4,)), layers.Dense(3, name="hidden"),
                            layers.Dense(2, activation="softmax", name="probs")])
    m.compile(optimizer=layered.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def unchanged(model, fn, exception, match):
    before = model.get_weights()
    iterations = model.optimizer.iterations.numpy()
    with pytest.raises(exception, match=match):
        fn()
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations.numpy() == iterations


X = np.ones((10, 4), "float32")
Y = np.zeros(10, "int64")


def test_x_and_y_lengths_differ(model):
    unchanged(model, lambda: model.fit(X, Y[:7], verbose=0), ValueError, "x has 10 samples, y has 7 samples")


def test_wrong_feature_size_names_the_input_and_both_shapes(model):
    unchanged(model, lambda: model.fit(np.ones((10, 5)), Y, verbose=0), ShapeError,
              r"expects shape \(None, 4\), received shape \(None, 5\)")


def test_wrong_rank_names_the_layer():
    model = layered.Sequential([layers.Dense(3, name="first")])
    model.build((None, 4))
    with pytest.raises(ShapeError, match=r"\(None, 4\).*\(None, 2, 4\)"):
        model.predict(np.ones((2, 2, 4)), verbose=0)
    layer = layers.Dense(3, name="flat_only")
    with pytest.raises(ShapeError, match=r"'flat_only'.*rank >= 2.*\(None,\)"):
        layer(layered.Input(batch_shape=(None,)))


def test_sparse_labels_out_of_range(model):
    unchanged(model, lambda: model.fit(X, np.full(10, 2), verbose=0), ValueError,
              r"integers in \[0, 2\): found 2")
    unchanged(model, lambda: model.fit(X, np.full(10, -1), verbose=0), ValueError, "found -1")
    unchanged(model, lambda: model.evaluate(X, np.full(10, 0.5), verbose=0), ValueError, "found 0.5")


def test_nan_or_inf_in_the_data(model):
    bad = X.copy()
    bad[3, 1] = np.nan
    unchanged(model, lambda: model.fit(bad, Y, verbose=0), ValueError, "x contains NaN or infinity.*sample 3")
    unchanged(model, lambda: model.fit(X, Y, sample_weight=np.full(10, np.inf), verbose=0), ValueError,
              "sample_weight contains NaN")


def test_empty_dataset(model):
    unchanged(model, lambda: model.fit(np.zeros((0, 4)), np.zeros(0), verbose=0), ValueError, "empty")


def test_unknown_names_list_the_valid_ones_and_suggest_the_closest(model):
    with pytest.raises(ValueError, match="unknown loss 'mse2'.*Valid names:.*Did you mean 'mse'"):
        model.compile(optimizer="sgd", loss="mse2")
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*Did you mean 'adam'"):
        model.compile(optimizer="adamm", loss="mse")
    m = layered.Sequential([layered.Input(shape=(4,)), layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse", metrics=["maee"])
    with pytest.raises(ValueError, match="unknown metric 'maee'.*Did you mean 'mae'"):
        m.fit(X, np.zeros((10, 1)), verbose=0)


def test_fit_and_evaluate_before_compile():
    m = layered.Sequential([layered.Input(shape=(4,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="must be compiled before fit"):
        m.fit(X, np.zeros((10, 1)), verbose=0)
    with pytest.raises(RuntimeError, match="must be compiled before evaluate"):
        m.evaluate(X, np.zeros((10, 1)), verbose=0)
    assert m.predict(X, verbose=0).shape == (10, 1)  # predict needs no compile, as in Keras


def test_generator_with_inconsistent_shapes(model):
    def batches():
        yield X[:5], Y[:5]
        yield np.ones((5, 3), "float32"), Y[:5]

    with pytest.raises(ValueError, match=r"batch 1 .* does not match the first batch"):
        model.fit(batches(), epochs=1, verbose=0)


def test_generator_passed_with_y_and_exhausted_generators(model):
    with pytest.raises(ValueError, match="must yield the targets"):
        model.fit((b for b in [(X, Y)]), Y, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit((b for b in [(X, Y)]), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1
    assert any("ran out of data" in str(w.message) for w in caught)


def test_targets_missing_or_wrong_structure(model):
    with pytest.raises(ValueError, match="fit needs targets"):
        model.fit(X, verbose=0)
    inputs = layered.Input(shape=(4,))
    two = layered.Model(inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(1, name="b")(inputs)])
    two.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="2 outputs"):
        two.fit(X, np.zeros((10, 1)), verbose=0)
    with pytest.raises(ValueError, match="unknown outputs \\['c'\\]"):
        two.compile(optimizer="sgd", loss={"c": "mse"})
