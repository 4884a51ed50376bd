"""Callbacks driven by a real fit: NaN guard, early stopping, progress output, hook order."""
import numpy as np
import pytest

import layered
from layered import layers


def small_model(lr=0.05):
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=layered.optimizers.SGD(lr), loss="mse")
    return model


X = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
Y = X @ np.array([[2.0], [-1.0]], "float32")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_terminate_on_nan_stops_and_keeps_the_last_finite_weights(backend, capsys):
    model = small_model(lr=1e4)  # diverges to inf, then NaN, within a few steps
    history = model.fit(X, Y * 1e20, batch_size=8, epochs=5, verbose=0,
                        callbacks=[layered.callbacks.TerminateOnNaN()])
    assert model.stop_training
    assert len(history.epoch) <= 1
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert "Invalid loss" in capsys.readouterr().out


def test_early_stopping_restores_the_best_weights(backend):
    model = small_model()
    seen = []
    record = layered.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(
        (logs["val_loss"], [w.copy() for w in model.get_weights()])))
    # The validation targets are noise: val_loss stops improving early, training goes on improving.
    noise = np.random.default_rng(1).normal(size=Y.shape).astype("float32")
    stop = layered.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model.fit(X, Y, validation_data=(X, noise), epochs=50, verbose=0, callbacks=[record, stop])
    assert stop.stopped_epoch > 0 and len(seen) < 50
    best = min(range(len(seen)), key=lambda i: seen[i][0])
    for a, b in zip(model.get_weights(), seen[best][1]):
        np.testing.assert_array_equal(a, b)


def test_verbose_fit_prints_one_line_per_epoch_when_not_a_terminal(capsys):
    model = small_model()
    model.fit(X, Y, epochs=3, verbose=1, validation_split=0.25)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 3 and "\r" not in "".join(lines)
    assert all(line.startswith(f"Epoch {i + 1}/3") and "loss: " in line and "val_loss: " in line
               for i, line in enumerate(lines))
    model.fit(X, Y, epochs=2, verbose=0)
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    assert capsys.readouterr().out == ""


def test_hooks_fire_in_keras_order_with_batch_logs_read_lazily(backend):
    model = small_model()
    events = []

    class Recorder(layered.callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_train_batch_end(self, batch, logs=None):
            events.append(f"batch_end {batch} {sorted(logs)}")

        def on_test_begin(self, logs=None):
            events.append("test_begin")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            events.append("train_end")

    model.fit(X, Y, batch_size=32, epochs=1, validation_data=(X, Y), verbose=0, callbacks=[Recorder()])
    assert events == ["train_begin", "epoch_begin 0", "batch_end 0 ['loss']", "batch_end 1 ['loss']",
                      "test_begin", "epoch_end 0 ['loss', 'val_loss']", "train_end"]
