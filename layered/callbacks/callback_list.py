"""`CallbackList`: calls one hook on every callback, in order."""
from layered.callbacks.callback import Callback
from layered.callbacks.history import History
from layered.callbacks.progbar import ProgbarLogger


class CallbackList(Callback):
    """A sequence of callbacks driven as one.

    Args:
        callbacks: a list of `Callback`s, called in this order.
        add_history: append a `History` unless the list already holds one.
        add_progbar: append a `ProgbarLogger` (after the `History`) unless the list
            already holds one.
        model: the model, given to every callback (and `model.history` is set).
        **params: given to every callback through `set_params` when not empty
            (fit passes `verbose`, `epochs`, `steps`).

    Logs are handed to the callbacks as they come: batch logs are never copied or
    converted here, so values that are read lazily stay unread unless a callback asks.

    Example:
        callbacks = CallbackList([EarlyStopping()], add_history=True, model=model,
                                 verbose=1, epochs=5, steps=100)
        callbacks.on_train_begin()
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks) if callbacks else []
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)

    def __iter__(self):
        # No __len__ on purpose: an empty CallbackList must stay truthy.
        return iter(self.callbacks)

    def set_model(self, model):
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    # Training.
    def on_train_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_begin(_or_empty(logs))

    def on_train_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_end(_or_empty(logs))

    def on_epoch_begin(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, _or_empty(logs))

    def on_epoch_end(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, _or_empty(logs))

    def on_train_batch_begin(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs=_or_empty(logs))

    def on_train_batch_end(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs=_or_empty(logs))

    # Evaluation.
    def on_test_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_test_begin(_or_empty(logs))

    def on_test_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_test_end(_or_empty(logs))

    def on_test_batch_begin(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_test_batch_begin(batch, logs=_or_empty(logs))

    def on_test_batch_end(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_test_batch_end(batch, logs=_or_empty(logs))

    # Prediction.
    def on_predict_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_predict_begin(_or_empty(logs))

    def on_predict_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_predict_end(_or_empty(logs))

    def on_predict_batch_begin(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_predict_batch_begin(batch, logs=_or_empty(logs))

    def on_predict_batch_end(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_predict_batch_end(batch, logs=_or_empty(logs))


def _or_empty(logs):
    # `logs or {}` would be fine too, but this keeps a caller's (lazy) dict object as is.
    return {} if logs is None else logs
