"""What `compile` resolves: one loss and a list of metrics per model output.

Losses and metrics may be given once (for every output), as a list (by output position)
or as a dict (by output name). The string "accuracy" is resolved when the first batch is
seen, from the loss and the shapes, as Keras does.
"""
import numpy as np

from layered import losses as losses_module
from layered.graph import build
from layered.graph.core import Variable


class LossTracker:
    """A running mean of batch losses, weighted by batch size; its sums stay on the backend."""

    def __init__(self, name):
        self.name = name
        self.total = Variable(np.float32(0.0), trainable=False, name=f"{name}/total")
        self.count = Variable(np.float32(0.0), trainable=False, name=f"{name}/count")
        self.variables = [self.total, self.count]

    def update_graph(self, value, batch_size):
        return [(self.total, self.total + build.cast(value, "float32") * batch_size),
                (self.count, self.count + batch_size)]

    def result(self):
        count = float(np.asarray(self.count.numpy()))
        return np.float32(float(np.asarray(self.total.numpy())) / count) if count else np.float32(0.0)

    def reset_state(self):
        for v in self.variables:
            v.assign(np.float32(0.0))


class _FunctionLoss(losses_module.Loss):
    """A plain `(y_true, y_pred) -> per-sample values` function as a Loss object."""

    def __init__(self, fn):
        super().__init__(name=getattr(fn, "__name__", "loss"))
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def loss_object(identifier):
    loss = losses_module.get(identifier)
    return loss if isinstance(loss, losses_module.Loss) else _FunctionLoss(loss)


def loss_function(loss):
    """The per-sample function behind a Loss object (used to recognise sparse/binary losses)."""
    return getattr(loss, "fn", None) or type(loss).function


def per_output(value, output_names, what):
    """`value` given once, as a list or as a dict, spread into one entry per output."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = set(value) - set(output_names)
        if unknown:
            raise ValueError(f"{what} names unknown outputs {sorted(unknown)}; the outputs are {output_names}")
        return [value.get(name) for name in output_names]
    if what == "metrics" and isinstance(value, (list, tuple)) and n > 1 and value and \
            all(isinstance(v, (list, tuple)) for v in value):
        if len(value) != n:
            raise ValueError(f"metrics has {len(value)} lists for {n} outputs")
        return [list(v) for v in value]
    if what in ("loss", "loss_weights") and isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{what} has {len(value)} entries for a model with {n} outputs")
        return list(value)
    return [value] * n


class CompiledLoss:
    """The weighted sum of each output's loss."""

    def __init__(self, loss, loss_weights, output_names):
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='mse'")
        self.output_names = output_names
        self.losses = [None if l is None else loss_object(l) for l in per_output(loss, output_names, "loss")]
        weights = per_output(loss_weights, output_names, "loss_weights") if loss_weights is not None \
            else [1.0] * len(output_names)
        self.weights = [1.0 if w is None else float(w) for w in weights]
        if all(l is None for l in self.losses):
            raise ValueError("compile needs a loss for at least one output")

    def __call__(self, y_true, y_pred, sample_weights):
        """(total, [per-output loss or None])."""
        total, parts = None, []
        for loss, weight, t, p, w in zip(self.losses, self.weights, y_true, y_pred, sample_weights):
            if loss is None or t is None:
                parts.append(None)
                continue
            value = loss(t, p, sample_weight=w)
            parts.append(value)
            term = value * weight if weight != 1.0 else value
            total = term if total is None else total + term
        if total is None:
            raise ValueError("no targets were given for the outputs that have a loss")
        return total, parts

    def sparse_outputs(self):
        """Positions of outputs trained with sparse categorical cross-entropy (integer labels)."""
        return [i for i, l in enumerate(self.losses)
                if l is not None and loss_function(l) is losses_module.sparse_categorical_crossentropy]


def resolve_accuracy(name, loss, y_true_shape, y_pred_shape):
    """binary / sparse_categorical / categorical accuracy for the string 'accuracy' (as Keras picks)."""
    from layered import metrics
    fn = loss_function(loss) if loss is not None else None
    if y_pred_shape[-1] == 1 or fn is losses_module.binary_crossentropy:
        return metrics.BinaryAccuracy(name=name)
    sparse = fn is losses_module.sparse_categorical_crossentropy or len(y_true_shape) < len(y_pred_shape) or \
        (len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1] == 1)
    return metrics.SparseCategoricalAccuracy(name=name) if sparse else metrics.CategoricalAccuracy(name=name)


class CompiledMetrics:
    """The metric objects of every output, created from the compile arguments on the first batch."""

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = output_names
        self.specs = per_output(metrics or [], output_names, "metrics")
        self.weighted_specs = per_output(weighted_metrics or [], output_names, "metrics")
        self.built = False
        self.entries = []  # (output index, metric, weighted)

    def build(self, compiled_loss, y_true_shapes, y_pred_shapes):
        multi = len(self.output_names) > 1
        for weighted, specs in ((False, self.specs), (True, self.weighted_specs)):
            for i, spec in enumerate(specs):
                for identifier in ([] if spec is None else spec if isinstance(spec, (list, tuple)) else [spec]):
                    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
                        metric = resolve_accuracy(identifier, compiled_loss.losses[i], y_true_shapes[i],
                                                  y_pred_shapes[i])
                    else:
                        from layered import metrics as metrics_module
                        metric = metrics_module.get(identifier)
                        if any(m is metric for _, m, _ in self.entries):
                            raise ValueError(f"metric object '{metric.name}' is used for two outputs; give each "
                                             "output its own instance")
                    if multi:
                        metric.name = f"{self.output_names[i]}_{metric.name}"
                    metric.name = self._unique_name(metric.name, weighted)
                    self.entries.append((i, metric, weighted))
        self.built = True

    def _unique_name(self, name, weighted):
        """Keras's log names: a weighted twin of a metric is `weighted_<name>`, a repeat `<name>_1`."""
        taken = {m.name for _, m, _ in self.entries}
        if weighted and name in taken:
            name = f"weighted_{name}"
        base, count = name, 0
        while name in taken:
            count += 1
            name = f"{base}_{count}"
        return name

    @property
    def metrics(self):
        return [m for _, m, _ in self.entries]

    def update_graph(self, y_true, y_pred, sample_weights):
        updates = []
        for i, metric, weighted in self.entries:
            if y_true[i] is None:
                continue
            updates.extend(metric.update_graph(y_true[i], y_pred[i], sample_weights[i] if weighted else None))
        return updates
