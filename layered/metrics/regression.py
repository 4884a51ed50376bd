"""Errors and losses as metrics: weighted means of the per-sample functions of `layered.losses`."""
import numpy as np

from layered import losses, ops
from layered.graph import build as b
from layered.metrics.base import Mean, as_result, divide_no_nan, wrapper_class


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between `y_true` and `y_pred` along `axis` (the loss's negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


MeanSquaredError = wrapper_class(
    "MeanSquaredError", losses.mean_squared_error, "mean_squared_error",
    """The mean of the squared errors, per sample then over samples.

    Example:
        m = layered.metrics.MeanSquaredError()
        m.update_state([[0.0, 1.0]], [[1.0, 1.0]]); m.result()  # 0.5
    """)
MeanAbsoluteError = wrapper_class(
    "MeanAbsoluteError", losses.mean_absolute_error, "mean_absolute_error",
    """The mean of the absolute errors, per sample then over samples.

    Example:
        m = layered.metrics.MeanAbsoluteError()
        m.update_state([[0.0, 1.0]], [[2.0, 1.0]]); m.result()  # 1.0
    """)
MeanSquaredLogarithmicError = wrapper_class(
    "MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
    """The mean of `(log1p(y_pred) - log1p(y_true)) ** 2`.

    Example:
        m = layered.metrics.MeanSquaredLogarithmicError()
        m.update_state(y_true, y_pred); m.result()
    """)
BinaryCrossentropy = wrapper_class(
    "BinaryCrossentropy", losses.binary_crossentropy, "binary_crossentropy",
    """The mean binary cross-entropy (see `layered.losses.binary_crossentropy`).

    Example:
        m = layered.metrics.BinaryCrossentropy(from_logits=True)
        m.update_state(labels, logits); m.result()
    """, from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = wrapper_class(
    "CategoricalCrossentropy", losses.categorical_crossentropy, "categorical_crossentropy",
    """The mean categorical cross-entropy against one-hot labels.

    Example:
        m = layered.metrics.CategoricalCrossentropy()
        m.update_state(one_hot_labels, probabilities); m.result()
    """, from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = wrapper_class(
    "SparseCategoricalCrossentropy", losses.sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
    """The mean categorical cross-entropy against integer labels.

    Example:
        m = layered.metrics.SparseCategoricalCrossentropy(from_logits=True)
        m.update_state(labels, logits); m.result()
    """, from_logits=False, axis=-1)
KLDivergence = wrapper_class(
    "KLDivergence", losses.kl_divergence, "kl_divergence",
    """The mean Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))`.

    Example:
        m = layered.metrics.KLDivergence()
        m.update_state(target_distributions, predicted_distributions); m.result()
    """)
Hinge = wrapper_class(
    "Hinge", losses.hinge, "hinge",
    """The mean hinge loss `max(1 - y_true * y_pred, 0)` (0/1 labels are mapped to -1/1).

    Example:
        m = layered.metrics.Hinge()
        m.update_state(labels, scores); m.result()
    """)
CosineSimilarity = wrapper_class(
    "CosineSimilarity", cosine_similarity, "cosine_similarity",
    """The mean cosine similarity between labels and predictions (1 when they align).

    Example:
        m = layered.metrics.CosineSimilarity(axis=-1)
        m.update_state([[0.0, 1.0]], [[1.0, 1.0]]); m.result()  # 0.7071
    """, axis=-1)


class RootMeanSquaredError(Mean):
    """The square root of the weighted mean of the squared errors.

    Example:
        m = layered.metrics.RootMeanSquaredError()
        m.update_state([[0.0, 2.0]], [[1.0, 1.0]]); m.result()  # 1.0
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_graph(self, y_true, y_pred, sample_weight=None):
        y_pred = b.as_tensor(y_pred)
        y_true = b.as_tensor(y_true, y_pred.dtype)
        return super().update_graph(ops.square(y_pred - y_true), sample_weight)

    def result(self):
        return as_result(np.sqrt(divide_no_nan(self.total.numpy(), self.count.numpy())), self.dtype)
