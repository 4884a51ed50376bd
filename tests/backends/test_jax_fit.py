"""The JAX backend under the Keras API: NumPy results, backend switching, no per-step reads."""
import numpy as np
import pytest

import layered
from layered import layers

pytest.importorskip("jax")

X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
Y = X @ np.array([[1.0], [2.0], [-1.0]], "float32")


def model():
    layered.utils.set_random_seed(0)
    m = layered.Sequential([layered.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


def test_results_are_numpy_arrays_never_jax_arrays(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "jax")
    assert layered.config.backend() == "jax"
    m = model()
    history = m.fit(X, Y, epochs=2, verbose=0)
    assert all(type(v) is float for v in history.history["loss"])
    assert all(type(w) is np.ndarray for w in m.get_weights())
    assert type(m.predict(X, verbose=0)) is np.ndarray and type(m(X)) is np.ndarray
    assert all(type(v) is float for v in m.evaluate(X, Y, verbose=0))


def test_switching_backends_after_a_model_was_built(monkeypatch):
    m = model()
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    m.fit(X, Y, epochs=1, verbose=0)
    on_numpy = m.predict(X, verbose=0)
    monkeypatch.setenv("LAYERED_BACKEND", "jax")
    np.testing.assert_allclose(m.predict(X, verbose=0), on_numpy, rtol=1e-5, atol=1e-6)
    m.fit(X, Y, epochs=1, verbose=0)  # the weights now live on the JAX side
    on_jax = m.predict(X, verbose=0)
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    np.testing.assert_allclose(m.predict(X, verbose=0), on_jax, rtol=1e-5, atol=1e-6)
    m.fit(X, Y, epochs=1, verbose=0)


def test_batch_logs_are_not_read_unless_a_callback_asks(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "jax")
    m = model()
    reads = []
    original = m.get_metrics_result
    monkeypatch.setattr(m, "get_metrics_result", lambda: reads.append(1) or original())
    m.fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=[layered.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: None)])
    assert len(reads) == 2  # once per epoch end, not once per batch (20 batches)
