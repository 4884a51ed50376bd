"""Errors and losses as metrics: weighted means of the per-sample functions of `layered.losses`; R2."""
import warnings

import numpy as np

from layered import losses, ops
from layered.graph import build as b
from layered.metrics.base import Mean, Metric, as_result, broadcast_weights, divide_no_nan, wrapper_class


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
MeanAbsolutePercentageError = wrapper_class(
    "MeanAbsolutePercentageError", losses.mean_absolute_percentage_error, "mean_absolute_percentage_error",
    """The mean of `100 * |y_true - y_pred| / max(|y_true|, epsilon)`.

    Example:
        m = layered.metrics.MeanAbsolutePercentageError()
        m.update_state([[1.0, 2.0]], [[1.5, 2.0]]); m.result()  # 25.0
    """)
LogCoshError = wrapper_class(
    "LogCoshError", losses.log_cosh, "logcosh",
    """The mean of `log(cosh(y_pred - y_true))` (named 'logcosh', as in Keras).

    Example:
        m = layered.metrics.LogCoshError()
        m.update_state([[0.0, 0.0]], [[1.0, -1.0]]); m.result()  # 0.4338
    """)
Poisson = wrapper_class(
    "Poisson", losses.poisson, "poisson",
    """The mean Poisson loss `y_pred - y_true * log(y_pred + epsilon)`.

    Example:
        m = layered.metrics.Poisson()
        m.update_state(counts, predicted_rates); m.result()
    """)
SquaredHinge = wrapper_class(
    "SquaredHinge", losses.squared_hinge, "squared_hinge",
    """The mean of `max(1 - y_true * y_pred, 0) ** 2` (0/1 labels are mapped to -1/1).

    Example:
        m = layered.metrics.SquaredHinge()
        m.update_state([[0.0, 1.0]], [[0.5, 0.5]]); m.result()  # 1.25
    """)
CategoricalHinge = wrapper_class(
    "CategoricalHinge", losses.categorical_hinge, "categorical_hinge",
    """The mean of `max(0, 1 + best wrong score - true score)` against one-hot labels.

    Example:
        m = layered.metrics.CategoricalHinge()
        m.update_state([[0.0, 1.0]], [[0.6, 0.4]]); m.result()  # 1.2
    """)


R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination 1 - SS_res / SS_tot per output column, then aggregated.

    The state is the weighted sums of y, y ** 2 and the squared residuals per column; SS_tot
    is computed from them on the host, so the result over several batches equals that over
    their concatenation.

    Args:
        class_aggregation: 'uniform_average' (the mean over columns),
            'variance_weighted_average' (weighted by SS_tot) or None (one score per column).
        num_regressors: the number of independent variables p, for the adjusted score
            1 - (1 - R2) (n - 1) / (n - p - 1), n the number of values seen; 0 for plain R2.

    Example:
        m = layered.metrics.R2Score()
        m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]]); m.result()  # 0.5
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in R2_AGGREGATIONS:
            raise ValueError(f"unknown class_aggregation '{class_aggregation}'; use one of {R2_AGGREGATIONS}")
        if num_regressors < 0:
            raise ValueError(f"num_regressors must be >= 0, got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, columns):
        for attr in ("squared_sum", "sum", "total_mse", "count"):
            setattr(self, attr, self.add_variable((columns,), "zeros", name=attr))
        self._built = True

    def update_graph(self, y_true, y_pred, sample_weight=None):
        y_pred = b.cast(b.as_tensor(y_pred), self.dtype)
        y_true = losses.same_rank(b.cast(b.as_tensor(y_true), self.dtype), y_pred)
        if y_true.ndim != 2 or y_pred.ndim != 2 or y_pred.shape[-1] is None:
            raise ValueError(f"R2Score expects inputs of shape (batch_size, output_dim) with a known output_dim; "
                             f"got y_true {y_true.shape} and y_pred {y_pred.shape}")
        if not self._built:
            self._build(y_pred.shape[-1])
        weights = b.ones_like(y_true) if sample_weight is None else broadcast_weights(sample_weight, y_true)
        weighted = y_true * weights
        return [(self.sum, self.sum + ops.sum(weighted, axis=0)),
                (self.squared_sum, self.squared_sum + ops.sum(y_true * weighted, axis=0)),
                (self.total_mse, self.total_mse + ops.sum(ops.square(y_true - y_pred) * weights, axis=0)),
                (self.count, self.count + ops.sum(weights, axis=0)),
                (self.num_samples, self.num_samples + ops.sum(b.ones_like(y_true)))]

    def result(self):
        if not self._built:
            return as_result(np.nan, self.dtype)
        total_sum, squares, residual, count = (getattr(self, a).numpy().astype(np.float64)
                                               for a in ("sum", "squared_sum", "total_mse", "count"))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = total_sum / count
            total = squares - total_sum * mean
            scores = 1.0 - residual / total
            scores = np.where(np.isinf(scores), 0.0, scores)
            if self.class_aggregation == "uniform_average":
                score = np.mean(scores)
            elif self.class_aggregation == "variance_weighted_average":
                score = np.sum(total * scores) / np.sum(total)
            else:
                score = scores
        n, p = float(self.num_samples.numpy()), self.num_regressors
        if p and p >= n - 1:
            warnings.warn(f"R2Score: num_regressors={p} needs more than {p + 1} values for the adjusted score "
                          f"(seen {n:g}); returning the plain R2 score", stacklevel=2)
        elif p:
            score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return as_result(score, self.dtype)

    def reset_state(self):
        if self._built:
            super().reset_state()
        else:
            self.num_samples.assign(np.zeros((), self.dtype))

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
