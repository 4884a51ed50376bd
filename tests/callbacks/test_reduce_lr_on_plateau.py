import numpy as np
import pytest

import layered
from layered.callbacks import LambdaCallback, ReduceLROnPlateau

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = X @ np.array([[1.0], [-1.0], [2.0]], "float32")


def small_model(lr=0.1):
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(1)])
    model.compile(optimizer=layered.optimizers.SGD(lr), loss="mse", metrics=["accuracy"])
    return model


def run(values, key="val_loss", lr=0.1, **kwargs):
    """Fits one epoch per scripted value of `key`; returns (model, logged rates, callback)."""
    model = small_model(lr)
    script = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update({key: values[epoch]}))
    reduce = ReduceLROnPlateau(monitor=key, **kwargs)
    history = model.fit(X, Y, batch_size=16, epochs=len(values), verbose=0, callbacks=[script, reduce])
    return model, history.history["learning_rate"], reduce


def f32(*values):
    return [float(np.float32(v)) for v in values]


def test_lowers_the_rate_after_patience_epochs_without_improvement():
    model, rates, reduce = run([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], patience=2, factor=0.5)
    assert rates == f32(0.1, 0.1, 0.1, 0.05, 0.05, 0.025)  # the rate each epoch trained with
    assert model.optimizer.learning_rate == np.float32(0.025) and reduce.wait == 1


def test_improvements_reset_the_wait():
    model, rates, _ = run([1.0, 0.9, 0.95, 0.8, 0.85, 0.86], patience=2)
    assert rates == f32(*[0.1] * 6)
    assert model.optimizer.learning_rate == np.float32(0.01)  # lowered at the end of the last epoch


def test_min_delta_decides_what_counts_as_better():
    _, rates, _ = run([1.0, 0.95, 0.9, 0.85], patience=1, factor=0.5, min_delta=0.1)
    assert rates == f32(0.1, 0.1, 0.05, 0.025)


def test_cooldown_pauses_the_count_after_a_reduction():
    model, rates, _ = run([1.0] * 6, patience=1, factor=0.5, cooldown=2)
    assert rates == f32(0.1, 0.1, 0.05, 0.05, 0.025, 0.025)
    assert model.optimizer.learning_rate == np.float32(0.0125)


def test_the_rate_stops_at_min_lr(capsys):
    model, rates, _ = run([1.0] * 5, patience=1, verbose=1, min_lr=0.02)
    assert rates == f32(0.1, 0.1, 0.02, 0.02, 0.02)
    assert model.optimizer.learning_rate == np.float32(0.02)
    assert capsys.readouterr().out.count("reducing the learning rate") == 1


def test_mode_max_for_accuracy():
    _, rates, reduce = run([0.5, 0.6, 0.55, 0.58], key="val_accuracy", patience=2, factor=0.5)
    assert reduce.direction == "max" and reduce.best == 0.6
    assert rates == f32(0.1, 0.1, 0.1, 0.1)


def test_no_recompile(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    model = small_model()
    script = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(val_loss=1.0))
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)
    steps_before = dict(model._steps._cache)
    model.fit(X, Y, batch_size=16, epochs=4, verbose=0, callbacks=[script, ReduceLROnPlateau(patience=0)])
    assert model.optimizer.learning_rate < 0.1 * 0.1 ** 2
    assert model._steps._cache == steps_before and all(
        model._steps._cache[key] is step for key, step in steps_before.items())
    train_step = model._steps.last_train_step
    assert train_step.function._executable.plan_count == 1


def test_arguments_and_a_missing_monitor():
    with pytest.raises(ValueError, match="factor must be below 1"):
        ReduceLROnPlateau(factor=1.0)
    model = small_model()
    with pytest.warns(UserWarning, match="watching 'val_loss'"):
        history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[ReduceLROnPlateau()])
    assert history.history["learning_rate"] == f32(0.1, 0.1)
