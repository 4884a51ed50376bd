"""`create_file_writer`: scalars, histograms, text, images and graphs into an event file.

A writer owns one new file per run directory and process, named as TensorBoard expects
(`events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n>`), whose first record is the
`brain.Event:2` file-version event. Summaries are queued in memory and appended in whole
records when `max_queue` are waiting, when `flush_millis` have passed since the last
flush (checked as summaries arrive; there is no background thread), on `flush()`, on
`close()`, when the writer is garbage-collected and at interpreter exit.
"""
import contextlib
import itertools
import os
import socket
import threading
import time
import weakref

import numpy as np

from layered.summary import events, graphdef
from layered.summary.records import RecordFile

_file_counter = itertools.count()
_default_writers = []  # the stack that `as_default()` pushes to


def event_file_name(suffix=""):
    """`events.out.tfevents.<10-digit unix seconds>.<hostname>.<pid>.<n><suffix>`."""
    return (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}."
            f"{next(_file_counter)}{suffix}")


def _as_step(step):
    if type(step) is int:  # the common case, kept cheap: it runs on every summary
        return step
    if step is None:
        raise ValueError("a summary needs a step (an int: the epoch, the batch, ...)")
    try:
        return int(np.asarray(step))
    except (TypeError, ValueError):
        raise TypeError(f"step must be an integer, got {step!r}") from None


def _as_float(value):
    if type(value) is float:
        return value
    try:
        return float(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"a scalar summary takes one number, got {value!r}") from None


class SummaryWriter:
    """Writes summaries for TensorBoard into one event file under `logdir`.

    Made by `create_file_writer`; see there. Usable as a context manager, which closes it.
    """

    def __init__(self, logdir, max_queue=10, flush_millis=120_000, filename_suffix=""):
        self.logdir = os.fspath(logdir)
        self.max_queue = max(1, int(max_queue))
        self.flush_seconds = flush_millis / 1000.0
        self._lock = threading.Lock()
        self._tagged = set()  # tags whose plugin metadata has been written
        try:
            os.makedirs(self.logdir, exist_ok=True)
            while True:
                try:
                    self._file = RecordFile(os.path.join(self.logdir, event_file_name(filename_suffix)))
                    break
                except FileExistsError:
                    continue  # another writer took this name in the same second: take the next number
        except OSError as err:
            raise OSError(err.errno, f"cannot write TensorBoard event files in '{self.logdir}': "
                                     f"{err.strerror or err}") from err
        self.path = self._file.path
        self._closed = False
        self._last_flush = time.monotonic()
        # Flushes and closes the file when the writer is collected or the interpreter exits.
        self._finalizer = weakref.finalize(self, self._file.close)
        self._file.write(events.event(time.time(), file_version=events.FILE_VERSION))
        self._file.flush()

    # ------------------------------------------------------------ summaries

    def scalar(self, tag, value, step):
        """Log one number (float32; NaN and infinities are kept).

        Example:
            writer.scalar("loss", 0.25, step=3)
        """
        self._write(events.scalar_event(time.time(), _as_step(step), tag, _as_float(value)))

    def histogram(self, tag, values, step, buckets=30):
        """Log the distribution of `values` (any shape; non-finite entries are left out) in
        `buckets` equal-width buckets; TensorBoard shows it in Histograms and Distributions."""
        histogram = events.histogram_proto(np.asarray(values), buckets)
        self._write_summary(events.histogram_value(tag, histogram), step)

    def text(self, tag, text, step):
        """Log a string (markdown is rendered), or a list / 2-D list of strings (a table)."""
        array = np.asarray(text, dtype=object) if not isinstance(text, str) else np.asarray(text)
        metadata = self._metadata_once(tag, "text", events.DATA_CLASS_TENSOR)
        self._write_summary(events.tensor_value(tag, events.tensor_proto(array), metadata), step)

    def image(self, tag, array, step, max_outputs=3):
        """Log images: an HxW, HxWxC or NxHxWxC array (C = 1, 2, 3 or 4), uint8 or floats in
        [0, 1]; at most `max_outputs` of a batch are kept. Encoded as PNG."""
        images = events.image_batch(array)
        metadata = self._metadata_once(tag, "images", events.DATA_CLASS_BLOB_SEQUENCE)
        tensor = events.image_tensor(images, max_outputs)
        self._write_summary(events.tensor_value(tag, tensor, metadata), step)

    def graph(self, source):
        """Log a graph for the Graphs tab: a layered `Graph`, a compiled function or a model
        (its inference graph). Write one graph per run."""
        self._write(events.event(time.time(), graph_def=graphdef.graph_def(source)))

    # ------------------------------------------------------------ file

    def flush(self):
        """Append every queued summary to the file."""
        with self._lock:
            self._check_open()
            self._flush_locked()

    def close(self):
        """Flush and close the file; later writes raise. Closing twice is fine."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._finalizer()

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @contextlib.contextmanager
    def as_default(self):
        """Make this the writer that `layered.summary.scalar(...)` and friends write to."""
        _default_writers.append(self)
        try:
            yield self
        finally:
            _default_writers.remove(self)

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return f"<SummaryWriter {self.path!r} ({state})>"

    # ------------------------------------------------------------ internals

    def _metadata_once(self, tag, plugin, data_class):
        # The first value of a tag fixes its plugin; later values need no metadata.
        if tag in self._tagged:
            return None
        self._tagged.add(tag)
        return events.summary_metadata(plugin, data_class=data_class)

    def _write_summary(self, value, step):
        self._write(events.event(time.time(), step=_as_step(step), summary=events.summary(value)))

    def _write(self, event):
        with self._lock:
            self._check_open()
            self._file.write(event)
            if len(self._file) >= self.max_queue or time.monotonic() - self._last_flush >= self.flush_seconds:
                self._flush_locked()

    def _flush_locked(self):
        self._file.flush()
        self._last_flush = time.monotonic()

    def _check_open(self):
        if self._closed:
            raise RuntimeError(f"the summary writer for '{self.logdir}' is closed; create a new one with "
                               "layered.summary.create_file_writer")


def create_file_writer(logdir, max_queue=10, flush_millis=120_000, filename_suffix=""):
    """A `SummaryWriter` appending to a new event file in `logdir` (created if needed).

    Args:
        logdir: the run's directory; TensorBoard names the run by its path under `--logdir`.
        max_queue: summaries held in memory before they are appended to the file.
        flush_millis: the longest time a summary waits in memory while others arrive.
        filename_suffix: appended to the event file's name.

    Raises `OSError` at once when `logdir` cannot be created or written.

    Example:
        with layered.summary.create_file_writer("logs/run1") as writer:
            for step in range(100):
                writer.scalar("loss", 1.0 / (step + 1), step=step)
    """
    return SummaryWriter(logdir, max_queue=max_queue, flush_millis=flush_millis, filename_suffix=filename_suffix)


def default_writer():
    """The innermost writer made default with `as_default()`, or None."""
    return _default_writers[-1] if _default_writers else None


def _on_default(method, *args, **kwargs):
    writer = default_writer()
    if writer is None:
        return False
    getattr(writer, method)(*args, **kwargs)
    return True


def scalar(tag, value, step):
    """`scalar` on the default writer; returns False (and writes nothing) when there is none."""
    return _on_default("scalar", tag, value, step)


def histogram(tag, values, step, buckets=30):
    """`histogram` on the default writer; returns False when there is none."""
    return _on_default("histogram", tag, values, step, buckets=buckets)


def text(tag, text, step):
    """`text` on the default writer; returns False when there is none."""
    return _on_default("text", tag, text, step)


def image(tag, array, step, max_outputs=3):
    """`image` on the default writer; returns False when there is none."""
    return _on_default("image", tag, array, step, max_outputs=max_outputs)
