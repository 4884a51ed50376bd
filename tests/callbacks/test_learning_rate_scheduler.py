import numpy as np
import pytest

import layered
from layered.callbacks import LearningRateScheduler

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = X @ np.array([[1.0], [-1.0], [2.0]], "float32")


def small_model(lr=0.1):
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(4), layered.layers.Dense(1)])
    model.compile(optimizer=layered.optimizers.SGD(lr), loss="mse")
    return model


def fit(model, callbacks=(), epochs=3):
    return model.fit(X, Y, batch_size=8, epochs=epochs, shuffle=False, verbose=0, callbacks=list(callbacks))


def halving(epoch, lr):
    return 0.1 * 0.5 ** epoch


def test_the_rate_changes_each_epoch_and_is_logged(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    model = small_model()
    history = fit(model, [LearningRateScheduler(halving)])
    assert history.history["learning_rate"] == [float(np.float32(0.1 * 0.5 ** e)) for e in range(3)]
    assert model.optimizer.learning_rate == np.float32(0.025)
    # The rate is a step input: one compiled train step, planned once.
    assert len(model._steps._cache) == 1
    assert model._steps.last_train_step.function._executable.plan_count == 1


def test_the_scheduled_rate_is_the_one_training_uses(backend):
    scheduled = small_model()
    fit(scheduled, [LearningRateScheduler(halving)])
    by_hand = small_model()
    for epoch in range(3):  # the same rates, set by hand between one-epoch fits
        by_hand.optimizer.learning_rate = halving(epoch, None)
        fit(by_hand, epochs=1)
    constant = small_model()
    fit(constant)
    for a, b, c in zip(scheduled.get_weights(), by_hand.get_weights(), constant.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_the_schedule_gets_the_current_rate_and_may_take_the_epoch_alone(capsys):
    seen = []

    def record(epoch, lr):
        seen.append((epoch, lr))
        return lr * 2

    fit(small_model(lr=1 / 64), [LearningRateScheduler(record, verbose=1)])
    assert seen == [(0, 1 / 64), (1, 1 / 32), (2, 1 / 16)]
    assert "Epoch 3: LearningRateScheduler setting the learning rate to 0.125." in capsys.readouterr().out

    model = small_model()
    fit(model, [LearningRateScheduler(lambda epoch: 0.05 / (epoch + 1))])
    assert model.optimizer.learning_rate == np.float32(0.05 / 3)


def test_a_schedule_must_return_a_number():
    with pytest.raises(ValueError, match="must return a number, got 'fast' at epoch 0"):
        fit(small_model(), [LearningRateScheduler(lambda epoch, lr: "fast")])
    with pytest.raises(TypeError, match="needs a function"):
        LearningRateScheduler(0.1)
