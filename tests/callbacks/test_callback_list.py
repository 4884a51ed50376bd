import pytest

from layered.callbacks import Callback, CallbackList, EarlyStopping, History, ProgbarLogger
from tests.callbacks.fakes import FakeModel, LazyLogs, run_fit


HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
         "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
         "on_predict_batch_begin", "on_predict_batch_end"]


class Recorder(Callback):
    """Records every hook call as (tag, hook, args, kwargs)."""

    def __init__(self, calls, tag):
        super().__init__()
        self.calls, self.tag = calls, tag


def _recording(hook):
    def method(self, *args, **kwargs):
        self.calls.append((self.tag, hook, args, kwargs))
    return method


for _hook in HOOKS:
    setattr(Recorder, _hook, _recording(_hook))


def test_hooks_reach_every_callback_in_order():
    calls = []
    callbacks = CallbackList([Recorder(calls, "a"), Recorder(calls, "b")])
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    callbacks.on_epoch_end(0, {"loss": 1.0})
    callbacks.on_train_end()
    assert [(tag, hook) for tag, hook, _, _ in calls] == [
        ("a", "on_train_begin"), ("b", "on_train_begin"),
        ("a", "on_epoch_begin"), ("b", "on_epoch_begin"),
        ("a", "on_train_batch_begin"), ("b", "on_train_batch_begin"),
        ("a", "on_train_batch_end"), ("b", "on_train_batch_end"),
        ("a", "on_epoch_end"), ("b", "on_epoch_end"),
        ("a", "on_train_end"), ("b", "on_train_end"),
    ]
    assert ("a", "on_epoch_end", (0, {"loss": 1.0}), {}) in calls


@pytest.mark.parametrize("hook, args", [
    ("on_test_begin", ()), ("on_test_end", ()), ("on_test_batch_begin", (0,)), ("on_test_batch_end", (0,)),
    ("on_predict_begin", ()), ("on_predict_end", ()), ("on_predict_batch_begin", (0,)),
    ("on_predict_batch_end", (0,)),
])
def test_test_and_predict_hooks_are_forwarded(hook, args):
    calls = []
    getattr(CallbackList([Recorder(calls, "a")]), hook)(*args)
    assert [(tag, name) for tag, name, _, _ in calls] == [("a", hook)]


def test_default_callbacks_are_appended_after_the_users_once():
    user = Callback()
    callbacks = CallbackList([user], add_history=True, add_progbar=True)
    assert callbacks.callbacks[0] is user
    assert [type(c) for c in callbacks.callbacks[1:]] == [History, ProgbarLogger]

    history, progbar = History(), ProgbarLogger()
    callbacks = CallbackList([progbar, history], add_history=True, add_progbar=True)
    assert callbacks.callbacks == [progbar, history]


def test_model_and_params_propagate():
    model, user = FakeModel(), Callback()
    callbacks = CallbackList([user], add_history=True, model=model, verbose=2, epochs=3, steps=None)
    assert user.model is model
    assert user.params == {"verbose": 2, "epochs": 3, "steps": None}
    assert model.history is callbacks.callbacks[-1]
    late = Callback()
    callbacks.append(late)
    assert late.model is model and late.params == user.params


def test_no_params_leaves_callbacks_params_alone():
    user = Callback()
    CallbackList([user])
    assert user.params is None


def test_base_callback_hooks_are_no_ops_and_batch_aliases_fire():
    seen = []

    class Legacy(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    Callback().on_train_batch_end(0, {"loss": 1.0})
    CallbackList([Legacy()]).on_train_batch_end(4, {})
    assert seen == [4]


def test_batch_logs_are_passed_through_unread():
    received = []

    class Keep(Callback):
        def on_train_batch_end(self, batch, logs=None):
            received.append(logs)

    LazyLogs.loads = 0
    logs = LazyLogs(loss=1.0)
    run_fit([Keep(), EarlyStopping(monitor="loss")], [{"loss": 1.0}] * 2, steps=5, batch_logs=logs, verbose=2)
    assert len(received) == 10 and all(r is logs for r in received)
    assert LazyLogs.loads == 0  # History, EarlyStopping and a line-mode progbar read epoch logs only
