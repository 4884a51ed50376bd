import numpy as np

from layered.callbacks import CallbackList, History
from tests.callbacks.fakes import FakeModel, run_fit


def test_history_records_each_epoch():
    epochs = [{"loss": 1.0, "val_loss": 1.5}, {"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "val_loss": 0.5}]
    model, callbacks = run_fit([], epochs)
    history = model.history
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [1.0, 0.5, 0.25], "val_loss": [1.5, 0.75, 0.5]}


def test_history_converts_scalars_to_python_floats():
    model, _ = run_fit([], [{"loss": np.float32(0.5), "accuracy": np.array(0.75)}])
    assert model.history.history == {"loss": [0.5], "accuracy": [0.75]}
    assert all(type(v[0]) is float for v in model.history.history.values())


def test_a_reused_history_starts_fresh_each_fit():
    history = History()
    run_fit([history], [{"loss": 1.0}] * 3)
    model, _ = run_fit([history], [{"loss": 2.0}])
    assert history.history == {"loss": [2.0]} and history.epoch == [0]
    assert model.history is history


def test_history_sets_model_history_at_train_begin():
    model = FakeModel()
    history = History()
    history.set_model(model)
    CallbackList([history]).on_train_begin()
    assert model.history is history
