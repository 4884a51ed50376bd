"""compile / fit / evaluate / predict: one loop for every backend.

The loop turns data into batches, feeds each batch to a compiled step and drives the
callbacks. The steps are graphs built here (`steps.py`) and compiled by the active
backend; loss and metric sums stay in backend variables and are read only when a
callback or the caller asks for them.
"""
import numpy as np

import backends
from layered import distribution as distribution_lib
from layered import optimizers, tree
from layered.callbacks import CallbackList, TerminateOnNaN
from layered.training import data as data_module
from layered.training.prefetch import Prefetcher
from layered.training.compile_utils import CompiledLoss, CompiledMetrics, LossTracker
from layered.training.logs import LazyLogs
from layered.training.steps import StepBuilder


PREFETCH_DEPTH = 1  # blocks prepared ahead of the running step: double buffering
# Whether a background thread prepares the next blocks: True, False, or "auto": for
# generators and iterables (the user's code makes each batch), memory-mapped arrays (rows
# come from a file) and backends that move batches to an accelerator ahead of the step.
# In-memory arrays on the host are gathered in the loop: that is a copy of one batch,
# cheaper than the two thread wake-ups a hand-off costs.
PREFETCH = "auto"


def _resolve_verbose(verbose):
    return 1 if verbose == "auto" else int(verbose)


class Trainer:
    """The training API mixed into `Model`."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._steps = None

    # ------------------------------------------------------------ compile

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, the loss and the metrics to train with.

        Args:
            optimizer: a name ('adam', 'sgd', ...) or an optimizer object.
            loss: a name, a function or a Loss object; a list or dict for several outputs.
            loss_weights: the weight of each output's loss in the total.
            metrics: names, functions or Metric objects ("accuracy" picks the right kind).
            weighted_metrics: metrics that also take the sample weights.
            steps_per_execution: batches run per compiled call (a backend may fuse them).
        Example:
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        """
        if int(steps_per_execution) < 1:
            raise ValueError(f"steps_per_execution must be >= 1, got {steps_per_execution}")
        self.optimizer = optimizers.get(optimizer)
        names = self._output_names()
        self._compiled_loss = CompiledLoss(loss, loss_weights, names)
        self._compiled_metrics = CompiledMetrics(metrics, weighted_metrics, names)
        self._loss_tracker = LossTracker("loss")
        self._output_loss_trackers = [LossTracker(f"{n}_loss") for n in names] if len(names) > 1 else []
        self.loss = loss
        self.steps_per_execution = int(steps_per_execution)
        self._compile_args = dict(optimizer=self.optimizer, loss=loss, loss_weights=loss_weights, metrics=metrics,
                                  weighted_metrics=weighted_metrics, steps_per_execution=self.steps_per_execution)
        self._steps = StepBuilder(self)
        self.compiled = True
        self.stop_training = False

    @property
    def _compile_config(self):
        """The compile arguments as JSON data, for `model.save`."""
        from layered.saving.model_file import compile_config
        return compile_config(**self._compile_args)

    def _output_names(self):
        names = self.output_names if getattr(self, "_functional", None) is not None else []
        return names or ["output"]

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"model '{self.name}' must be compiled before {what}: call "
                               "model.compile(optimizer=..., loss=...) first")

    # ------------------------------------------------------------ metrics

    @property
    def metrics(self):
        if not self.compiled:
            return []
        return [self._loss_tracker] + self._output_loss_trackers + self._compiled_metrics.metrics

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """The current value of every metric, read from the backend: {name: float}."""
        results = {}
        for m in self.metrics:
            value = m.result()
            results[m.name] = float(value) if np.ndim(value) == 0 else np.asarray(value)
        return results

    def _lazy_logs(self):
        return LazyLogs(self.get_metrics_result)

    # ------------------------------------------------------------ batches and blocks

    def _blocks(self, data):
        """(first step index, batches) for each backend call, prepared ahead of the step in a
        background thread where that pays (rows read and checked, the device transfer started)."""
        if not _prefetches(data):
            yield from self._host_blocks(data)
            return
        with Prefetcher(self._host_blocks(data), self._prepare_block, depth=PREFETCH_DEPTH) as ahead:
            yield from ahead

    def _prepare_block(self, item):
        """Runs in the prefetch thread: start moving a block's arrays to the device(s)."""
        first, block = item
        stacked, backend = isinstance(block, data_module.Stacked), backends.get()
        if not getattr(backend, "moves_batches_ahead", False) or self._steps.class_weight or \
                not (stacked or len(block) == 1):
            return item  # class weights read the labels, and separate batches are stacked, on the host
        dist, leading = distribution_lib.distribution(), 1 if stacked else 0

        def move(array):
            if not hasattr(array, "shape") or array.ndim <= leading:
                return array
            layout = None if dist is None else dist.get_data_layout(array.shape[leading:])
            return backend.transfer(array, layout, leading)

        parts = block.batch if stacked else block[0]
        moved = tuple(None if part is None else tree.map_structure(move, part) for part in parts)
        return first, (data_module.Stacked(moved, block.count) if stacked else [moved])

    def _host_blocks(self, data):
        """(first step index, batches) for each backend call: up to `steps_per_execution`
        batches of one signature (a `Stacked` run of full array batches, or a list)."""
        size = getattr(self, "steps_per_execution", 1)
        if size > 1 and isinstance(data, data_module.ArrayData) and not self._steps.class_weight:
            yield from data.blocks(size)  # whole runs gathered and moved at once
            return
        batches = data.batches()
        if size == 1:  # no look-ahead: only the batch in use is alive while the next is gathered
            step = 0  # counted by hand: enumerate's reused result tuple would keep the last batch alive
            for batch in batches:
                block = [batch]
                del batch
                yield step, block
                del block
                step += 1
            return
        block, first, signature = [], 0, None
        for step, batch in enumerate(batches):
            batch_signature = self._steps.signature(batch)
            if block and (len(block) == size or batch_signature != signature):
                yield first, block
                block = []
            if not block:
                first, signature = step, batch_signature
            block.append(batch)
        if block:
            yield first, block

    def _train_block(self, batches, guard_nonfinite=False):
        if not isinstance(batches, data_module.Stacked):
            batches = [self._steps.with_class_weight(b) for b in batches]
        self._steps.train(batches[0], guard_nonfinite).run_block(batches)

    def _test_block(self, batches):
        self._steps.test(batches[0]).run_block(batches)

    def _predict_block(self, batches):
        if self._steps is None:
            self._steps = StepBuilder(self)
        outputs = self._steps.predict(batches[0]).run_block(batches)
        if len(batches) > 1:  # stacked (K, batch, ...): back to (K * batch, ...)
            outputs = [o.reshape((-1,) + o.shape[2:]) for o in outputs]
        return outputs

    # ------------------------------------------------------------ fit

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for `epochs` passes over the data; returns the `History`.

        Example:
            history = model.fit(x_train, y_train, batch_size=32, epochs=10, validation_split=0.1)
        """
        self._require_compiled("fit")
        verbose = _resolve_verbose(verbose)
        train = data_module.adapt(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        val = None
        if validation_split:
            if not isinstance(train, data_module.ArrayData):
                raise ValueError("validation_split needs arrays; with a generator pass validation_data")
            train, val = train.split(validation_split)
        if validation_data is not None:
            val = self._validation_adapter(validation_data, validation_batch_size or batch_size, validation_steps)
        self._steps.class_weight = class_weight
        _check_batch_sizes(train, val)
        if isinstance(train, data_module.ArrayData):
            self._steps.check_batch(next(train.batches()), whole=(train.x, train.y, train.sample_weight),
                                    training=True)
        callbacks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.steps)
        guard = any(isinstance(c, TerminateOnNaN) for c in callbacks)
        self.stop_training = False
        self._steps.start_run()
        callbacks.on_train_begin()
        # A callback that restored a backup (BackupAndRestore) names the epoch to resume at.
        initial_epoch = max(initial_epoch, self.__dict__.pop("_resume_epoch", initial_epoch))
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            ran = 0
            for first, block in self._blocks(train):
                callbacks.on_train_batch_begin(first)
                self._train_block(block, guard)
                count = len(block)
                del block  # not alive while the next batch is gathered: peak memory holds one batch
                ran += count
                callbacks.on_train_batch_end(first + count - 1, self._lazy_logs())
                if self.stop_training:
                    break
            if ran == 0:
                break  # a single-pass generator ran dry: Keras stops training here too
            epoch_logs = self.get_metrics_result()
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_adapter(val, callbacks)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end(epoch_logs)
        return self.history

    def _validation_adapter(self, validation_data, batch_size, steps):
        if isinstance(validation_data, tuple):
            if not 2 <= len(validation_data) <= 3:
                raise ValueError("validation_data must be (x, y) or (x, y, sample_weight)")
            vx, vy, vsw = (validation_data + (None,))[:3]
            return data_module.adapt(vx, vy, vsw, batch_size, False, steps)
        return data_module.adapt(validation_data, None, None, None, False, steps)

    # ------------------------------------------------------------ evaluate

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics over the data: a scalar, a list, or a dict with `return_dict`."""
        self._require_compiled("evaluate")
        data = data_module.adapt(x, y, sample_weight, batch_size, False, steps)
        if isinstance(data, data_module.ArrayData):
            self._steps.check_batch(next(data.batches()), whole=(data.x, data.y, data.sample_weight),
                                    training=False)
        verbose = _resolve_verbose(verbose)
        callbacks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=data.steps)
        logs = self._evaluate_adapter(data, callbacks)
        return logs if return_dict else self._as_list(logs)

    def _evaluate_adapter(self, data, callbacks):
        self.reset_metrics()
        callbacks.on_test_begin()
        ran = 0
        for first, block in self._blocks(data):
            callbacks.on_test_batch_begin(first)
            self._test_block(block)
            count = len(block)
            del block
            ran += count
            callbacks.on_test_batch_end(first + count - 1, self._lazy_logs())
        if ran == 0:
            raise ValueError("evaluate got no batches: the data is empty or the generator is exhausted")
        logs = self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

    def _as_list(self, logs):
        values = [logs[m.name] for m in self.metrics]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ predict

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for `x`, batched, as NumPy arrays (a list or dict for several outputs)."""
        data = data_module.adapt(x, None, None, batch_size, False, steps)
        if self._steps is None:
            self._steps = StepBuilder(self)  # predict needs no compile
        verbose = _resolve_verbose(verbose)
        callbacks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=data.steps)
        callbacks.on_predict_begin()
        pieces = []
        for first, block in self._blocks(data):
            callbacks.on_predict_batch_begin(first)
            outputs = self._predict_block(block if isinstance(block, data_module.Stacked)
                                          else [(x, None, None) for x, _, _ in block])
            pieces.append(outputs)
            callbacks.on_predict_batch_end(first + len(block) - 1, {"outputs": outputs})
        if not pieces:
            raise ValueError("predict got no batches: the data is empty or the generator is exhausted")
        callbacks.on_predict_end()
        joined = [np.concatenate(parts, axis=0) for parts in zip(*pieces)]
        return tree.pack_like(self._steps.output_structure, joined)

    # ------------------------------------------------------------ single batches

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the running loss and metrics."""
        self._require_compiled("train_on_batch")
        data = data_module.ArrayData(x, y, sample_weight, batch_size=_batch_length(x))
        batch = next(data.batches())
        self._steps.class_weight = class_weight
        self._steps.check_batch(batch, whole=batch, training=True)
        self.reset_metrics()  # Keras reports each call's own batch
        self._train_block([batch])
        logs = self.get_metrics_result()
        return logs if return_dict else self._as_list(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss and metrics on one batch (metrics are reset first)."""
        self._require_compiled("test_on_batch")
        data = data_module.ArrayData(x, y, sample_weight, batch_size=_batch_length(x))
        batch = next(data.batches())
        self._steps.check_batch(batch, whole=batch, training=False)
        self.reset_metrics()
        self._test_block([batch])
        logs = self.get_metrics_result()
        return logs if return_dict else self._as_list(logs)

    def predict_on_batch(self, x):
        """Outputs for one batch, as NumPy arrays."""
        data = data_module.ArrayData(x, batch_size=_batch_length(x))
        outputs = self._predict_block([(next(data.batches())[0], None, None)])
        return tree.pack_like(self._steps.output_structure, outputs)


def _prefetches(data):
    if PREFETCH != "auto":
        return bool(PREFETCH)
    in_memory = isinstance(data, data_module.ArrayData) and not data.memory_mapped
    return not in_memory or getattr(backends.get(), "moves_batches_ahead", False)


def _check_batch_sizes(*adapters):
    """Under a distribution, batch sizes that the devices cannot share evenly are an error
    before the first step (array data; batches from a generator are checked as they come)."""
    dist = distribution_lib.distribution()
    for data in adapters:
        if dist is not None and isinstance(data, data_module.ArrayData):
            dist.check_data(data)


def _batch_length(x):
    leaves = [np.asarray(a) for a in tree.flatten(x if isinstance(x, (list, tuple, dict)) else [x])]
    return max(1, len(leaves[0])) if leaves and leaves[0].ndim else 1

