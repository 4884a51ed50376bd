"""NaN-aware reductions, order statistics and comparisons in `keras.ops` names.

Order statistics (median, quantile, percentile) sort with the `argsort` primitive and
interpolate between neighbours, so they are differentiable in the values.
"""
import numpy as np

from layered import ops
from layered.graph import build as b
from layered.graph.core import ShapeError, floatx, is_float
from layered.graph.primitives import normalize_axes
from layered._ops.array import _is_value

__all__ = [
    "nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nancumsum", "nancumprod",
    "nanargmax", "nanargmin", "ptp", "median", "quantile", "percentile", "isclose", "allclose", "isin",
    "digitize", "bincount", "corrcoef",
]


def _float(x):
    x = b.as_tensor(x)
    return x if is_float(x.dtype) else b.cast(x, floatx())


def _nan_to(x, value):
    x = b.as_tensor(x)
    if not is_float(x.dtype):
        return x
    return b.where(b.not_equal(x, x), b.full_like(x, value), x)


# ---------------------------------------------------------------- NaN-aware reductions

def nansum(x, axis=None, keepdims=False):
    """The sum over `axis`, NaNs counting as 0."""
    return b.reduce_sum(_nan_to(x, 0.0), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    """The mean over `axis` of the non-NaN elements."""
    x = _float(x)
    present = b.stop_gradient(x)  # the count of numbers carries no gradient
    count = b.reduce_sum(b.cast(b.equal(present, present), x.dtype), axis, keepdims)
    return b.div(nansum(x, axis, keepdims), count)


def nanmax(x, axis=None, keepdims=False):
    """The maximum over `axis`, ignoring NaNs."""
    return b.reduce_max(_nan_to(x, -np.inf), axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    """The minimum over `axis`, ignoring NaNs."""
    return b.reduce_min(_nan_to(x, np.inf), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    """The product over `axis`, NaNs counting as 1."""
    return ops.prod(_nan_to(x, 1.0), axis, keepdims)


def nanvar(x, axis=None, keepdims=False):
    """The variance over `axis` of the non-NaN elements."""
    x = _float(x)
    centre = nanmean(x, axis, keepdims=True)
    return nanmean(b.square(b.sub(x, centre)), axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    """The standard deviation over `axis` of the non-NaN elements."""
    return b.sqrt(nanvar(x, axis, keepdims))


def nancumsum(x, axis=None, dtype=None):
    """Running sums, NaNs counting as 0."""
    return ops.cumsum(_nan_to(x, 0.0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    """Running products, NaNs counting as 1."""
    return ops.cumprod(_nan_to(x, 1.0), axis, dtype)


def nanargmax(x, axis=None, keepdims=False):
    """The index of the maximum, ignoring NaNs."""
    return ops.argmax(_nan_to(x, -np.inf), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """The index of the minimum, ignoring NaNs."""
    return ops.argmin(_nan_to(x, np.inf), axis, keepdims)


def ptp(x, axis=None, keepdims=False):
    """The range (max - min) along `axis`."""
    return b.sub(b.reduce_max(x, axis, keepdims), b.reduce_min(x, axis, keepdims))


# ---------------------------------------------------------------- order statistics

def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-quantiles (q in [0, 1], a number or a 1-D list: a new leading axis) along `axis`.

    Methods: 'linear', 'lower', 'higher', 'nearest', 'midpoint', as NumPy.
    """
    x = _float(x)
    axes = normalize_axes(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = b.transpose(x, rest + list(axes)) if list(axes) != list(range(x.ndim - len(axes), x.ndim)) else x
    n = int(np.prod([x.shape[a] for a in axes])) if None not in [x.shape[a] for a in axes] else None
    if n is None:
        raise ShapeError(f"quantile needs known sizes along axes {axes}, got {x.shape}")
    rows = ops._reshape_known(moved, tuple(x.shape[a] for a in rest) + (n,))
    ordered = ops.sort(rows, -1)
    qs = np.atleast_1d(np.asarray(q, np.float64))
    if np.any(qs < 0) or np.any(qs > 1):
        raise ValueError(f"quantiles must lie in [0, 1], got {q}")
    position = qs * (n - 1)
    low, high = np.floor(position).astype(np.int32), np.ceil(position).astype(np.int32)
    if method == "lower":
        high = low
    elif method == "higher":
        low = high
    elif method == "nearest":
        low = high = np.round(position).astype(np.int32)
    elif method not in ("linear", "midpoint"):
        raise ValueError(f"unknown quantile method {method!r}; use linear, lower, higher, nearest or midpoint")
    frac = np.full_like(position, 0.5) if method == "midpoint" else position - low
    below, above = b.take(ordered, low, -1 % ordered.ndim), b.take(ordered, high, -1 % ordered.ndim)
    weight = b.as_tensor(frac, x.dtype)
    result = b.add(below, b.mul(b.sub(above, below), weight))  # (..., len(q))
    result = ops.moveaxis(result, -1, 0)
    if keepdims:
        shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        result = ops._reshape_known(result, (len(qs),) + shape)
    return result if np.ndim(q) else b.take(result, np.int32(0), 0)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """`quantile` with q in percent."""
    return quantile(x, np.asarray(q, np.float64) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """The median along `axis` (the mean of the two middle values for even counts)."""
    return quantile(x, 0.5, axis, "linear", keepdims)


# ---------------------------------------------------------------- comparisons and counting

def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether |x1 - x2| <= atol + rtol * |x2|, elementwise."""
    x1, x2 = b._coerce(x1, x2)
    close = b.less_equal(b.abs(b.sub(x1, x2)), b.add(b.mul(b.abs(x2), rtol), atol))
    if is_float(x1.dtype):
        close = b.logical_or(close, b.equal(x1, x2))  # equal infinities
        if equal_nan:
            close = b.logical_or(close, b.logical_and(b.not_equal(x1, x1), b.not_equal(x2, x2)))
    return close


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether `isclose` holds everywhere (a bool scalar)."""
    return ops.all(isclose(x1, x2, rtol, atol, equal_nan))


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of `x1` appears in `x2`."""
    x1, x2 = b._coerce(x1, x2)
    hits = ops.any(b.equal(ops.expand_dims(x1, -1), b.reshape(x2, (-1,))), -1)
    return b.logical_not(hits) if invert else hits


def digitize(x, bins):
    """The index of the bin (from the ascending `bins`) each element falls in, as NumPy (right=False)."""
    x, bins = b._coerce(x, bins)
    return b.reduce_sum(b.cast(b.less_equal(bins, ops.expand_dims(x, -1)), "int32"), -1)


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed `weights`) of each non-negative integer in the 1-D (or batched 2-D) `x`;
    the length is max(x) + 1 for values known now, else `minlength`."""
    x = b.cast(b.as_tensor(x), "int32")
    length = int(minlength)
    if _is_value(x):
        length = max(length, int(np.max(x.numpy(), initial=-1)) + 1)
    if length <= 0:
        raise ValueError("bincount of symbolic values needs a positive `minlength` (the number of bins)")
    hot = b.one_hot(x, length, floatx() if weights is None else b.as_tensor(weights).dtype)
    if weights is not None:
        hot = b.mul(hot, ops.expand_dims(b.as_tensor(weights), -1))
    counts = b.reduce_sum(hot, x.ndim - 1)
    return b.cast(counts, "int32") if weights is None else counts


def corrcoef(x):
    """Pearson correlation coefficients between the rows (variables) of `x` (variables x observations)."""
    x = _float(x)
    x = b.reshape(x, (1, -1)) if x.ndim == 1 else x
    centred = b.sub(x, ops.mean(x, 1, keepdims=True))
    covariance = b.matmul(centred, ops.swapaxes(centred, 0, 1))
    scale = b.sqrt(ops.diagonal(covariance))
    return b.div(covariance, ops.outer(scale, scale))
