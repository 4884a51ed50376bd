"""One training step on NumPy and on JAX from identical weights: the same new weights."""
import numpy as np
import pytest

import layered
from layered import layers, losses, optimizers

pytest.importorskip("jax")

rng = np.random.default_rng(0)
X = rng.normal(size=(16, 6)).astype("float32")
LABELS = rng.integers(0, 3, 16)
ONE_HOT = np.eye(3, dtype="float32")[LABELS]
BINARY = (rng.random((16, 1)) > 0.5).astype("float32")
TARGET = rng.normal(size=(16, 3)).astype("float32")

LAYER_STACKS = {
    "dense": lambda: [layers.Dense(4, activation="relu"), layers.Dense(3)],
    "activation": lambda: [layers.Dense(3), layers.Activation("gelu")],
    "dropout": lambda: [layers.Dense(5), layers.Dropout(0.0), layers.Dense(3)],
    "flatten_reshape": lambda: [layers.Reshape((2, 3)), layers.Flatten(), layers.Dense(3)],
    "conv2d_pool": lambda: [layers.Reshape((3, 2, 1)), layers.Conv2D(4, 2, padding="same", activation="relu"),
                            layers.MaxPooling2D(2, padding="same"), layers.Flatten(), layers.Dense(3)],
    "conv1d_transpose": lambda: [layers.Reshape((6, 1)), layers.Conv1D(2, 3), layers.Conv1DTranspose(2, 2, strides=2),
                                 layers.AveragePooling1D(), layers.GlobalMaxPooling1D(), layers.Dense(3)],
}
LOSSES = {
    "mse": ("mse", TARGET, None), "mae": ("mae", TARGET, None),
    "msle": ("msle", np.abs(TARGET), "softplus"),
    "categorical_crossentropy": ("categorical_crossentropy", ONE_HOT, "softmax"),
    "sparse_categorical_crossentropy": (losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, None),
    "binary_crossentropy": ("binary_crossentropy", BINARY, "sigmoid"),
    "huber": ("huber", TARGET, None), "hinge": ("hinge", np.sign(TARGET), None),
    "kl_divergence": ("kl_divergence", ONE_HOT * 0.9 + 0.03, "softmax"),
    "cosine_similarity": ("cosine_similarity", TARGET, None),
}
OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), "adam": lambda: optimizers.Adam(0.01),
    "adamw": lambda: optimizers.AdamW(0.01), "rmsprop": lambda: optimizers.RMSprop(0.01, centered=True),
    "adagrad": lambda: optimizers.Adagrad(0.1), "adadelta": lambda: optimizers.Adadelta(1.0),
    "nadam": lambda: optimizers.Nadam(0.01), "adamax": lambda: optimizers.Adamax(0.01),
    "clipped": lambda: optimizers.SGD(0.1, global_clipnorm=0.1),
}


def train_once(monkeypatch, backend, stack, loss, y, activation, optimizer, weights=None):
    monkeypatch.setenv("LAYERED_BACKEND", backend)
    layered.utils.set_random_seed(0)
    model_layers = stack() + ([layers.Activation(activation)] if activation else [])
    if loss in ("binary_crossentropy",):
        model_layers.append(layers.Dense(1, activation="sigmoid"))
    model = layered.Sequential([layered.Input(shape=(6,))] + model_layers)
    if weights is not None:
        model.set_weights(weights)
    start = model.get_weights()
    model.compile(optimizer=optimizer(), loss=loss)
    model.fit(X, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return start, model.get_weights()


def check(monkeypatch, stack, loss, y, activation, optimizer):
    start, numpy_weights = train_once(monkeypatch, "numpy", stack, loss, y, activation, optimizer)
    _, jax_weights = train_once(monkeypatch, "jax", stack, loss, y, activation, optimizer, weights=start)
    assert any(not np.allclose(a, b) for a, b in zip(start, numpy_weights)), "the step changed nothing"
    for a, b in zip(numpy_weights, jax_weights):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", sorted(LAYER_STACKS))
def test_layers(monkeypatch, name):
    check(monkeypatch, LAYER_STACKS[name], "mse", TARGET, None, OPTIMIZERS["sgd"])


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses(monkeypatch, name):
    loss, y, activation = LOSSES[name]
    check(monkeypatch, LAYER_STACKS["dense"], loss, y, activation, OPTIMIZERS["adam"])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers(monkeypatch, name):
    check(monkeypatch, LAYER_STACKS["dense"], "mse", TARGET, None, OPTIMIZERS[name])
