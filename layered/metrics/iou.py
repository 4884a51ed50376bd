"""Intersection-over-union metrics from a streaming (classes x classes) confusion matrix.

The state is one matrix of (weighted) counts, rows the true classes and columns the
predicted ones, built in the graph as one_hot(true)^T @ (weights * one_hot(pred)). The
IoU of class c is cm[c, c] / (row c + column c - cm[c, c]), computed on the host.
"""
import numpy as np

from layered import ops
from layered.graph import build as b
from layered.metrics.base import Metric, as_result

EPSILON = 1e-7


def confusion_matrix(y_true, y_pred, num_classes, weights, dtype):
    """The (num_classes, num_classes) weighted counts of (true, predicted) class pairs, as `dtype`."""
    true = ops.one_hot(y_true, num_classes, "float32")
    pred = ops.one_hot(y_pred, num_classes, "float32") * ops.expand_dims(b.cast(weights, "float32"), -1)
    return b.cast(ops.matmul(ops.transpose(true), pred), dtype)


class IoU(Metric):
    """The mean intersection-over-union of the classes `target_class_ids`.

    Labels and predictions are class ids of any shape (flattened), or one-hot / scores
    along `axis` when `sparse_y_true` / `sparse_y_pred` is False (their argmax is taken).
    Ids outside [0, num_classes) and the label `ignore_class` are not counted. Classes that
    never occur (an empty union) are left out of the mean. The state has the metric's
    dtype, int32 by default as in Keras, so fractional sample weights are truncated.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoU is averaged.
        ignore_class: a label id whose samples are skipped (None: none).

    Example:
        m = layered.metrics.IoU(num_classes=2, target_class_ids=[0])
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); m.result()  # 0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        target_class_ids = [int(c) for c in target_class_ids]
        if not target_class_ids or max(target_class_ids) >= num_classes or min(target_class_ids) < 0:
            raise ValueError(f"target_class_ids {target_class_ids} must lie in [0, {num_classes})")
        self.num_classes, self.target_class_ids = int(num_classes), target_class_ids
        self.ignore_class, self.sparse_y_true, self.sparse_y_pred, self.axis = \
            ignore_class, sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable((self.num_classes, self.num_classes), "zeros",
                                          name="total_confusion_matrix")

    def _class_ids(self, y_true, y_pred):
        y_true, y_pred = b.as_tensor(y_true), b.as_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = ops.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(y_pred, axis=self.axis)
        return y_true, y_pred

    def update_graph(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._class_ids(y_true, y_pred)
        y_true = ops.reshape(b.cast(y_true, "int32"), (-1,))
        y_pred = ops.reshape(b.cast(y_pred, "int32"), (-1,))
        if sample_weight is None:
            weights = ops.ones_like(y_true)
        else:  # weights take the metric's dtype first (int32 truncates them, as in Keras)
            weights = b.cast(b.as_tensor(sample_weight), self.dtype)
            weights = b.broadcast_to(ops.reshape(weights, (-1,)) if weights.ndim > 1 else weights,
                                     y_true.shape, like=y_true)
        n = self.num_classes
        valid = ops.logical_and(ops.logical_and(y_true >= 0, y_true < n), ops.logical_and(y_pred >= 0, y_pred < n))
        if self.ignore_class is not None:
            valid = ops.logical_and(valid, ops.not_equal(y_true, int(self.ignore_class)))
        weights = ops.where(valid, b.cast(weights, "float32"), 0.0)
        y_true, y_pred = ops.where(valid, y_true, 0), ops.where(valid, y_pred, 0)
        return [(self.total_cm, self.total_cm + confusion_matrix(y_true, y_pred, n, weights, self.dtype))]

    def result(self):
        cm = self.total_cm.numpy().astype(np.float64)
        true_positives = np.diag(cm)
        union = cm.sum(axis=0) + cm.sum(axis=1) - true_positives
        true_positives, union = true_positives[self.target_class_ids], union[self.target_class_ids]
        valid = union > 1e-9
        iou = np.where(valid, true_positives / (union + EPSILON), 0.0)
        return as_result(np.sum(iou) / (np.sum(valid) + EPSILON), "float32")

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary labels against predictions thresholded at `threshold` (`y_pred >= threshold` is 1).

    Example:
        m = layered.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
        m.update_state([0, 1, 1], [0.2, 0.6, 0.4]); m.result()  # 0.5
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def _class_ids(self, y_true, y_pred):
        return b.as_tensor(y_true), b.cast(b.cast(b.as_tensor(y_pred), "float32") >= self.threshold, "int32")

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over every class.

    Example:
        m = layered.metrics.MeanIoU(num_classes=2)
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); m.result()  # 0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """IoU of one-hot labels against scores (or class ids with `sparse_y_pred=True`).

    Example:
        m = layered.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        m.update_state(one_hot_labels, probabilities); m.result()
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """IoU of one-hot labels against scores, averaged over every class.

    Example:
        m = layered.metrics.OneHotMeanIoU(num_classes=3)
        m.update_state(one_hot_labels, probabilities); m.result()
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
