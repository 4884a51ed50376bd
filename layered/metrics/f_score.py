"""F-beta and F1 scores from per-class (or pooled) true positive, false positive and false negative sums."""
import numpy as np

from layered import ops
from layered.graph import build as b
from layered.metrics.base import Metric, as_result, broadcast_weights

EPSILON = 1e-7
AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score (1 + beta^2) P R / (beta^2 P + R) of multi-label or multi-class predictions.

    Inputs have shape (batch_size, classes). A prediction counts as positive when it is
    above `threshold`, or, with no threshold, when it is the sample's highest (and non-zero).

    Args:
        average: None (one score per class), 'micro' (counts pooled over classes), 'macro'
            (the mean of the per-class scores) or 'weighted' (their mean weighted by the
            number of true labels of each class).
        beta: the weight of recall against precision, a float > 0.
        threshold: a float in (0, 1], or None for the top prediction of each sample.

    Example:
        m = layered.metrics.FBetaScore(beta=2.0, average="macro", threshold=0.5)
        m.update_state(labels, probabilities); m.result()
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in AVERAGES:
            raise ValueError(f"unknown average '{average}'; use one of {AVERAGES}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"beta must be a float > 0, got {beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(f"threshold must be a float in (0, 1] or None, got {threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self._built = False

    def _build(self, classes):
        shape = () if self.average == "micro" else (classes,)
        for attr in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(self, attr, self.add_variable(shape, "zeros", name=attr))
        self._built = True

    def update_graph(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = b.cast(b.as_tensor(y_true), self.dtype), b.cast(b.as_tensor(y_pred), self.dtype)
        if y_true.ndim != 2 or y_pred.ndim != 2 or y_pred.shape[-1] is None:
            raise ValueError(f"{type(self).__name__} expects inputs of shape (batch_size, output_dim) with a known "
                             f"output_dim; got y_true {y_true.shape} and y_pred {y_pred.shape}")
        if not self._built:
            self._build(y_pred.shape[-1])
        if self.threshold is None:
            top = ops.max(y_pred, axis=-1, keepdims=True)
            positive = ops.logical_and(y_pred >= top, ops.abs(y_pred) > 1e-9)
        else:
            positive = y_pred > self.threshold
        y_pred = b.cast(positive, self.dtype)
        weights = None if sample_weight is None else broadcast_weights(sample_weight, y_pred)
        axis = None if self.average == "micro" else 0

        def total(values):
            return ops.sum(values if weights is None else values * weights, axis=axis)

        return [(self.true_positives, self.true_positives + total(y_pred * y_true)),
                (self.false_positives, self.false_positives + total(y_pred * (1.0 - y_true))),
                (self.false_negatives, self.false_negatives + total((1.0 - y_pred) * y_true)),
                (self.intermediate_weights, self.intermediate_weights + total(y_true))]

    def result(self):
        if not self._built:
            return as_result(0.0, self.dtype)
        tp, fp, fn, label_weights = (getattr(self, a).numpy().astype(np.float64) for a in (
            "true_positives", "false_positives", "false_negatives", "intermediate_weights"))
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        beta2 = self.beta ** 2
        score = (1.0 + beta2) * precision * recall / (beta2 * precision + recall + EPSILON)
        if self.average == "weighted":
            score = np.sum(score * label_weights / (np.sum(label_weights) + EPSILON))
        elif self.average is not None:
            score = np.mean(score)
        return as_result(score, self.dtype)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score 2 P R / (P + R): `FBetaScore` with beta = 1.

    Example:
        m = layered.metrics.F1Score(average="micro", threshold=0.5)
        m.update_state([[1, 0], [0, 1]], [[0.8, 0.3], [0.6, 0.4]]); m.result()  # 0.5
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
