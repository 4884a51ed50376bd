"""Accuracy metrics: per-sample match functions and the Mean-of-matches classes around them.

Each function returns 1.0 where a sample (or element) is right and 0.0 where it is wrong;
the classes average those with optional sample weights.
"""
import numpy as np

from layered import ops
from layered.graph import build as b
from layered.graph.core import floatx, is_float
from layered.metrics.base import MeanMetricWrapper, match_ranks, wrapper_class


def _as_float(mask):
    return b.cast(mask, floatx())


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly, elementwise."""
    y_pred = b.as_tensor(y_pred)
    y_true, y_pred = match_ranks(b.as_tensor(y_true, y_pred.dtype), y_pred)
    return _as_float(ops.equal(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `y_pred > threshold` agrees with the 0/1 label, elementwise."""
    y_pred = b.as_tensor(y_pred)
    y_true, y_pred = match_ranks(b.as_tensor(y_true, floatx()), y_pred)
    return _as_float(ops.equal(y_true, _as_float(y_pred > threshold)))


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of one-hot `y_true` equals the argmax of `y_pred` (first index on ties)."""
    return _as_float(ops.equal(ops.argmax(y_true, -1), ops.argmax(y_pred, -1)))


def _sparse_labels(y_true, y_pred):
    """Integer-valued labels of shape (n,) from labels of shape (n,) or (n, 1)."""
    y_true = b.as_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label (shape (n,) or (n, 1), int or float) is the argmax of `y_pred`."""
    y_pred = b.as_tensor(y_pred)
    y_true = _sparse_labels(y_true, y_pred)
    # Compared as floats, as Keras does: a float label 2.5 matches no class.
    return _as_float(ops.equal(b.cast(y_true, floatx()), _as_float(ops.argmax(y_pred, -1))))


def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest of `predictions` (last axis).

    A class is in the top k when fewer than k classes score strictly higher than it.
    So classes tied with the k-th score all count as in the top k (the rule of
    `tf.math.in_top_k`), and the result never depends on the order of tied classes.
    Computed with a broadcast comparison, without sorting.
    """
    predictions = b.as_tensor(predictions)
    if not is_float(predictions.dtype):  # integer scores: -inf below needs a float
        predictions = b.cast(predictions, floatx())
    classes = predictions.shape[-1]
    is_target = ops.one_hot(b.cast(targets, "int32"), classes, "float32") > 0.5
    target_score = ops.max(ops.where(is_target, predictions, -np.inf), axis=-1, keepdims=True)
    higher = ops.sum(b.cast(predictions > target_score, "int32"), axis=-1)
    return higher < k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the argmax of one-hot `y_true` is in the top `k` of `y_pred` (ties: see in_top_k)."""
    return _as_float(in_top_k(ops.argmax(y_true, -1), y_pred, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is in the top `k` of `y_pred` (ties: see in_top_k).

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted from the highest score
    down (shape (n, N), N >= k) and the label is looked up among the first k of them.
    """
    y_pred = b.as_tensor(y_pred)
    y_true = _sparse_labels(y_true, y_pred)
    if from_sorted_ids:
        first_k = y_pred[(slice(None),) * (y_pred.ndim - 1) + (slice(0, k),)]
        hits = ops.equal(b.cast(first_k, "int32"), ops.expand_dims(b.cast(y_true, "int32"), -1))
        return ops.max(_as_float(hits), axis=-1)
    return _as_float(in_top_k(y_true, y_pred, k))


Accuracy = wrapper_class(
    "Accuracy", accuracy, "accuracy",
    """How often predictions equal labels exactly (`layered.metrics.accuracy`, averaged).

    Example:
        m = layered.metrics.Accuracy()
        m.update_state([1, 2, 3], [1, 2, 0]); m.result()  # 0.6667
    """)
BinaryAccuracy = wrapper_class(
    "BinaryAccuracy", binary_accuracy, "binary_accuracy",
    """How often `y_pred > threshold` matches the 0/1 labels.

    Example:
        m = layered.metrics.BinaryAccuracy(threshold=0.5)
        m.update_state([[1], [0]], [[0.9], [0.7]]); m.result()  # 0.5
    """, threshold=0.5)
CategoricalAccuracy = wrapper_class(
    "CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
    """How often the argmax of the predictions matches that of one-hot labels.

    Example:
        m = layered.metrics.CategoricalAccuracy()
        m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]); m.result()  # 0.5
    """)
SparseCategoricalAccuracy = wrapper_class(
    "SparseCategoricalAccuracy", sparse_categorical_accuracy, "sparse_categorical_accuracy",
    """How often the argmax of the predictions matches integer labels.

    Example:
        m = layered.metrics.SparseCategoricalAccuracy()
        m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]]); m.result()  # 0.5
    """)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the class of one-hot labels is among the `k` highest predictions.

    Example:
        m = layered.metrics.TopKCategoricalAccuracy(k=2)
        m.update_state([[0, 0, 1]], [[0.5, 0.3, 0.2]]); m.result()  # 0.0
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often integer labels are among the `k` highest predictions.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by decreasing score.

    Example:
        m = layered.metrics.SparseTopKCategoricalAccuracy(k=2)
        m.update_state([2], [[0.5, 0.3, 0.2]]); m.result()  # 0.0
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k, self.from_sorted_ids = k, from_sorted_ids

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k, "from_sorted_ids": self.from_sorted_ids}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
