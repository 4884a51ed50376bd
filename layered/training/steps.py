"""The step builder: the pure train / test / predict graphs of a compiled model.

A train step is one graph: placeholders for the batch (x, y, sample weights, batch size,
seed) -> forward pass (training=True) -> loss -> symbolic gradients -> optimizer updates
and loss/metric sum updates. It is compiled by the active backend once per batch
signature (per-sample shapes and dtypes); the batch size stays symbolic, so the last short
batch of an epoch reuses the same compiled step.
"""
import functools

import numpy as np

import backends
from layered import ops, random, tree
from layered.graph import build
from layered.graph.autodiff import grad
from layered.graph.core import Placeholder, collect_assignments, floatx, is_float, name_scope
from layered.models.layer import _host_dtype
from layered.training.data import Stacked
from layered.training.function import Function


def _signature(part):
    if part is None:
        return None
    if isinstance(part, np.ndarray) or hasattr(part, "__array__") and not isinstance(part, (list, tuple, dict)):
        # The common case, kept cheap (it runs once per batch); a batch already moved to a
        # device by the prefetch thread has the signature of its host original.
        return part.shape[1:], part.dtype.str
    return repr(tree.map_structure(lambda a: (a.shape[1:], a.dtype.str), part))


def _batch_size(x):
    """The number of samples in the batch as a float32 scalar tensor, from `x`'s shape alone
    (a compiler folds it to a constant; the NumPy engine sums a view of ones)."""
    if x.ndim == 1:
        column = x
    elif None in x.shape[1:]:  # variable-length samples: reduce them to one value each
        column = build.reduce_max(build.stop_gradient(x), tuple(range(1, x.ndim)), False)
    else:
        column = build.reshape(build.slice(x, (0,) * x.ndim, (None,) + (1,) * (x.ndim - 1)), (None,))
    ones = build.broadcast_to(build.as_tensor(np.float32(1.0)), (None,), like=column)
    return ops.sum(ones)


class Step:
    """A compiled step and the order in which a batch feeds its placeholders."""

    def __init__(self, function, has_y, has_weights, has_seed, builder):
        self.function, self.has_y, self.has_weights, self.has_seed = function, has_y, has_weights, has_seed
        self.builder = builder

    def _data_feeds(self, x, y, sample_weight):
        feeds = tree.flatten(self.builder._model_inputs(x))  # in the order of the x placeholders
        if self.has_y:
            feeds += [a for a in self.builder.align(y, "y") if a is not None]
        if self.has_weights:
            feeds += [a for a in self.builder.align(sample_weight, "sample_weight") if a is not None]
        return feeds

    def feeds(self, batch):
        return self._data_feeds(*batch) + ([self.builder.next_seed()] if self.has_seed else [])

    def __call__(self, batch):
        return self.function(*self.feeds(batch))

    def run_block(self, batches):
        """Several batches of one signature in a single backend call (steps_per_execution)."""
        if isinstance(batches, Stacked):
            feeds = self._data_feeds(*batches.batch)
            if self.has_seed:
                feeds.append(np.stack([self.builder.next_seed() for _ in range(len(batches))]))
            return self.function.call_steps(*feeds)
        if len(batches) == 1:
            return self(batches[0])
        per_batch = [self.feeds(b) for b in batches]
        return self.function.call_steps(*[np.stack(column) for column in zip(*per_batch)])


class StepBuilder:
    def __init__(self, model):
        self.model = model
        self.class_weight = None
        self.output_structure = None
        self._cache = {}
        self._pred_shapes = []
        self._base_seed, self._counter = 0, 0
        self.start_run()

    # ------------------------------------------------------------ seeds

    def start_run(self):
        """Draw the base seed of a run from the global generator (reproducible with set_random_seed)."""
        self._base_seed = int(random.draw_seed()[0])
        self._counter = 0

    def next_seed(self):
        self._counter += 1
        return np.array([self._base_seed, self._counter], dtype=np.uint32)

    # ------------------------------------------------------------ structures

    @property
    def output_names(self):
        return self.model._compiled_loss.output_names if self.model.compiled else ["output"]

    def align(self, part, what):
        """A target or weight structure as one entry per model output (None where absent)."""
        names = self.output_names
        n = len(names)
        if part is None:
            return [None] * n
        if isinstance(part, dict):
            unknown = set(part) - set(names)
            if unknown:
                raise ValueError(f"{what} names unknown outputs {sorted(unknown)}; the outputs are {names}")
            return [part.get(name) for name in names]
        if isinstance(part, (list, tuple)) and n > 1:
            if len(part) != n:
                raise ValueError(f"{what} has {len(part)} entries for a model with {n} outputs")
            return list(part)
        if isinstance(part, (list, tuple)) and len(part) == 1:
            return [part[0]]
        if n > 1 and what == "y":
            raise ValueError(f"the model has {n} outputs ({', '.join(names)}); give y as a list or a dict")
        return [part] * n

    def _model_inputs(self, x):
        model = self.model
        functional = getattr(model, "_functional", None)
        if functional is not None and isinstance(x, dict) and not isinstance(functional.inputs, dict):
            names = model.input_names
            missing = [n for n in names if n not in x]
            if missing:
                raise ValueError(f"x is missing the inputs {missing}; the model's inputs are {names}")
            ordered = [x[n] for n in names]
            return ordered if isinstance(functional.inputs, (list, tuple)) else ordered[0]
        if isinstance(x, (list, tuple)) and len(x) == 1 and (functional is None or not isinstance(
                functional.inputs, (list, tuple))):
            return x[0]
        return x

    def _x_placeholders(self, x):
        functional = getattr(self.model, "_functional", None)
        declared = [t.dtype for t in functional.input_tensors] if functional is not None else None
        arranged = self._model_inputs(x)
        leaves = tree.flatten(arranged)
        dtypes = declared if declared and len(declared) == len(leaves) else [_host_dtype(a) for a in leaves]
        placeholders = [Placeholder((None,) + a.shape[1:], d, name=f"x{i}")
                        for i, (a, d) in enumerate(zip(leaves, dtypes))]
        return placeholders, tree.pack_like(arranged, placeholders), arranged

    def with_class_weight(self, batch):
        x, y, sample_weight = batch
        if not self.class_weight:
            return batch
        targets = self.align(y, "y")
        if len(targets) != 1:
            raise ValueError("class_weight works for single-output models; use sample_weight for several outputs")
        labels = np.asarray(targets[0])
        labels = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(len(labels))
        labels = labels.astype(np.int64)
        missing = sorted(set(np.unique(labels).tolist()) - set(self.class_weight))
        if missing:
            raise ValueError(f"class_weight has no entry for classes {missing}")
        weights = np.array([self.class_weight[c] for c in labels], dtype=np.float32)
        if sample_weight is not None:
            weights = weights * np.asarray(sample_weight, dtype=np.float32).reshape(len(weights))
        return x, y, weights

    # ------------------------------------------------------------ graphs

    def _forward(self, batch, training):
        x, y, sample_weight = batch
        x_placeholders, model_inputs, _ = self._x_placeholders(x)
        with random.seed_stream() as stream, collect_assignments() as assignments:
            outputs = self.model(model_inputs, training=training)
        self._state_updates = assignments if training else []  # inference never moves layer state
        self.output_structure = tree.map_structure(lambda t: None, outputs)
        y_pred = tree.flatten(outputs)
        self._pred_shapes = [p.shape for p in y_pred]
        inputs = list(x_placeholders)
        y_true, weights = [None] * len(y_pred), [None] * len(y_pred)
        if y is not None:
            targets = self.align(y, "y")
            if len(targets) != len(y_pred):
                raise ValueError(f"the model has {len(y_pred)} outputs but y gives {len(targets)} targets")
            sparse = set(self.model._compiled_loss.sparse_outputs())
            for i, target in enumerate(targets):
                if target is not None:
                    dtype = "int32" if i in sparse and not is_float(target.dtype) else floatx()
                    y_true[i] = Placeholder((None,) + target.shape[1:], dtype, name=f"y{i}")
                    inputs.append(y_true[i])
        if sample_weight is not None:
            for i, w in enumerate(self.align(sample_weight, "sample_weight")):
                if w is not None:
                    weights[i] = Placeholder((None,) + w.shape[1:], floatx(), name=f"sample_weight{i}")
                    inputs.append(weights[i])
        return inputs, stream, y_true, y_pred, weights, _batch_size(x_placeholders[0])

    def _loss_and_metric_updates(self, y_true, y_pred, weights, batch_size):
        model = self.model
        total, parts = model._compiled_loss(y_true, y_pred, weights)
        penalties = model.losses  # weight regularizers and add_loss terms of this trace
        if penalties:
            total = total + functools.reduce(ops.add, [ops.cast(p, total.dtype) for p in penalties])
        if not model._compiled_metrics.built:
            model._compiled_metrics.build(model._compiled_loss, [None if t is None else t.shape for t in y_true],
                                          [p.shape for p in y_pred])
        updates = model._loss_tracker.update_graph(total, batch_size)
        for tracker, part in zip(model._output_loss_trackers, parts):
            if part is not None:
                updates += tracker.update_graph(part, batch_size)
        updates += model._compiled_metrics.update_graph(y_true, y_pred, weights)
        return total, updates

    def _finish(self, inputs, stream, outputs, updates, y, weights):
        has_seed = stream.placeholder is not None
        if has_seed:
            inputs = inputs + [stream.placeholder]
        function = Function(inputs, outputs, updates)
        return Step(function, y is not None, weights is not None, has_seed, self)

    def _build_train(self, batch, guard_nonfinite):
        inputs, stream, y_true, y_pred, weights, batch_size = self._forward(batch, training=True)
        if all(t is None for t in y_true):
            raise ValueError("fit needs targets: pass y (or yield (x, y) batches)")
        total, metric_updates = self._loss_and_metric_updates(y_true, y_pred, weights, batch_size)
        variables = self.model.trainable_weights
        updates = []
        if variables:
            with name_scope("gradients"):  # the scopes TensorBoard's graph shows beside the layers
                grads = grad(total, variables)
            with name_scope("optimizer"):
                updates = self.model.optimizer.get_updates(list(zip(grads, variables)))
            # A constrained weight is projected right after its update, as Keras does.
            updates = [(v, v.constraint(new) if getattr(v, "constraint", None) is not None else new)
                       for v, new in updates]
        updates += self._state_updates  # e.g. BatchNormalization's moving statistics
        if guard_nonfinite:
            # With TerminateOnNaN the weights keep their last finite values: a step whose
            # loss is NaN or infinite changes nothing but the loss tracker.
            finite = ops.equal(total - total, 0.0)
            updates = [(v, ops.where(finite, new, v)) for v, new in updates]
        step = self._finish(inputs, stream, [], updates + metric_updates, batch[1], batch[2])
        self.last_train_step = step
        return step

    def train_graph(self):
        """The optimized graph of the latest train step built (forward, gradients, optimizer
        and metric updates), or None before the first `fit`."""
        step = getattr(self, "last_train_step", None)
        return None if step is None else step.function.graph

    def _build_test(self, batch):
        inputs, stream, y_true, y_pred, weights, batch_size = self._forward(batch, training=False)
        if all(t is None for t in y_true):
            raise ValueError("evaluate needs targets: pass y (or yield (x, y) batches)")
        _, updates = self._loss_and_metric_updates(y_true, y_pred, weights, batch_size)
        return self._finish(inputs, stream, [], updates, batch[1], batch[2])

    def _build_predict(self, batch):
        inputs, stream, _, y_pred, _, _ = self._forward((batch[0], None, None), training=False)
        return Step(Function(inputs + ([stream.placeholder] if stream.placeholder is not None else []), y_pred),
                    False, False, stream.placeholder is not None, self)

    def signature(self, batch):
        return tuple(_signature(p) for p in batch)

    def _cached(self, kind, batch, build):
        key = (kind, backends.get().name) + self.signature(batch)
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def train(self, batch, guard_nonfinite=False):
        return self._cached(("train", guard_nonfinite), batch, lambda: self._build_train(batch, guard_nonfinite))

    def test(self, batch):
        return self._cached("test", batch, lambda: self._build_test(batch))

    def predict(self, batch):
        return self._cached("predict", (batch[0], None, None), lambda: self._build_predict(batch))

    # ------------------------------------------------------------ checks before any step

    def check_batch(self, batch, whole, training):
        """Build the step for `batch` (shape errors surface now) and check label ranges in `whole`."""
        batch = self.with_class_weight(batch)
        (self.train if training else self.test)(batch)
        y = whole[1]
        if y is None or not self.model.compiled:
            return
        targets = self.align(y, "y")
        depths = [s[-1] if s else None for s in self._pred_shapes]
        for i in self.model._compiled_loss.sparse_outputs():
            labels = targets[i] if i < len(targets) else None
            if labels is None or depths[i] is None:
                continue
            labels = np.asarray(labels)
            bad = (labels < 0) | (labels >= depths[i]) | (labels != np.floor(labels))
            if bad.any():
                first = labels[bad].flat[0]
                raise ValueError(f"sparse labels for output '{self.output_names[i]}' must be integers in "
                                 f"[0, {depths[i]}): found {first.item()} (the model predicts {depths[i]} classes)")
