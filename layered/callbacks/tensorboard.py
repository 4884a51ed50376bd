"""`TensorBoard`: logs for TensorBoard, written with `layered.summary` (no TensorFlow).

The layout is Keras 3's: `<log_dir>/train` and `<log_dir>/validation` runs, scalars
`epoch_<name>` at step = epoch (validation values without their `val_` prefix, in the
validation run), `epoch_learning_rate`, `batch_<name>` at step = batches trained so far
when `update_freq` asks for them, `evaluation_<name>_vs_iterations` after each validation
pass, weight histograms and images, and the model graph once per fit.
"""
import os
import time
import warnings

import numpy as np

from layered import summary
from layered.callbacks.callback import Callback


def _scalars(logs):
    """The scalar entries of a logs dict as floats (a metric may be an array, e.g. per class)."""
    found = {}
    for key in logs:  # iterate keys, then index: a lazy dict computes values in __getitem__
        value = logs[key]
        if np.ndim(value) == 0:
            try:
                found[key] = float(value)
            except (TypeError, ValueError):
                continue
    return found


def kernel_images(value):
    """A weight as images in [0, 1] for TensorBoard, or None when it has no image form.

    A 2-D kernel (inputs x units) is one grey image; a 4-D convolution kernel
    (height, width, in, out) gives one image per output filter, with its input channels as
    colours when there are 1, 3 or 4 of them and side by side otherwise.
    """
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 2:
        images = value[None, :, :, None]
    elif value.ndim == 4:
        filters = np.transpose(value, (3, 0, 1, 2))  # (out, height, width, in)
        if filters.shape[-1] not in (1, 3, 4):
            n, h, w, c = filters.shape
            filters = np.transpose(filters, (0, 1, 3, 2)).reshape(n, h, c * w, 1)
        images = filters
    else:
        return None
    low, high = np.nanmin(images), np.nanmax(images)
    if not np.isfinite(low) or not np.isfinite(high) or high <= low:
        return np.full(images.shape, 0.5)
    return (images - low) / (high - low)


class TensorBoard(Callback):
    """Writes TensorBoard logs during `fit`: metrics, learning rate, weight histograms, the graph.

    Args:
        log_dir: the directory for the `train` and `validation` runs. It must be writable:
            `fit` fails before its first step otherwise.
        histogram_freq: every how many epochs to log a histogram of each weight (tag: the
            weight's path, e.g. "dense/kernel"); 0 for none.
        write_graph: log the graph once: the training step's graph (layers, `gradients/...`
            and `optimizer/...` scopes) after the first batch, else the inference graph.
        write_images: with `histogram_freq`, also log 2-D and 4-D kernels as images
            (tag "<path>/image").
        write_steps_per_second: log `epoch_steps_per_second` (and `batch_steps_per_second`).
        update_freq: "epoch", or "batch" / an integer N to also log `batch_<name>` every N
            batches. Batch logs are read (pulled from the device) only on those batches.
        profile_batch, embeddings_freq, embeddings_metadata: accepted for Keras
            compatibility; profiling and the embedding projector are not supported (a
            warning says so when they are asked for).

    Example:
        tensorboard = layered.callbacks.TensorBoard(log_dir="logs/run1", histogram_freq=1)
        model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[tensorboard])
        # then: tensorboard --logdir logs
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _parse_update_freq(update_freq)
        if profile_batch:
            warnings.warn("TensorBoard(profile_batch=...) is not supported by layered; no profile is written",
                          stacklevel=2)
        if embeddings_freq or embeddings_metadata:
            warnings.warn("TensorBoard(embeddings_freq=...) is not supported by layered; no embeddings are "
                          "written", stacklevel=2)
        self.profile_batch, self.embeddings_freq = profile_batch, embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._in_fit = False
        self._graph_written = False
        self._global_step = 0  # batches trained so far (the step of batch summaries)
        self._epoch_first_step = 0
        self._epoch_started = self._batch_started = 0.0

    # ------------------------------------------------------------ writers

    def _writer(self, run):
        writer = self._writers.get(run)
        if writer is None:
            writer = summary.create_file_writer(os.path.join(self.log_dir, run))
            self._writers[run] = writer
        return writer

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------ fit

    def on_train_begin(self, logs=None):
        self._close_writers()
        self._writer("train")  # an unwritable log_dir fails here, before any step
        self._in_fit = True
        self._graph_written = False
        self._global_step = self._epoch_first_step = _iterations(self.model)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_first_step = self._global_step
        self._epoch_started = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        if self.write_steps_per_second:
            self._batch_started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        previous, self._global_step = self._global_step, self._epoch_first_step + batch + 1
        if self.write_graph and not self._graph_written:
            self._log_graph()
        every = self.update_freq
        if every is None or self._global_step // every == previous // every:
            return  # not a batch to log: leave the (lazy) logs unread
        writer = self._writer("train")
        for name, value in _scalars(logs or {}).items():
            if name not in ("batch", "size", "num_steps"):
                writer.scalar(f"batch_{name}", value, step=self._global_step)
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_started
            if elapsed > 0:
                writer.scalar("batch_steps_per_second", (self._global_step - previous) / elapsed,
                              step=self._global_step)

    def on_epoch_end(self, epoch, logs=None):
        values = _scalars(logs or {})
        train = {k: v for k, v in values.items() if not k.startswith("val_")}
        validation = {k[len("val_"):]: v for k, v in values.items() if k.startswith("val_")}
        learning_rate = _learning_rate(self.model)
        if learning_rate is not None:
            train["learning_rate"] = learning_rate
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_started
            if elapsed > 0:
                train["steps_per_second"] = (self._global_step - self._epoch_first_step) / elapsed
        writer = self._writer("train")
        for name, value in train.items():
            writer.scalar(f"epoch_{name}", value, step=epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(writer, epoch)
        if validation:
            val_writer = self._writer("validation")
            for name, value in validation.items():
                val_writer.scalar(f"epoch_{name}", value, step=epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._close_writers()

    # ------------------------------------------------------------ validation and evaluate

    def on_test_end(self, logs=None):
        step = self._global_step if self._in_fit else _iterations(self.model)
        writer = self._writer("validation")
        for name, value in _scalars(logs or {}).items():
            writer.scalar(f"evaluation_{name}_vs_iterations", value, step=step)
        if not self._in_fit:
            writer.flush()

    # ------------------------------------------------------------ graph and weights

    def _log_graph(self):
        self._graph_written = True
        source = _train_step_function(self.model) or self.model
        try:
            self._writer("train").graph(source)
        except Exception as err:  # noqa: BLE001  (a picture must never stop a training run)
            warnings.warn(f"TensorBoard could not export the model's graph: {type(err).__name__}: {err}",
                          stacklevel=2)

    def _log_weights(self, writer, epoch):
        seen = set()
        for weight in self.model.weights:
            tag = getattr(weight, "path", None) or weight.name
            if tag in seen:
                continue
            seen.add(tag)
            value = weight.numpy()
            writer.histogram(tag, value, step=epoch)
            if self.write_images:
                images = kernel_images(value)
                if images is not None:
                    writer.image(f"{tag}/image", images, step=epoch)


def _parse_update_freq(update_freq):
    if update_freq == "epoch":
        return None
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool) and update_freq >= 1:
        return int(update_freq)
    raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive integer, got {update_freq!r}")


def _iterations(model):
    """The optimizer's step count (read once per fit or evaluation, not per batch)."""
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    if iterations is None:
        return 0
    return int(np.asarray(iterations.numpy() if hasattr(iterations, "numpy") else iterations))


def _learning_rate(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        return float(optimizer.learning_rate)
    except (TypeError, ValueError, AttributeError):
        return None


def _train_step_function(model):
    """The compiled function of the model's latest train step (its graph plus the variable
    updates), else its train graph, else None."""
    steps = getattr(model, "_steps", None)
    step = getattr(steps, "last_train_step", None)
    function = getattr(step, "function", None)
    if function is not None:
        return function
    train_graph = getattr(steps, "train_graph", None)
    return train_graph() if train_graph is not None else None
