"""`ModelCheckpoint`: save the model or its weights during `fit`, every epoch or N batches."""
import numbers
import os
import warnings

from layered.callbacks.callback import Callback
from layered.callbacks.monitor import check_mode, improves, monitor_direction, worst
from layered.callbacks.progbar import print_msg
from layered.saving.atomic import check_writable
from layered.saving.model_file import MODEL_SUFFIXES
from layered.saving.weights import check_weights_suffix



class ModelCheckpoint(Callback):
    """Saves the weights (or the whole model) while training, every epoch or every N batches.

    Args:
        filepath: where to save. It may hold format fields: `{epoch}` (1-based, as Keras
            counts), `{batch}` (1-based, when saving every N batches) and any log name,
            e.g. `"ckpt/{epoch:02d}-{val_loss:.2f}.weights.npz"`. Folders are created.
        monitor: the log watched by `save_best_only`.
        verbose: 1 prints a line per save (or skipped save).
        save_best_only: save only when `monitor` improves on the best value so far; with
            a fixed `filepath` the file always holds the best model.
        save_weights_only: save `model.save_weights` files: `filepath` must end in
            `.weights.npz`. Otherwise the whole model is saved with `model.save` to a
            `.layered` file.
        mode: `"auto"`, `"min"` or `"max"`: which way `monitor` improves ("auto" decides as
            `EarlyStopping` does).
        save_freq: `"epoch"` (after each epoch) or an integer: after that many batches.
            Batch saves read `monitor` from the running batch logs (so `val_*` cannot be
            watched there).
        initial_value_threshold: a value of `monitor` to beat before the first save.

    A `filepath` in a folder that cannot be written fails at the start of `fit`, before
    any step runs. Files are written atomically (a crash never leaves half a file). The
    best value persists across `fit` calls, as in Keras.

    Example:
        checkpoint = ModelCheckpoint("best.weights.npz", save_best_only=True, save_weights_only=True)
        model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[checkpoint])
        model.load_weights("best.weights.npz")
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        if save_weights_only:
            try:
                check_weights_suffix(self.filepath)
            except ValueError as error:
                raise ValueError(f"ModelCheckpoint(save_weights_only=True): {error}") from None
        elif not self.filepath.endswith(MODEL_SUFFIXES):
            raise ValueError(f"ModelCheckpoint saves whole models to '.layered' or '.keras' files, got "
                             f"'{self.filepath}'; "
                             "for weights only pass save_weights_only=True and a '.weights.npz' name")
        is_count = isinstance(save_freq, numbers.Integral) and not isinstance(save_freq, bool)
        if save_freq != "epoch" and not (is_count and save_freq > 0):
            raise ValueError(f"save_freq must be 'epoch' or a positive number of batches, got {save_freq!r}")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = check_mode(mode, "ModelCheckpoint")
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.direction = None  # "min" or "max", resolved when training starts
        self.best = initial_value_threshold
        self._epoch = 0
        self._last_batch = -1
        self._batches_since_save = 0

    def on_train_begin(self, logs=None):
        if not self.save_weights_only and not callable(getattr(self.model, "save", None)):
            raise NotImplementedError(
                "ModelCheckpoint: saving whole models (model.save) is not available yet; pass "
                "save_weights_only=True and a '.weights.npz' file name to checkpoint the weights")
        check_writable(_fixed_folder(self.filepath), "ModelCheckpoint")
        if self.save_best_only:
            self.direction = monitor_direction(self.monitor, self.mode, self.model, "ModelCheckpoint")
            if self.best is None:
                self.best = worst(self.direction)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._last_batch = -1

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # `batch` is the last batch of the call: with steps_per_execution it jumps by several.
        self._batches_since_save += batch - self._last_batch
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = {} if logs is None else logs
        filepath = self._format(epoch, batch, logs)
        if self.save_best_only:
            if self.monitor not in logs:
                warnings.warn(f"ModelCheckpoint can save the best model only when '{self.monitor}' is in the logs; "
                              f"skipping. Available: {', '.join(logs) or '(none)'}.", stacklevel=3)
                return
            current = float(logs[self.monitor])
            if not improves(current, self.best, self.direction):
                if self.verbose > 0:
                    print_msg(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                          f"saving to {filepath}")
            self.best = current
        elif self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: saving to {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)  # format fields may name a new folder
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _format(self, epoch, batch, logs):
        try:
            return self.filepath.format_map(_Fields(epoch, batch, logs))
        except KeyError as error:
            raise KeyError(f"ModelCheckpoint cannot fill in the file name '{self.filepath}': nothing is called "
                           f"{error}. It can use 'epoch', 'batch' (when saving every N batches) and the logs: "
                           f"{', '.join(logs) or '(none)'}") from None


class _Fields:
    """The values a file name may use; a log is read only if the name asks for it (batch
    logs are pulled from the device on first read)."""

    def __init__(self, epoch, batch, logs):
        self.epoch, self.batch, self.logs = epoch, batch, logs

    def __getitem__(self, key):
        if key == "epoch":
            return self.epoch + 1
        if key == "batch" and self.batch is not None:
            return self.batch + 1
        return self.logs[key]


def _fixed_folder(filepath):
    """The folder part of `filepath` before any format field: it must be writable."""
    fixed = filepath.split("{", 1)[0]
    return os.path.dirname(fixed) or "."
