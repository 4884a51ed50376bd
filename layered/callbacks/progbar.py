"""`ProgbarLogger`: progress on the console, as a live tqdm bar or one line per epoch.

On an interactive terminal (or in Jupyter) and `verbose=1`, each epoch gets an
"Epoch i/N" line and a live `tqdm` bar whose postfix shows the running metrics. With
`verbose=2`, or `verbose=1` when the output is a file or a pipe (log files, CI), each
epoch prints exactly one line and no carriage returns:

    Epoch 3/10 - 32 steps - 0.41s - 12ms/step - loss: 0.1234 - accuracy: 0.9531

Everything goes to `sys.stdout` (tqdm's own default is stderr), so the bars, the epoch
lines and the messages of other callbacks stay in order in one stream.
"""
import math
import sys
import time

from tqdm.auto import tqdm

from layered.callbacks.callback import Callback


class ProgbarLogger(Callback):
    """Shows the progress of `fit`, `evaluate` and `predict`; `fit` adds one by itself.

    Args:
        refresh_interval: the shortest time in seconds between two reads of the batch
            logs for the live bar's postfix. Batch logs may be pulled from the device
            when read, so they are read only this often, and at the end of an epoch.
        interactive: whether the output is a live terminal. `None` (default) detects it:
            a tty stdout or a Jupyter kernel. `True` forces the bar, `False` the lines.

    During `fit`, the validation pass (the `on_test_*` hooks) draws nothing: the
    `val_*` values appear at the end of the epoch.

    Example:
        model.fit(x, y, epochs=10, callbacks=[ProgbarLogger(refresh_interval=0.5)])
    """

    def __init__(self, refresh_interval=0.15, interactive=None):
        super().__init__()
        self.refresh_interval = refresh_interval
        self.interactive = interactive
        self.verbose = 1
        self.epochs = 1
        self.steps = None
        self._in_fit = False
        self._bar = None
        self._label = None
        self._seen = 0
        self._started = 0.0
        self._last_read = 0.0

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.steps = params.get("steps")

    # Training.
    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._close_bar()
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        label = f"Epoch {epoch + 1}/{self.epochs}"
        if self._live():
            print_msg(label)
        self._start(label)

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    # Evaluation: silent inside fit, where it is the validation pass.
    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start(label=None)

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    # Prediction: progress only, the batch logs hold outputs, not metrics.
    def on_predict_begin(self, logs=None):
        if not self._in_fit:
            self._start(label=None)

    def on_predict_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs=None)

    def on_predict_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs=None)

    # One pass (an epoch, an evaluation, a prediction): start, advance, finish. A pass
    # draws a live bar when `self._bar` is set at its start, else one line at its end.
    def _start(self, label):
        self._close_bar()
        self._label = label
        self._seen = 0
        self._started = self._last_read = time.monotonic()
        if self._live():
            self._bar = self._new_bar()

    def _advance(self, batch, logs):
        self._seen = batch + 1  # batch indices are 0-based; with K steps per call they jump by K
        if self._bar is None:
            return
        now = time.monotonic()
        # The clock first: even `bool(logs)` may pull a lazy logs dict from the device.
        if now - self._last_read >= self.refresh_interval and logs:
            self._last_read = now
            self._bar.set_postfix_str(_postfix(logs), refresh=False)
        self._bar.update(self._seen - self._bar.n)

    def _finish(self, logs):
        if self._bar is not None:
            self._finish_bar(logs)
        elif self.verbose:
            elapsed = time.monotonic() - self._started
            print_msg(_summary_line(self._label, self._seen, elapsed, logs))

    def _finish_bar(self, logs):
        train_logs, val_logs = _split_validation(logs)
        if train_logs:
            self._bar.set_postfix_str(_postfix(train_logs), refresh=False)
        if self._bar.total is None:
            self._bar.total = self._seen
        self._bar.update(self._seen - self._bar.n)
        self._close_bar()
        # Validation values go on their own line: a long postfix would be cut to the
        # terminal's width.
        if val_logs:
            print_msg(_metrics_text(val_logs))

    def _new_bar(self):
        # tqdm redraws at most every `mininterval`; matching it to our log reads means a
        # redraw mostly shows fresh values. total=None (steps unknown) shows a count and a
        # rate without a percentage.
        return tqdm(total=self.steps, file=sys.stdout, leave=True, dynamic_ncols=True,
                    mininterval=self.refresh_interval)

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _live(self):
        """Whether a pass starting now draws a live bar (else at most one line at its end)."""
        if self.verbose != 1:
            return False
        if self.interactive is not None:
            return self.interactive
        return _is_terminal(sys.stdout) or _in_jupyter()


def print_msg(message):
    """Prints a line to stdout without breaking a live progress bar.

    The other callbacks (EarlyStopping, TerminateOnNaN, ...) print through this.
    """
    tqdm.write(message, file=sys.stdout)


def format_value(value):
    """A metric as the progress display shows it: 4 decimals, scientific when tiny."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if value == 0 or not math.isfinite(value) or abs(value) >= 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


def _postfix(logs):
    # Iterate keys and index: a lazy logs dict computes values in __getitem__.
    return ", ".join(f"{key}={format_value(logs[key])}" for key in logs)


def _metrics_text(logs):
    return " - ".join(f"{key}: {format_value(logs[key])}" for key in logs)


def _split_validation(logs):
    logs = logs or {}
    train = {key: logs[key] for key in logs if not key.startswith("val_")}
    val = {key: logs[key] for key in logs if key.startswith("val_")}
    return train, val


def _summary_line(label, steps, elapsed, logs):
    parts = [label] if label else []
    parts.append(f"{steps} step" if steps == 1 else f"{steps} steps")
    parts.append(_format_seconds(elapsed))
    if steps:
        parts.append(_format_per_step(elapsed / steps))
    if logs:
        parts.append(_metrics_text(logs))
    return " - ".join(parts)


def _format_seconds(seconds):
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def _format_per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.2f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _in_jupyter():
    """True inside a Jupyter kernel (whose stdout is not a tty but renders bars)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
