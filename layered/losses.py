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
    return same_rank(b.as_tensor(y_true, y_pred.dtype), y_pred), y_pred


def same_rank(y_true, y_pred):
    """Labels of shape (n,) against predictions (n, 1), or the reverse, get the predictions' rank
    (a trailing unit axis is added or removed), as Keras aligns them; never broadcast (n,) x (n, 1)."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return ops.expand_dims(y_true, -1)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return ops.squeeze(y_true, -1)
    return y_true


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

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Loss:
    """A loss function with its arguments, reducing per-sample values to a scalar.

    `reduction`: 'sum_over_batch_size' (default) and 'mean' divide the weighted sum by the
    number of values; 'sum' keeps the sum; 'mean_with_sample_weight' divides by the sum of
    the weights; 'none' returns the per-sample values.

    Example:
        loss = layered.losses.MeanSquaredError()
        value = loss(y_true, y_pred, sample_weight=w)
    """

    function = None

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None, **kwargs):
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction '{reduction}'; use one of {', '.join(map(str, REDUCTIONS))}")
        self.reduction = reduction
        self.name = name or _snake_case(type(self).__name__)
        self.dtype = dtype
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
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            return ops.sum(values) / ops.maximum(ops.sum(b.broadcast_to(weights, values.shape, like=values)), EPSILON)
        return ops.mean(values)  # the weighted sum over the number of values

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **self.kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _snake_case(name):
    import re
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _loss_class(class_name, function, default_name, options=(), keyword_options=()):
    """A Loss class whose constructor takes `options` (name, default) first, positionally,
    then reduction, name and dtype, as Keras 3 orders them."""
    positional = [name for name, _ in options] + ["reduction", "name", "dtype"]
    defaults = dict(options) | dict(keyword_options)

    def __init__(self, *args, **kwargs):
        if len(args) > len(positional):
            raise TypeError(f"{class_name} takes at most {len(positional)} positional arguments")
        given = dict(zip(positional, args))
        duplicate = set(given) & set(kwargs)
        if duplicate:
            raise TypeError(f"{class_name} got multiple values for {sorted(duplicate)}")
        given.update(kwargs)
        unknown = set(given) - set(positional) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name} got unexpected arguments {sorted(unknown)}")
        options_given = {k: given.pop(k, v) for k, v in defaults.items()}
        if options_given.get("ignore_class") is not None:
            raise NotImplementedError(f"{class_name}: ignore_class is not supported yet")
        options_given.pop("ignore_class", None)
        Loss.__init__(self, given.get("name") or default_name, given.get("reduction", "sum_over_batch_size"),
                      given.get("dtype"), **options_given)
    return type(class_name, (Loss,), {"__init__": __init__, "function": staticmethod(function),
                                      "__doc__": f"The `{function.__name__}` loss as an object."})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                          "mean_squared_logarithmic_error")
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                 [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", categorical_crossentropy,
                                      "categorical_crossentropy",
                                      [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
SparseCategoricalCrossentropy = _loss_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                            "sparse_categorical_crossentropy",
                                            [("from_logits", False), ("ignore_class", None)], [("axis", -1)])
Huber = _loss_class("Huber", huber, "huber_loss", [("delta", 1.0)])
Hinge = _loss_class("Hinge", hinge, "hinge")
KLDivergence = _loss_class("KLDivergence", kl_divergence, "kl_divergence")
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "cosine_similarity", [("axis", -1)])


def get(identifier):
    """A loss callable from a name, a Loss object or class, or a function."""
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    return lookup(LOSS_FUNCTIONS, identifier, "loss")
