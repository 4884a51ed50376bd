"""`EarlyStopping`: stop training when a monitored value stops improving."""
import warnings

import numpy as np

from layered.callbacks.callback import Callback
from layered.callbacks.progbar import print_msg

# For mode="auto" when the model's metrics do not say which way is better: name parts
# of quantities to maximise and to minimise. Checked after the "loss" names.
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2")
_LOWER_IS_BETTER = ("loss", "error", "crossentropy", "hinge", "divergence", "poisson",
                    "logcosh", "mse", "mae", "mape", "msle")


class EarlyStopping(Callback):
    """Stops `fit` when `monitor` has not improved for `patience` epochs.

    Args:
        monitor: the epoch log to watch, e.g. `"val_loss"` (default) or `"accuracy"`.
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
        patience: epochs without improvement to wait before stopping.
        verbose: 1 prints a line when stopping and when restoring weights.
        mode: `"min"`, `"max"` or `"auto"`: from the model's metric of that name if it
            says (`direction` "up"/"down"), else from the name (losses and errors go
            down; accuracy, AUC, precision, recall, ... go up).
        baseline: a value to beat; until an epoch beats it, `wait` keeps counting.
        restore_best_weights: at the end of training, put back the weights of the best
            epoch (host copies taken with `model.get_weights()`).
        start_from_epoch: epochs to train before watching starts (warm-up).

    Attributes: `best` (best value so far), `best_epoch`, `wait` (epochs since the
    last improvement), `stopped_epoch` (0-based epoch that stopped training, 0 if none).

    Example:
        stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"EarlyStopping mode '{mode}' is unknown, using 'auto'.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.direction = None  # "min" or "max", resolved when training starts
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None
        self.best = None if self.direction is None else _worst(self.direction)

    def on_train_begin(self, logs=None):
        self.direction = self._resolve_direction()
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.direction is None:  # driven without on_train_begin
            self.on_train_begin()
        current = self._monitored_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _host_copy(self.model.get_weights())
            # Patience restarts only once the baseline is beaten as well.
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing has improved yet (a NaN value): the first watched epoch counts as best.
            self.best_weights = _host_copy(self.model.get_weights())
            self.best_epoch = epoch
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def _improves(self, value, reference):
        if self.direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def _monitored_value(self, logs):
        logs = logs or {}
        if self.monitor not in logs:
            warnings.warn(
                f"EarlyStopping is watching '{self.monitor}', which is not in the epoch logs. "
                f"Available keys: {', '.join(logs) or '(none)'}.", stacklevel=3)
            return None
        return float(logs[self.monitor])

    def _resolve_direction(self):
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        if name == "loss" or name.endswith("_loss"):
            return "min"
        from_metric = _metric_direction(self.model, name)
        if from_metric is not None:
            return from_metric
        if any(part in name for part in _LOWER_IS_BETTER):
            return "min"
        if any(part in name for part in _HIGHER_IS_BETTER):
            return "max"
        raise ValueError(
            f"EarlyStopping cannot tell whether '{self.monitor}' should go up or down; "
            "pass mode='max' to keep the highest value or mode='min' for the lowest.")


def _metric_direction(model, name):
    """'max'/'min' from a model metric named `name` with a `direction` of "up"/"down"."""
    pending = list(getattr(model, "metrics", None) or [])
    while pending:
        metric = pending.pop()
        pending.extend(getattr(metric, "metrics", None) or [])  # metric containers
        if getattr(metric, "name", None) != name:
            continue
        direction = getattr(metric, "direction", None) or getattr(metric, "_direction", None)
        if direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    return None


def _worst(direction):
    return np.inf if direction == "min" else -np.inf


def _host_copy(weights):
    # Copies, not views: a backend may later update the live buffers in place.
    return [np.array(w, copy=True) for w in weights]
