"""Losses by Keras 3 name: per-sample functions, classes with reduction and sample weights.

A loss function maps `(y_true, y_pred)` to one value per sample (the last axis is
reduced); a `Loss` object reduces those with optional sample weights.
"""
from layered import ops
from layered.graph import build as b
from layered.registry import lookup

EPSILON = 1e-7  # Keras's backend epsilon, used to clip probabilities


def _prepare(y_true, y_pred):
    y_pred = b.as_tensor(y_pred)
    return b.as_tensor(y_true, y_pred.dtype), y_pred


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    first = ops.log1p(ops.maximum(y_pred, EPSILON))
    second = ops.log1p(ops.maximum(y_true, EPSILON))
    return ops.mean(ops.square(first - second), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return ops.categorical_crossentropy(y_true, y_pred, from_logits, axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    y_pred = b.as_tensor(y_pred)
    y_true = b.as_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:  # labels of shape (batch, 1)
        y_true = ops.squeeze(y_true, -1)
    return ops.sparse_categorical_crossentropy(b.cast(y_true, "int32"), y_pred, from_logits, axis)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _prepare(y_true, y_pred)
    error = ops.abs(y_pred - y_true)
    quadratic = ops.square(error) * 0.5
    linear = error * delta - 0.5 * delta * delta
    return ops.mean(ops.where(error <= delta, quadratic, linear), axis=-1)


def hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    # Labels given as 0/1 are mapped to -1/1 (only when every label is 0 or 1, as in Keras).
    binary = ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0))
    all_binary = ops.min(ops.where(binary, ops.ones_like(y_true), ops.zeros_like(y_true))) > 0.0
    y_true = ops.where(all_binary, y_true * 2.0 - 1.0, y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def _l2_normalize(x, axis):
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


LOSS_FUNCTIONS = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": mean_squared_logarithmic_error,
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "huber": huber, "hinge": hinge,
    "kl_divergence": kl_divergence, "kld": kl_divergence, "cosine_similarity": cosine_similarity,
}

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


class Loss:
    """A loss function with its arguments, reducing per-sample values to a scalar.

    `reduction`: 'sum_over_batch_size' (default: the weighted sum divided by the number
    of values), 'sum', 'mean' (weighted sum over the sum of weights) or 'none'.

    Example:
        loss = layered.losses.MeanSquaredError()
        value = loss(y_true, y_pred, sample_weight=w)
    """

    function = None

    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction '{reduction}'; use one of {', '.join(map(str, REDUCTIONS))}")
        self.reduction = reduction
        self.name = name or type(self).__name__
        self.kwargs = kwargs

    def call(self, y_true, y_pred):
        return type(self).function(y_true, y_pred, **self.kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        weights = None
        if sample_weight is not None:
            weights = b.as_tensor(sample_weight, values.dtype)
            while weights.ndim > values.ndim:
                weights = ops.squeeze(weights, -1)
            values = values * weights
        if self.reduction in ("none", None):
            return values
        if self.reduction == "sum":
            return ops.sum(values)
        if self.reduction == "mean" and weights is not None:
            return ops.sum(values) / ops.maximum(ops.sum(b.broadcast_to(weights, values.shape, like=values)), EPSILON)
        return ops.mean(values)  # sum_over_batch_size: the weighted sum over the number of values

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **self.kwargs}


def _loss_class(class_name, function, **defaults):
    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name} got unexpected arguments {sorted(unknown)}")
        Loss.__init__(self, reduction, name or function.__name__, **{**defaults, **kwargs})
    return type(class_name, (Loss,), {"__init__": __init__, "function": staticmethod(function),
                                      "__doc__": f"The `{function.__name__}` loss as an object."})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error)
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error)
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error)
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy, from_logits=False,
                                 label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", categorical_crossentropy, from_logits=False,
                                      label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _loss_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                            from_logits=False)
Huber = _loss_class("Huber", huber, delta=1.0)
Hinge = _loss_class("Hinge", hinge)
KLDivergence = _loss_class("KLDivergence", kl_divergence)
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, axis=-1)


def get(identifier):
    """A loss callable from a name, a Loss object or class, or a function."""
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    return lookup(LOSS_FUNCTIONS, identifier, "loss")
