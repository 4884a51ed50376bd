"""`ReduceLROnPlateau`: lower the learning rate when a watched value stops improving."""
import warnings

import numpy as np

from layered.callbacks.callback import Callback
from layered.callbacks.monitor import check_mode, improves, monitor_direction, worst
from layered.callbacks.progbar import print_msg


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` after `patience` epochs without improvement.

    The new rate is assigned to the optimizer's learning-rate variable, an input of the
    compiled step: nothing recompiles. Each epoch's logs get `learning_rate` (the rate
    the epoch trained with).

    Args:
        monitor: the epoch log to watch.
        factor: the multiplier, below 1: `new_lr = lr * factor`.
        patience: epochs without improvement before the rate is lowered.
        verbose: 1 prints a line at each reduction.
        mode: `"auto"`, `"min"` or `"max"` (auto decides as `EarlyStopping` does).
        min_delta: the margin by which a value must beat the best to count as better.
        cooldown: epochs after a reduction during which epochs without improvement are
            not counted.
        min_lr: the rate never goes below this.

    Attributes: `best`, `wait` (epochs without improvement counted), `cooldown_counter`.

    Example:
        reduce = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=1e-5)
        model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[reduce])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau lowers the rate: factor must be below 1, got factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode(mode, "ReduceLROnPlateau")
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.direction = None  # "min" or "max", resolved when training starts
        self._reset()

    def _reset(self):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None if self.direction is None else worst(self.direction)

    def on_train_begin(self, logs=None):
        self.direction = monitor_direction(self.monitor, self.mode, self.model, "ReduceLROnPlateau")
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.direction is None:  # driven without on_train_begin
            self.on_train_begin()
        logs = {} if logs is None else logs
        optimizer = self.model.optimizer
        lr = float(optimizer.learning_rate)
        logs["learning_rate"] = lr
        if self.monitor not in logs:
            warnings.warn(f"ReduceLROnPlateau is watching '{self.monitor}', which is not in the epoch logs. "
                          f"Available keys: {', '.join(logs)}.", stacklevel=2)
            return
        current = float(logs[self.monitor])
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if improves(current, self.best, self.direction, self.min_delta):
            self.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        # The rate is stored in float32: compare there, or a rate already at min_lr would
        # read back a hair above it and be "lowered" to itself again.
        if np.float32(lr) > np.float32(self.min_lr):
            new_lr = max(lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            self.cooldown_counter = self.cooldown
            self.wait = 0
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing the learning rate to {new_lr:.4g}.")
