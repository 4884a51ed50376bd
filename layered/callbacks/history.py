"""`History`: the per-epoch record that `fit` returns."""
from layered.callbacks.callback import Callback


class History(Callback):
    """Records every epoch's logs; `fit` adds one and returns it.

    Attributes:
        history: dict from log name (`"loss"`, `"val_accuracy"`, ...) to a list with
            one value per epoch.
        epoch: the epoch indices recorded, in order.

    Example:
        history = model.fit(x, y, epochs=3)
        history.history["loss"]   # [0.71, 0.52, 0.40]
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        # Each fit starts a fresh record, so a History reused across fits stays consistent.
        self.history = {}
        self.epoch = []
        if self.model is not None:
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        # Epoch logs are read here only, never per batch.
        self.epoch.append(epoch)
        for key in logs or {}:
            self.history.setdefault(key, []).append(_to_python(logs[key]))
        if self.model is not None:
            self.model.history = self


def _to_python(value):
    """A Python float for scalar metrics (NumPy or backend scalars), else the value itself."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
