"""Confusion-matrix metrics: counts per threshold, precision, recall and AUC.

The state is one (weighted) count per threshold of true/false positives/negatives. A batch
adds to them through one broadcast comparison of the predictions against a constant vector
of thresholds (`y_pred > threshold` is a positive prediction; a non-zero label is a
positive label). Ratios and areas are computed on the host from the counts.
"""
import numpy as np

from layered import ops
from layered.graph import build as b
from layered.metrics.base import Metric, as_result, broadcast_weights, divide_no_nan, match_ranks

EPSILON = 1e-7  # puts the outer AUC thresholds just outside [0, 1]
NEG_INF = -1e10  # the score given to classes outside the top k, and the default threshold then

COUNTS = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives", "fn": "false_negatives"}


def _threshold_list(thresholds, default):
    if thresholds is None:
        return [default]
    values = [float(t) for t in np.atleast_1d(thresholds)]
    if any(not 0.0 <= t <= 1.0 for t in values):
        raise ValueError(f"thresholds must lie in [0, 1], got {values}")
    return values


def top_k_mask(x, k):
    """True for the `k` highest entries of the last axis (on ties, the lower index wins)."""
    classes = x.shape[-1]
    mine, other = ops.expand_dims(x, -1), ops.expand_dims(x, -2)  # entry i against entry j
    earlier = np.tril(np.ones((classes, classes), bool), -1)  # [i, j]: j comes before i
    beaten_by = ops.logical_or(other > mine, ops.logical_and(ops.equal(other, mine), earlier))
    return ops.sum(b.cast(beaten_by, "int32"), axis=-1) < k


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, which=tuple(COUNTS), dtype="float32",
                     multi_label=False, label_weights=None, top_k=None, class_id=None):
    """Weighted confusion counts per threshold, as graph tensors: {'tp': ..., 'fp': ..., ...}.

    Every element of `y_pred` is one prediction. Each count has shape (thresholds,), or
    (thresholds, labels) with `multi_label` (the last axis is kept apart). `label_weights`
    weigh the last axis's elements; `top_k` keeps only the k highest scores of each sample
    and `class_id` only one class, before thresholding.
    """
    y_pred = b.cast(y_pred, dtype)
    label_is_pos = ops.not_equal(b.cast(y_true, dtype), 0.0)
    label_is_pos, y_pred = match_ranks(label_is_pos, y_pred)
    weights = None if sample_weight is None else broadcast_weights(sample_weight, y_pred)
    if top_k is not None:
        y_pred = ops.where(top_k_mask(y_pred, top_k), y_pred, NEG_INF)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(f"class_id needs predictions with a class axis, got shape {y_pred.shape}")
        # (An explicit key: build.getitem pads one index too many after an Ellipsis.)
        key = (slice(None),) * (y_pred.ndim - 1) + (class_id,)
        y_pred, label_is_pos = y_pred[key], label_is_pos[key]
        weights = None if weights is None else weights[key]

    # Lay every input out as (1, predictions, labels) against thresholds of shape (T, 1, 1).
    labels = y_pred.shape[-1] if y_pred.ndim >= 2 else 1

    def layout(x):
        return ops.expand_dims(b.reshape(x, (-1, labels)), 0)

    if label_weights is not None:
        per_label = b.as_tensor(np.asarray(label_weights, dtype))
        weights = per_label if weights is None else weights * per_label
        weights = b.broadcast_to(weights, y_pred.shape, like=y_pred)
    pred_is_pos = layout(y_pred) > b.as_tensor(np.asarray(thresholds, dtype).reshape(-1, 1, 1))
    label_is_pos = layout(label_is_pos)
    weights = None if weights is None else layout(weights)

    def count(label, pred):
        hits = b.cast(ops.logical_and(label, pred), dtype)
        if weights is not None:
            hits = hits * weights
        per_label = ops.sum(hits, axis=1)  # (T, labels)
        return per_label if multi_label else ops.sum(per_label, axis=-1)

    pred_is_neg, label_is_neg = ops.logical_not(pred_is_pos), ops.logical_not(label_is_pos)
    pairs = {"tp": (label_is_pos, pred_is_pos), "fp": (label_is_neg, pred_is_pos),
             "tn": (label_is_neg, pred_is_neg), "fn": (label_is_pos, pred_is_neg)}
    return {key: count(*pairs[key]) for key in which}


class _ConfusionMetric(Metric):
    """Counts of `self.counts` (keys of COUNTS) per threshold, updated from one comparison."""

    counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _threshold_list(thresholds, 0.5 if top_k is None else NEG_INF)
        for key in self.counts:
            setattr(self, COUNTS[key], self.add_variable((len(self.thresholds),), "zeros", name=COUNTS[key]))

    def update_graph(self, y_true, y_pred, sample_weight=None):
        new = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self.counts, self.dtype,
                               top_k=self.top_k, class_id=self.class_id)
        return [(getattr(self, COUNTS[k]), getattr(self, COUNTS[k]) + new[k]) for k in self.counts]

    def _values(self):
        return [getattr(self, COUNTS[k]).numpy().astype(np.float64) for k in self.counts]

    def _per_threshold(self, values):
        """One threshold gives a scalar, several an array (one value per threshold)."""
        return as_result(values[0] if len(self.thresholds) == 1 else values, self.dtype)


class _Count(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        return self._per_threshold(self._values()[0])

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_Count):
    """The weighted count of true positives (`y_pred > threshold` and a non-zero label).

    Example:
        m = layered.metrics.TruePositives(thresholds=[0.3, 0.7])
        m.update_state([0, 1, 1], [0.9, 0.5, 0.8]); m.result()  # [2., 1.]
    """

    counts = ("tp",)


class FalsePositives(_Count):
    """The weighted count of false positives.

    Example:
        m = layered.metrics.FalsePositives()
        m.update_state([0, 1, 0], [0.9, 0.5, 0.8]); m.result()  # 2.0
    """

    counts = ("fp",)


class TrueNegatives(_Count):
    """The weighted count of true negatives.

    Example:
        m = layered.metrics.TrueNegatives()
        m.update_state([0, 1, 0], [0.1, 0.5, 0.8]); m.result()  # 1.0
    """

    counts = ("tn",)


class FalseNegatives(_Count):
    """The weighted count of false negatives.

    Example:
        m = layered.metrics.FalseNegatives()
        m.update_state([0, 1, 1], [0.1, 0.5, 0.2]); m.result()  # 1.0
    """

    counts = ("fn",)


class Precision(_ConfusionMetric):
    """true_positives / (true_positives + false_positives), per threshold (0 when undefined).

    Args:
        thresholds: a float or a list of floats in [0, 1]; the result has one value per
            threshold (a scalar for one). Default 0.5, or no threshold with `top_k`.
        top_k: count only the k highest predictions of each sample (ties: lower index first).
        class_id: count only this class (an index into the last axis).

    Example:
        m = layered.metrics.Precision()
        m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()  # 0.6667
    """

    counts = ("tp", "fp")

    def result(self):
        tp, fp = self._values()
        return self._per_threshold(divide_no_nan(tp, tp + fp))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Recall(_ConfusionMetric):
    """true_positives / (true_positives + false_negatives), per threshold (0 when undefined).

    Arguments as for `Precision`.

    Example:
        m = layered.metrics.Recall()
        m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()  # 0.6667
    """

    counts = ("tp", "fn")

    def result(self):
        tp, fn = self._values()
        return self._per_threshold(divide_no_nan(tp, tp + fn))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class _AtConstraint(_ConfusionMetric):
    """The best value of one rate among the thresholds where another rate reaches `value`.

    The thresholds are `num_thresholds` evenly spaced points from 0 to 1 (0.5 alone when
    num_thresholds is 1); a prediction is positive when `y_pred > threshold`. Subclasses
    name the constrained and the maximised rate; the result is 0 when no threshold qualifies.
    """

    counts = ("tp", "fp", "tn", "fn")
    constraint = ""  # the constructor argument that holds `value`

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{self.constraint} must lie in [0, 1], got {value}")
        if num_thresholds <= 0:
            raise ValueError(f"num_thresholds must be an integer > 0, got {num_thresholds}")
        if num_thresholds == 1:
            thresholds = [0.5]
        else:
            thresholds = [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
        super().__init__(thresholds, class_id=class_id, name=name, dtype=dtype)
        self.value, self.num_thresholds = value, num_thresholds

    def _rates(self):
        tp, fp, tn, fn = self._values()
        return {"sensitivity": divide_no_nan(tp, tp + fn), "recall": divide_no_nan(tp, tp + fn),
                "specificity": divide_no_nan(tn, tn + fp), "precision": divide_no_nan(tp, tp + fp)}

    def _best(self, constrained, maximised):
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return as_result(np.max(np.where(feasible, rates[maximised], 0.0), initial=0.0), self.dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self.constraint: self.value}


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among the thresholds whose specificity is at least `specificity`.

    Example:
        m = layered.metrics.SensitivityAtSpecificity(0.5)
        m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); m.result()  # 0.5
    """

    constraint = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among the thresholds whose sensitivity is at least `sensitivity`.

    Example:
        m = layered.metrics.SpecificityAtSensitivity(0.5)
        m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); m.result()  # 0.6667
    """

    constraint = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_AtConstraint):
    """The best precision among the thresholds whose recall is at least `recall`.

    Example:
        m = layered.metrics.PrecisionAtRecall(0.5)
        m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); m.result()  # 0.5
    """

    constraint = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("recall", "precision")


class RecallAtPrecision(_AtConstraint):
    """The best recall among the thresholds whose precision is at least `precision`.

    Example:
        m = layered.metrics.RecallAtPrecision(0.8)
        m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); m.result()  # 0.5
    """

    constraint = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("precision", "recall")
