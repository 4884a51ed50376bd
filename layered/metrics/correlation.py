"""Correlation metrics: Pearson's and Lin's concordance coefficient per sample, averaged over samples."""
from layered import losses, ops
from layered.graph import build as b
from layered.metrics.base import wrapper_class

EPSILON = 1e-7


def _prepare(y_true, y_pred):
    y_pred = b.as_tensor(y_pred)
    return losses.same_rank(b.as_tensor(y_true, y_pred.dtype), y_pred), y_pred


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient of `y_true` and `y_pred` along `axis` (population statistics)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    true_centred = y_true - ops.mean(y_true, axis=axis, keepdims=True)
    pred_centred = y_pred - ops.mean(y_pred, axis=axis, keepdims=True)
    true_scaled = true_centred / ops.std(true_centred, axis=axis, keepdims=True)
    pred_scaled = pred_centred / ops.std(pred_centred, axis=axis, keepdims=True)
    return ops.mean(true_scaled * pred_scaled, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance coefficient 2 cov / (var_true + var_pred + (mean_true - mean_pred) ** 2) along `axis`.

    As Keras computes it, the covariance term centres `y_true` on the mean of `y_pred`.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    true_var = ops.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = ops.var(y_pred - pred_mean, axis=axis, keepdims=True)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + ops.square(true_mean - pred_mean)
    return ops.mean(2.0 * covariance / (norm + EPSILON), axis=axis)


PearsonCorrelation = wrapper_class(
    "PearsonCorrelation", pearson_correlation, "pearson_correlation",
    """The mean over samples of Pearson's correlation along `axis` (the last by default).

    Example:
        m = layered.metrics.PearsonCorrelation()
        m.update_state([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]); m.result()  # 0.9934
    """, axis=-1)
ConcordanceCorrelation = wrapper_class(
    "ConcordanceCorrelation", concordance_correlation, "concordance_correlation",
    """The mean over samples of Lin's concordance correlation along `axis` (the last by default).

    Example:
        m = layered.metrics.ConcordanceCorrelation()
        m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.5]]); m.result()
    """, axis=-1)
