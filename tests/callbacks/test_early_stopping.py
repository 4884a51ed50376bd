import numpy as np
import pytest

from layered.callbacks import CallbackList, EarlyStopping
from tests.callbacks.fakes import FakeModel, run_fit


def losses(*values, key="val_loss"):
    return [{"loss": 1.0, key: v} for v in values]


def epochs_run(callback, logs):
    model, _ = run_fit([callback], logs)
    return len(model.history.epoch), model


@pytest.mark.parametrize("kwargs, values, expected_stop", [
    ({"patience": 0}, (1.0, 0.9, 0.95, 0.8), 2),
    ({"patience": 2}, (1.0, 0.9, 0.95, 0.96, 0.97, 0.5), 3),
    ({"patience": 1, "min_delta": 0.1}, (1.0, 0.95, 0.92, 0.8), 1),
    ({"patience": 1, "min_delta": -0.1}, (1.0, 0.85, 0.8, 0.7), 2),  # the sign is ignored
    ({"patience": 2, "baseline": 0.5}, (1.0, 0.9, 0.95, 0.96, 0.97), 2),  # never beats the baseline
    ({"patience": 2, "baseline": 0.95}, (1.0, 0.9, 0.95, 0.96, 0.97), 3),
    ({"patience": 0, "start_from_epoch": 2}, (0.5, 0.6, 0.7, 0.8, 0.9), 3),
])
def test_stops_at_the_expected_epoch(kwargs, values, expected_stop):
    stop = EarlyStopping(**kwargs)
    run, model = epochs_run(stop, losses(*values))
    assert model.stop_training
    assert stop.stopped_epoch == expected_stop and run == expected_stop + 1


def test_keeps_going_while_improving():
    stop = EarlyStopping(patience=0)
    run, model = epochs_run(stop, losses(1.0, 0.9, 0.8, 0.7))
    assert run == 4 and not model.stop_training
    assert stop.stopped_epoch == 0 and stop.best == 0.7 and stop.best_epoch == 3 and stop.wait == 0


def test_mode_max_and_auto_direction():
    stop = EarlyStopping(monitor="accuracy", mode="max", patience=1)
    run, _ = epochs_run(stop, losses(0.5, 0.6, 0.55, 0.58, 0.9, key="accuracy"))
    assert run == 3 and stop.best == 0.6

    auto = EarlyStopping(monitor="val_accuracy", patience=1)
    run, _ = epochs_run(auto, losses(0.5, 0.6, 0.55, 0.58, 0.9, key="val_accuracy"))
    assert auto.direction == "max" and run == 3

    forced_min = EarlyStopping(monitor="val_accuracy", mode="min", patience=0)
    run, _ = epochs_run(forced_min, losses(0.5, 0.6, 0.7, key="val_accuracy"))
    assert run == 2


@pytest.mark.parametrize("monitor, direction", [
    ("val_loss", "min"), ("loss", "min"), ("val_output_a_loss", "min"), ("mean_absolute_error", "min"),
    ("val_sparse_categorical_accuracy", "max"), ("val_auc", "max"), ("precision", "max"),
    ("categorical_crossentropy", "min"),
])
def test_auto_mode_from_the_name(monitor, direction):
    stop = EarlyStopping(monitor=monitor)
    stop.set_model(FakeModel())
    stop.on_train_begin()
    assert stop.direction == direction
    assert stop.best == (np.inf if direction == "min" else -np.inf)


def test_auto_mode_from_the_models_metric_direction():
    class Metric:
        def __init__(self, name, direction):
            self.name, self.direction = name, direction

    class Container:
        metrics = [Metric("score", "up"), Metric("spread", "down")]

    model = FakeModel()
    model.metrics = [Container()]
    for monitor, direction in [("val_score", "max"), ("spread", "min")]:
        stop = EarlyStopping(monitor=monitor)
        stop.set_model(model)
        stop.on_train_begin()
        assert stop.direction == direction


def test_auto_mode_that_cannot_tell_raises():
    stop = EarlyStopping(monitor="val_widgets")
    stop.set_model(FakeModel())
    with pytest.raises(ValueError, match="mode='max'"):
        stop.on_train_begin()


def test_unknown_mode_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="unknown"):
        stop = EarlyStopping(mode="sideways")
    assert stop.mode == "auto"


def test_missing_monitor_warns_with_the_available_keys():
    stop = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss.*Available keys: loss, accuracy"):
        model, _ = run_fit([stop], [{"loss": 1.0, "accuracy": 0.5}] * 3)
    assert not model.stop_training and len(model.history.epoch) == 3


def test_restores_best_weights_when_stopping(capsys):
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    run, model = epochs_run(stop, losses(1.0, 0.5, 0.7, 0.8, 0.9))
    assert run == 4 and stop.best_epoch == 1
    # The fake model updates its arrays in place, so this also checks the callback copied them.
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


def test_restores_best_weights_at_train_end_without_stopping():
    stop = EarlyStopping(patience=5, restore_best_weights=True)
    _, model = epochs_run(stop, losses(1.0, 0.5, 0.7))
    assert not model.stop_training
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_no_restore_keeps_the_last_weights():
    _, model = epochs_run(EarlyStopping(patience=1), losses(1.0, 0.5, 0.7, 0.8))
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


def test_restore_with_a_baseline_never_beaten_uses_the_best_epoch_seen():
    stop = EarlyStopping(patience=3, baseline=0.1, restore_best_weights=True)
    run, model = epochs_run(stop, losses(1.0, 0.6, 0.8, 0.9, 0.95))
    assert run == 3  # improving without beating the baseline still counts towards patience
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_state_resets_between_fits():
    stop = EarlyStopping(patience=0)
    epochs_run(stop, losses(1.0, 2.0))
    assert stop.stopped_epoch == 1
    run, _ = epochs_run(stop, losses(5.0, 4.0, 3.0))
    assert run == 3 and stop.stopped_epoch == 0 and stop.best == 3.0


def test_works_when_driven_without_train_begin():
    model = FakeModel()
    stop = EarlyStopping(monitor="loss", patience=0)
    callbacks = CallbackList([stop], model=model)
    callbacks.on_epoch_end(0, {"loss": 1.0})
    callbacks.on_epoch_end(1, {"loss": 2.0})
    assert model.stop_training


def test_restore_when_nothing_ever_improves_uses_the_first_watched_epoch():
    stop = EarlyStopping(patience=1, restore_best_weights=True)
    run, model = epochs_run(stop, losses(float("nan"), float("nan"), float("nan")))
    assert run == 2 and stop.best_epoch == 0
    np.testing.assert_array_equal(model.weights[0], [0.0, 0.0])
