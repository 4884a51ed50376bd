"""AUC: the area under the ROC or precision-recall curve, from confusion counts per threshold."""
import numpy as np

from layered import ops
from layered.metrics.base import Metric, as_result, divide_no_nan
from layered.metrics.confusion import COUNTS, EPSILON, confusion_counts

CURVES = ("ROC", "PR")
SUMMATION_METHODS = ("interpolation", "minoring", "majoring")


def riemann_area(x, y, summation_method):
    """The area under y(x) for points ordered by increasing threshold (x decreasing).

    Each segment's height is the mean of its two ends ('interpolation', the trapezoid
    rule), the lower end ('minoring') or the higher end ('majoring').
    """
    left, right = y[:-1], y[1:]
    heights = {"interpolation": (left + right) / 2.0, "minoring": np.minimum(left, right),
               "majoring": np.maximum(left, right)}[summation_method]
    return np.sum((x[:-1] - x[1:]) * heights, axis=0)


def interpolated_pr_area(tp, fp, fn):
    """The area under the precision-recall curve with Davis & Goadrich's interpolation.

    Between two neighbouring thresholds the true positives grow linearly with the
    predicted positives P: tp = intercept + slope * P. Then precision = tp / P and
    d(recall) = slope * dP / positives, whose integral over the segment is
    slope * (dtp + intercept * log(P_low / P_high)) / positives. A segment that ends with
    no predicted positive is taken with a log term of 0.
    """
    predicted = tp + fp
    d_tp = tp[:-1] - tp[1:]
    d_predicted = predicted[:-1] - predicted[1:]
    slope = divide_no_nan(d_tp, np.maximum(d_predicted, 0.0))
    intercept = tp[1:] - slope * predicted[1:]
    both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
    ratio = np.where(both_positive, divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0.0)), 1.0)
    positives = np.maximum(tp[1:] + fn[1:], 0.0)
    return np.sum(divide_no_nan(slope * (d_tp + intercept * np.log(ratio)), positives), axis=0)


class AUC(Metric):
    """Area under the ROC curve or the precision-recall curve, approximated on thresholds.

    Predictions are counted per threshold (`y_pred > t`, labels non-zero = positive); the
    thresholds are `num_thresholds` points from just below 0 to just above 1, evenly
    spaced between, or 0 - epsilon, the given `thresholds`, 1 + epsilon. The area is
    computed on the host from the counts.

    Args:
        num_thresholds: how many thresholds (at least 2) when `thresholds` is not given.
        curve: 'ROC' (true positive rate over false positive rate) or 'PR' (precision over recall).
        summation_method: 'interpolation' (trapezoids for ROC, Davis & Goadrich for PR),
            'minoring' (lower ends) or 'majoring' (higher ends).
        thresholds: explicit thresholds in [0, 1] (then num_thresholds is len + 2).
        multi_label: one curve per label (the last axis), their AUCs averaged (weighted by
            `label_weights` when given); otherwise every element is one prediction.
        num_labels: the number of labels with `multi_label` (else known at the first update).
        label_weights: per-label weights: of the counts without `multi_label`, of the average with.
        from_logits: apply a sigmoid to `y_pred` first.

    Example:
        m = layered.metrics.AUC()
        m.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]); m.result()  # 0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        if str(curve).upper() not in CURVES:
            raise ValueError(f"unknown curve '{curve}'; use one of {', '.join(CURVES)}")
        if str(summation_method).lower() not in SUMMATION_METHODS:
            raise ValueError(f"unknown summation_method '{summation_method}'; "
                             f"use one of {', '.join(SUMMATION_METHODS)}")
        self.curve, self.summation_method = str(curve).upper(), str(summation_method).lower()
        if thresholds is not None:
            inner = sorted(float(t) for t in np.atleast_1d(thresholds))
            if inner and not 0.0 <= inner[0] <= inner[-1] <= 1.0:
                raise ValueError(f"thresholds must lie in [0, 1], got {inner}")
            self.num_thresholds = len(inner) + 2
            self._explicit_thresholds = inner
        else:
            if num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be at least 2, got {num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._explicit_thresholds = None
        self.thresholds = np.array([0.0 - EPSILON] + inner + [1.0 + EPSILON])
        self.multi_label, self.num_labels, self.from_logits = bool(multi_label), num_labels, bool(from_logits)
        self.label_weights = None if label_weights is None else np.asarray(label_weights, self.dtype)
        if self.label_weights is not None and np.any(self.label_weights < 0):
            raise ValueError(f"label_weights must be non-negative, got {label_weights}")
        self._built = False
        if not self.multi_label or num_labels is not None:
            self._build(num_labels)

    def _build(self, num_labels):
        shape = (self.num_thresholds, num_labels) if self.multi_label else (self.num_thresholds,)
        for attr in COUNTS.values():
            setattr(self, attr, self.add_variable(shape, "zeros", name=attr))
        self.num_labels = num_labels if self.multi_label else self.num_labels
        self._built = True

    def update_graph(self, y_true, y_pred, sample_weight=None):
        if not self._built:  # multi_label without num_labels: the last axis of the first batch
            self._build(y_pred.shape[-1])
        if self.from_logits:
            y_pred = ops.sigmoid(y_pred)
        new = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, dtype=self.dtype,
                               multi_label=self.multi_label,
                               label_weights=None if self.multi_label else self.label_weights)
        return [(getattr(self, attr), getattr(self, attr) + new[key]) for key, attr in COUNTS.items()]

    def result(self):
        if not self._built:
            return as_result(0.0, self.dtype)
        tp, fp, tn, fn = (getattr(self, attr).numpy().astype(np.float64) for attr in COUNTS.values())
        if self.curve == "PR" and self.summation_method == "interpolation":
            area = interpolated_pr_area(tp, fp, fn)
        else:
            recall = divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, divide_no_nan(tp, tp + fp)
            area = riemann_area(x, y, self.summation_method)
        if self.multi_label:
            weights = np.ones_like(area) if self.label_weights is None else self.label_weights.astype(np.float64)
            area = divide_no_nan(np.sum(area * weights), np.sum(weights))
        return as_result(area, self.dtype)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "from_logits": self.from_logits,
                  "label_weights": None if self.label_weights is None else self.label_weights.tolist()}
        if self._explicit_thresholds is not None:
            config["thresholds"] = list(self._explicit_thresholds)
        return config
