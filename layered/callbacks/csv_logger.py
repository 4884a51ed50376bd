"""`CSVLogger`: one CSV row per epoch with every epoch log."""
import collections.abc
import csv
import os
import warnings

import numpy as np

from layered.callbacks.callback import Callback


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file: a header, then one row per epoch.

    The columns are `epoch` (0-based, as Keras writes it) then the log names in sorted
    order, taken from the first epoch. A later epoch that lacks a column (validation
    every other epoch, training stopped early) writes `NA` there; a log that appears only
    later is left out with a warning. The file is flushed after every row.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file instead of replacing it. Rows then follow the
            columns of the file's header, which is not written again.

    Example:
        model.fit(x, y, epochs=10, callbacks=[CSVLogger("training.csv")])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._file = None
        self._writer = None
        self._dropped = set()

    def on_train_begin(self, logs=None):
        self.keys = None
        self._dropped = set()
        if self.append and os.path.exists(self.filename):
            self.keys = self._existing_columns()
            self._file = open(self.filename, "a", newline="", encoding="utf-8")
        else:
            self._file = open(self.filename, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.sep)

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        if self._writer is None:  # driven without on_train_begin
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer.writerow(["epoch"] + self.keys)
        new = sorted(set(logs) - set(self.keys) - self._dropped)
        if new:
            self._dropped.update(new)
            warnings.warn(f"CSVLogger: '{self.filename}' has no column for the logs {new} (the columns come from "
                          "the first epoch, or the header of the file appended to); they are left out", stacklevel=2)
        self._writer.writerow([epoch] + [_cell(logs[key]) if key in logs else "NA" for key in self.keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None

    def _existing_columns(self):
        """The log columns of the file's header, or None when the file is empty."""
        with open(self.filename, newline="", encoding="utf-8") as file:
            header = next(csv.reader(file, delimiter=self.sep), None)
        if not header:
            return None
        return header[1:] if header[0] == "epoch" else header


def _cell(value):
    """A log value as a CSV cell: numbers as they print, arrays as a quoted list."""
    if isinstance(value, str):
        return value
    array = np.asarray(value) if isinstance(value, (np.ndarray, collections.abc.Sequence)) else None
    if array is not None and array.ndim > 0:
        return f"[{', '.join(str(v) for v in array.ravel().tolist())}]"
    return value
