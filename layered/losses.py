"""Losses by Keras 3 name: per-sample functions, classes with reduction and sample weights.

A loss function maps `(y_true, y_pred)` to one value per sample (the last axis is
reduced); a `Loss` object reduces those with optional sample weights.
"""
import numpy as np

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


def _hinge_labels(y_true):
    """Labels given as 0/1 mapped to -1/1 (only when every label is 0 or 1, as in Keras)."""
    binary = ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0))
    all_binary = ops.min(ops.where(binary, ops.ones_like(y_true), ops.zeros_like(y_true))) > 0.0
    return ops.where(all_binary, y_true * 2.0 - 1.0, y_true)


def hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0) ** 2) over the last axis (0/1 labels become -1/1)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.square(ops.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(0, 1 + max over wrong classes of y_pred - the score of the true class), one-hot labels."""
    y_true, y_pred = _prepare(y_true, y_pred)
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(negative - positive + 1.0, 0.0)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    ratio = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), EPSILON))
    return 100.0 * ops.mean(ratio, axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))) over the last axis, as x + softplus(-2x) - log 2 (no overflow)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(-2.0 * x) - float(np.log(2.0)), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon)) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + EPSILON), axis=-1)


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


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by (1 - p_t) ** gamma, p_t the probability of the true label.

    With `apply_class_balancing`, positives are weighted by `alpha` and negatives by 1 - alpha.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """sum(-alpha * (1 - p) ** gamma * y_true * log(p)) over classes, p the normalised, clipped predictions."""
    if isinstance(axis, bool):
        raise ValueError(f"axis must be an int, got {axis!r}")
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    p = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON)
    focal = alpha * ops.power(1.0 - p, gamma) * (-y_true * ops.log(p))
    return ops.sum(focal, axis=axis)


def dice(y_true, y_pred, axis=None):
    """1 - 2 sum(y_true * y_pred) / (sum(y_true) + sum(y_pred)), summed over `axis` (every axis when None)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    return 1.0 - 2.0 * intersection / (ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - TP / (TP + alpha FP + beta FN), soft counts summed over `axis` (every axis when None).

    As in Keras, FP counts labels the prediction misses, sum(y_true * (1 - y_pred)), and FN
    predictions without a label, sum(y_pred * (1 - y_true)).
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    fp = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - intersection / (intersection + alpha * fp + beta * fn + EPSILON)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """(1 - p ** q) / q, p the predicted probability of the integer label (robust to noisy labels)."""
    y_pred = b.as_tensor(y_pred)
    y_true = b.as_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:  # labels of shape (batch, 1)
        y_true = ops.squeeze(y_true, -1)
    p = ops.sum(y_pred * ops.one_hot(b.cast(y_true, "int32"), y_pred.shape[-1], y_pred.dtype), axis=-1)
    return (1.0 - ops.power(p, q)) / q


def _positions(x):
    """0, 1, ..., n - 1 along the first axis of `x`, also when n is known only at run time."""
    if x.shape[0] is not None:
        return b.as_tensor(np.arange(x.shape[0], dtype=np.int32))
    _, position = ops.scan(lambda count, _: (count + 1, count), np.int32(0), x)
    return position


MASKED = -1e30  # the logit of an excluded pair: exp underflows to 0, and nothing overflows


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """The Circle loss of Sun et al. (2020) over the pairs of L2-normalised embeddings in `y_pred`.

    Pairs with equal integer labels are positives (minus each sample with itself when
    `remove_diagonal`), the others negatives; each sample's loss is
    softplus(logsumexp(positive logits) + logsumexp(negative logits)), and 0 for a sample
    without positives or without negatives. The `Circle` object averages over the others.
    """
    y_pred = b.as_tensor(y_pred)
    labels = b.cast(b.as_tensor(y_true), "int32")
    references = y_pred if ref_embeddings is None else b.as_tensor(ref_embeddings, y_pred.dtype)
    ref = labels if ref_labels is None else b.cast(b.as_tensor(ref_labels), "int32")
    if labels.ndim == 1:
        labels = ops.expand_dims(labels, 1)  # a column: the query samples
    ref = ops.expand_dims(ref, 0) if ref.ndim == 1 else ops.transpose(ref)  # a row: the references
    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(references)), 0.0)
    positive = ops.equal(labels, ref)
    negative = ops.logical_not(positive)
    if remove_diagonal:
        rows, cols = _positions(labels), _positions(ops.stop_gradient(references))
        positive = ops.logical_and(positive, ops.not_equal(ops.expand_dims(rows, 1), ops.expand_dims(cols, 0)))
    positive_f, negative_f = b.cast(positive, y_pred.dtype), b.cast(negative, y_pred.dtype)
    positive_weights = ops.maximum((margin + distances) * positive_f, 0.0)
    negative_weights = ops.maximum((1.0 + margin - distances) * negative_f, 0.0)
    positive_logits = -gamma * positive_weights * (margin - distances)
    negative_logits = gamma * negative_weights * (1.0 - margin - distances)
    p_loss = ops.logsumexp(ops.where(positive, positive_logits, MASKED), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, negative_logits, MASKED), axis=1)
    return ops.softplus(p_loss + n_loss)


def ctc(y_true, y_pred):
    """The connectionist temporal classification loss -log p(labels | logits), one value per sample.

    `y_true` holds integer labels of shape (batch, max_label_length), padded with 0, which is
    also the blank class; `y_pred` holds logits of shape (batch, time, classes) and every
    time step counts. The forward (alpha) recursion over the labels interleaved with
    blanks runs in log space as a scan over time.
    """
    y_pred, y_true = b.as_tensor(y_pred), b.as_tensor(y_true)
    if y_true.ndim != 2:
        raise ValueError(f"ctc expects integer labels of shape (batch_size, max_length), got {y_true.shape}")
    if y_pred.ndim != 3:
        raise ValueError(f"ctc expects logits of shape (batch_size, max_length, num_classes), got {y_pred.shape}")
    labels = b.cast(y_true, "int32")
    states = 2 * labels.shape[1] + 1  # blank, label 1, blank, label 2, ..., blank
    extended = ops.reshape(ops.stack([ops.zeros_like(labels), labels], axis=-1), (-1, states - 1))
    extended = b.concatenate([extended, ops.zeros_like(labels[:, :1])], axis=1)
    # emissions[b, t, s]: the log-probability of state s's class at time t.
    choose = ops.transpose(ops.one_hot(extended, y_pred.shape[-1], y_pred.dtype), (0, 2, 1))
    emissions = ops.matmul(ops.log_softmax(y_pred, axis=-1), choose)
    # A state may skip the blank before it when its label differs from the label two states back.
    two_back = b.concatenate([ops.zeros_like(extended[:, :2]), extended[:, :-2]], axis=1)
    may_skip = ops.logical_and(ops.not_equal(extended, 0), ops.not_equal(extended, two_back))

    def shifted(alpha, by):
        fill = ops.zeros_like(alpha[:, :by]) + MASKED
        return b.concatenate([fill, alpha[:, :-by]], axis=1)

    def step(alpha, emission):
        skip = ops.where(may_skip, shifted(alpha, 2), MASKED)
        paths = ops.stack([alpha, shifted(alpha, 1), skip], axis=-1)
        return ops.logsumexp(paths, axis=-1) + emission, None

    starts = b.as_tensor(np.arange(states) < 2)
    alpha = ops.where(starts, emissions[:, 0, :], MASKED)
    if y_pred.shape[1] is None or y_pred.shape[1] > 1:
        alpha, _ = ops.scan(step, alpha, ops.transpose(emissions[:, 1:, :], (1, 0, 2)))
    # The paths end on the last label or the blank after it.
    ends = ops.expand_dims(2 * ops.sum(b.cast(ops.not_equal(labels, 0), "int32"), axis=1), 1)
    position = b.as_tensor(np.arange(states, dtype=np.int32))
    last = ops.logical_or(ops.equal(position, ends), ops.equal(position, ends - 1))
    return -ops.logsumexp(ops.where(last, alpha, MASKED), axis=1)


LOSS_FUNCTIONS = {  # the names Keras 3 resolves, aliases included
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error, "MSE": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mean_absolute_percentage_error,
    "MAPE": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": mean_squared_logarithmic_error,
    "MSLE": mean_squared_logarithmic_error,
    "binary_crossentropy": binary_crossentropy, "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "huber": huber, "hinge": hinge,
    "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge, "log_cosh": log_cosh,
    "poisson": poisson, "kl_divergence": kl_divergence, "kld": kl_divergence, "KLD": kl_divergence,
    "cosine_similarity": cosine_similarity, "dice": dice, "tversky": tversky, "circle": circle, "ctc": ctc,
}

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _weigh(values, sample_weight):
    """(values * weights, weights), or (values, None) without `sample_weight`."""
    if sample_weight is None:
        return values, None
    weights = b.as_tensor(sample_weight, values.dtype)
    while weights.ndim > values.ndim and weights.shape[-1] == 1:  # (n, 1) weights, (n,) values
        weights = ops.squeeze(weights, -1)
    return values * weights, weights


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
        values, weights = _weigh(self.call(y_true, y_pred), sample_weight)
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


def _loss_class(class_name, function, default_name, options=(), keyword_options=(), positional=None):
    """A Loss class whose constructor takes `options` (name, default) first, positionally,
    then reduction, name and dtype, as Keras 3 orders them (or in the order `positional` gives)."""
    positional = positional or [name for name, _ in options] + ["reduction", "name", "dtype"]
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


MeanAbsolutePercentageError = _loss_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                          "mean_absolute_percentage_error")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
LogCosh = _loss_class("LogCosh", log_cosh, "log_cosh")
Poisson = _loss_class("Poisson", poisson, "poisson")
BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy, "binary_focal_crossentropy",
    [("apply_class_balancing", False), ("alpha", 0.25), ("gamma", 2.0), ("from_logits", False),
     ("label_smoothing", 0.0), ("axis", -1)])
CategoricalFocalCrossentropy = _loss_class(
    "CategoricalFocalCrossentropy", categorical_focal_crossentropy, "categorical_focal_crossentropy",
    [("alpha", 0.25), ("gamma", 2.0), ("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
Dice = _loss_class("Dice", dice, "dice", [("axis", None)], positional=["reduction", "name", "axis", "dtype"])
Tversky = _loss_class("Tversky", tversky, "tversky", [("alpha", 0.5), ("beta", 0.5), ("axis", None)],
                      positional=["alpha", "beta", "reduction", "name", "axis", "dtype"])
_GeneralizedCrossEntropy = _loss_class("CategoricalGeneralizedCrossEntropy", categorical_generalized_cross_entropy,
                                       "categorical_generalized_cross_entropy", [("q", 0.5)])


class CategoricalGeneralizedCrossEntropy(_GeneralizedCrossEntropy):
    """The generalized cross-entropy (1 - p ** q) / q of integer labels, 0 < q < 1.

    Example:
        loss = layered.losses.CategoricalGeneralizedCrossEntropy(q=0.7)
        value = loss([0, 2], probabilities)
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not 0.0 < self.kwargs["q"] < 1.0:
            raise ValueError(f"q must lie in the open interval (0, 1), got {self.kwargs['q']}")


CTC = _loss_class("CTC", ctc, "ctc")
_CircleBase = _loss_class("Circle", circle, "circle", [("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", True)])


class Circle(_CircleBase):
    """The Circle loss over a batch of L2-normalised embeddings (`y_pred`) and integer labels.

    Samples whose loss is 0 (no positive or no negative pair) are left out of the mean, as
    Keras masks them.

    Example:
        loss = layered.losses.Circle(gamma=80.0, margin=0.4)
        value = loss(labels, layered.ops.normalize(embeddings))
    """

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        valid = b.cast(ops.stop_gradient(values) > 0.0, values.dtype)  # Keras masks the zero losses
        values, weights = _weigh(values, sample_weight)
        if self.reduction in ("none", None):
            return values
        if self.reduction == "sum":
            return ops.sum(values)
        if self.reduction == "mean_with_sample_weight" and sample_weight is not None:
            return ops.sum(values) / ops.maximum(ops.sum(b.broadcast_to(weights, values.shape, like=values) * valid),
                                                 EPSILON)
        count = ops.sum(valid)
        return ops.where(count > 0.0, ops.sum(values) / ops.maximum(count, 1.0), 0.0)


CLASSES = {cls.__name__: cls for cls in (
    Loss, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy, Huber, Hinge, SquaredHinge, CategoricalHinge, LogCosh, Poisson, KLDivergence,
    CosineSimilarity, Dice, Tversky, CategoricalGeneralizedCrossEntropy, Circle, CTC)}

FUNCTIONS = {fn.__name__: fn for fn in set(LOSS_FUNCTIONS.values()) | {categorical_generalized_cross_entropy}}


def serialize(loss):
    """A loss as Keras saves it: `{"module", "class_name", "config", "registered_name"}`.

    A Loss object gives its class name and `get_config()`; a function gives class name
    'function' and its name as the config.
    """
    if isinstance(loss, Loss):
        return {"module": "layered.losses", "class_name": type(loss).__name__, "config": loss.get_config(),
                "registered_name": None}
    if callable(loss) and getattr(loss, "__name__", None) in FUNCTIONS:
        return {"module": "builtins", "class_name": "function", "config": loss.__name__, "registered_name": "function"}
    raise ValueError(f"cannot serialize {loss!r}: give a Loss object or a function of layered.losses")


def deserialize(config):
    """A loss from `serialize`'s dict or from a name (a function name, an alias or a class name)."""
    if isinstance(config, str):
        return get(config)
    if config.get("class_name") == "function":
        return lookup(FUNCTIONS, config["config"], "loss function")
    return lookup(CLASSES, config["class_name"], "loss class").from_config(config["config"])


def get(identifier):
    """A loss callable from a name, a Loss object or class, a config dict, or a function.

    A function name or alias ('mse', 'log_cosh', 'mape') gives the function; a class name
    ('LogCosh') a new object of that class. An unknown name raises a ValueError listing the
    valid names and the closest one.

    Example:
        layered.losses.get("poisson")  # layered.losses.poisson
        layered.losses.get("Poisson")  # Poisson()
    """
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in CLASSES and identifier != "Loss":
        return CLASSES[identifier]()
    return lookup(LOSS_FUNCTIONS, identifier, "loss")
