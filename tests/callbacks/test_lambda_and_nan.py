import math

import pytest

from layered.callbacks import CallbackList, LambdaCallback, TerminateOnNaN
from tests.callbacks.fakes import FakeModel, run_fit


def test_lambda_callback_hooks_fire():
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs["loss"])),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_end=lambda logs: calls.append("test_end"),
    )
    run_fit([callback], [{"loss": 1.0}], steps=2)
    assert calls == ["train_begin", ("epoch_begin", 0), ("batch_begin", 0), ("batch_end", 0),
                     ("batch_begin", 1), ("batch_end", 1), "test_end", ("epoch_end", 0, 1.0), "train_end"]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match="on_epoch_ending"):
        LambdaCallback(on_epoch_ending=print)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_stops_training(bad, capsys):
    model, _ = run_fit([TerminateOnNaN()], [{"loss": 1.0}] * 3, steps=4, batch_logs={"loss": bad})
    assert model.stop_training
    assert model.history.epoch == [0]  # the loop stopped in the first epoch
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_keeps_going_on_finite_loss(capsys):
    model = FakeModel()
    callbacks = CallbackList([TerminateOnNaN()], model=model)
    for batch in range(3):
        callbacks.on_train_batch_end(batch, {"loss": 0.5})
    callbacks.on_train_batch_end(3, {})
    assert not model.stop_training and capsys.readouterr().out == ""


def test_terminate_on_nan_can_raise():
    callbacks = CallbackList([TerminateOnNaN(raise_error=True)], model=FakeModel())
    with pytest.raises(RuntimeError, match="Batch 2"):
        callbacks.on_train_batch_end(2, {"loss": math.nan})
