"""A stand-in model and a loop that drives a CallbackList the way `fit` does."""
import numpy as np

from layered.callbacks import CallbackList


class FakeModel:
    """Holds one weight array; `get_weights` returns the live arrays, as a backend may."""

    def __init__(self):
        self.weights = [np.zeros(2)]
        self.stop_training = False
        self.history = None

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        for live, new in zip(self.weights, weights):
            live[...] = new


class LazyLogs(dict):
    """Batch logs that count how many of them were looked at (a device pull each, in fit).

    Any look counts, `bool(logs)`, `len`, `in` and iteration included: a lazy dict may
    need its values to answer them. `LazyLogs.loads` counts instances looked at.
    """

    loads = 0

    def _look(self):
        if not getattr(self, "_loaded", False):
            self._loaded = True
            LazyLogs.loads += 1

    def _counted(name):
        method = getattr(dict, name)

        def counted(self, *args):
            self._look()
            return method(self, *args)
        return counted

    __getitem__ = _counted("__getitem__")
    __iter__ = _counted("__iter__")
    __len__ = _counted("__len__")
    __contains__ = _counted("__contains__")
    get = _counted("get")
    keys = _counted("keys")
    values = _counted("values")
    items = _counted("items")
    del _counted


def run_fit(callbacks, epoch_logs, model=None, steps=3, verbose=0, batch_logs=None,
            val_batch_logs=None, params_steps="same"):
    """Drives `callbacks` over `len(epoch_logs)` epochs; returns (model, callback list).

    During epoch e the weights are set to e (in place), so restored weights name their epoch.
    `batch_logs` may be a function returning each batch's logs (fit makes new ones per batch).
    Each epoch runs a validation pass through the `on_test_*` hooks, as fit does.
    """
    model = model or FakeModel()
    batch_logs = batch_logs if batch_logs is not None else {"loss": 0.5}
    val_batch_logs = val_batch_logs if val_batch_logs is not None else {"loss": 0.25}
    callback_list = CallbackList(callbacks, add_history=True, add_progbar=True, model=model,
                                 verbose=verbose, epochs=len(epoch_logs),
                                 steps=steps if params_steps == "same" else params_steps)
    callback_list.on_train_begin()
    logs = None
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            model.weights[0][...] = epoch
            logs_now = batch_logs() if callable(batch_logs) else batch_logs
            callback_list.on_train_batch_end(batch, logs_now)
            if model.stop_training:
                break
        callback_list.on_test_begin()
        for batch in range(2):
            callback_list.on_test_batch_begin(batch)
            callback_list.on_test_batch_end(batch, val_batch_logs)
        callback_list.on_test_end({"loss": 0.25})
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model, callback_list
