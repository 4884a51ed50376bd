"""Elementwise math and reductions in `keras.ops` names, composed from primitives.

The inverse trigonometric functions rest on the `atan2` primitive; everything else is
exp/log/sqrt/floor arithmetic, written in the forms that keep precision (expm1 and
arcsinh near zero, logaddexp for large arguments).
"""
import math

import numpy as np

from layered import ops
from layered.graph import build as b
from layered.graph.core import floatx, is_float
from layered.graph.primitives import normalize_axes

__all__ = [
    "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh",
    "log2", "log10", "exp2", "expm1", "logaddexp", "hypot", "cbrt", "erfc", "erfinv", "trunc", "signbit",
    "heaviside", "deg2rad", "rad2deg", "round", "mod", "floor_divide", "true_divide", "divide_no_nan",
    "absolute", "fabs", "amax", "amin", "average", "count_nonzero", "nan_to_num", "isnan", "isinf",
    "isfinite", "logical_xor", "norm", "dot", "tensordot", "outer", "inner", "vdot", "cdist",
]


def _float(x):
    """`x` as a tensor of a float dtype (integers become floatx, as Keras does for these ops)."""
    x = b.as_tensor(x)
    return x if is_float(x.dtype) else b.cast(x, floatx())


def _floats(x, y):
    x, y = b._coerce(x, y)
    return (x, y) if is_float(x.dtype) else (b.cast(x, floatx()), b.cast(y, floatx()))


# ---------------------------------------------------------------- trigonometric and hyperbolic

def tan(x):
    """sin(x) / cos(x)."""
    x = _float(x)
    return b.div(b.sin(x), b.cos(x))


def arctan2(x1, x2):
    """The angle of the point (x2, x1), in (-pi, pi]."""
    return b.atan2(*_floats(x1, x2))


def arctan(x):
    """The inverse tangent, in (-pi/2, pi/2)."""
    x = _float(x)
    return b.atan2(x, b.ones_like(x))


def arcsin(x):
    """The inverse sine on [-1, 1]."""
    x = _float(x)
    return b.atan2(x, b.sqrt(b.sub(1.0, b.square(x))))


def arccos(x):
    """The inverse cosine on [-1, 1], in [0, pi]."""
    x = _float(x)
    return b.atan2(b.sqrt(b.sub(1.0, b.square(x))), x)


def expm1(x):
    """exp(x) - 1, precise near zero: 2 tanh(x/2) / (1 - tanh(x/2)) for small |x|."""
    x = _float(x)
    small = b.less(b.abs(x), 0.5)
    t = b.tanh(b.mul(b.where(small, x, b.zeros_like(x)), 0.5))
    return b.where(small, b.div(b.mul(t, 2.0), b.sub(1.0, t)), b.sub(b.exp(x), 1.0))


def sinh(x):
    """The hyperbolic sine (precise near zero)."""
    x = _float(x)
    return b.mul(b.sub(expm1(x), expm1(b.neg(x))), 0.5)


def cosh(x):
    """The hyperbolic cosine."""
    x = _float(x)
    return b.mul(b.add(b.exp(x), b.exp(b.neg(x))), 0.5)


def arcsinh(x):
    """The inverse hyperbolic sine."""
    # sign(x) log1p(|x| + x^2 / (1 + sqrt(x^2 + 1))): no cancellation near zero.
    x = _float(x)
    a = b.abs(x)
    inner = b.add(a, b.div(b.square(a), b.add(b.sqrt(b.add(b.square(a), 1.0)), 1.0)))
    return b.mul(b.sign(x), b.log1p(inner))


def arccosh(x):
    """The inverse hyperbolic cosine (x >= 1)."""
    x = _float(x)
    return b.log(b.add(x, b.sqrt(b.mul(b.sub(x, 1.0), b.add(x, 1.0)))))


def arctanh(x):
    """The inverse hyperbolic tangent on (-1, 1)."""
    x = _float(x)
    return b.mul(b.sub(b.log1p(x), b.log1p(b.neg(x))), 0.5)


def deg2rad(x):
    """Degrees to radians."""
    return b.mul(_float(x), math.pi / 180.0)


def rad2deg(x):
    """Radians to degrees."""
    return b.mul(_float(x), 180.0 / math.pi)


# ---------------------------------------------------------------- exponentials and logarithms

def log2(x):
    """The base-2 logarithm."""
    return b.mul(b.log(_float(x)), 1.0 / math.log(2.0))


def log10(x):
    """The base-10 logarithm."""
    return b.mul(b.log(_float(x)), 1.0 / math.log(10.0))


def exp2(x):
    """2 ** x."""
    return b.exp(b.mul(_float(x), math.log(2.0)))


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) without overflow."""
    x1, x2 = _floats(x1, x2)
    top = b.maximum(x1, x2)
    return b.add(top, b.log1p(b.exp(b.neg(b.abs(b.sub(x1, x2))))))


def hypot(x1, x2):
    """sqrt(x1^2 + x2^2)."""
    x1, x2 = _floats(x1, x2)
    return b.sqrt(b.add(b.square(x1), b.square(x2)))


def cbrt(x):
    """The real cube root."""
    x = _float(x)
    return b.mul(b.sign(x), b.pow(b.abs(x), 1.0 / 3.0))


# M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): single precision.
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coefficients, t):
    p = b.full_like(t, coefficients[0])
    for c in coefficients[1:]:
        p = b.add(b.mul(p, t), c)
    return p


def erfinv(x):
    """The inverse of erf on (-1, 1): Giles's approximation, then one Newton step on erf."""
    x = _float(x)
    w = b.neg(b.log(b.mul(b.sub(1.0, x), b.add(x, 1.0))))
    central = b.less(w, 5.0)
    safe_w = b.where(central, w, b.full_like(w, 5.0))  # each branch sees only its own range
    p = b.where(central, _horner(_ERFINV_CENTRAL, b.sub(w, 2.5)),
                _horner(_ERFINV_TAIL, b.sub(b.sqrt(b.maximum(w, safe_w)), 3.0)))
    y = b.mul(p, x)
    # Newton: y -= (erf(y) - x) / erf'(y), which brings float64 to full precision.
    slope = b.mul(b.exp(b.neg(b.square(y))), 2.0 / math.sqrt(math.pi))
    return b.sub(y, b.div(b.sub(b.erf(y), x), slope))


def erfc(x):
    """1 - erf(x)."""
    return b.sub(1.0, b.erf(_float(x)))


# ---------------------------------------------------------------- rounding and division

def trunc(x):
    """Rounds towards zero."""
    x = b.as_tensor(x)
    if not is_float(x.dtype):
        return x
    return b.where(b.less(x, 0.0), ops.ceil(x), b.floor(x))


def round(x, decimals=0):
    """Round half to even (as NumPy and Keras), after scaling by 10**decimals."""
    x = b.as_tensor(x)
    if not is_float(x.dtype):
        return x
    scale = 10.0 ** int(decimals)
    y = b.mul(x, scale) if decimals else x
    nearest = b.floor(b.add(y, 0.5))
    tie = b.equal(b.sub(nearest, y), 0.5)
    odd = b.equal(b.sub(nearest, b.mul(b.floor(b.mul(nearest, 0.5)), 2.0)), 1.0)
    rounded = b.where(b.logical_and(tie, odd), b.sub(nearest, 1.0), nearest)
    return b.div(rounded, scale) if decimals else rounded


def floor_divide(x1, x2):
    """floor(x1 / x2); integers stay integers (computed in float64, exact below 2**53)."""
    x1, x2 = b._coerce(x1, x2)
    if is_float(x1.dtype):
        return b.floor(b.div(x1, x2))
    return b.cast(b.floor(b.div(b.cast(x1, "float64"), b.cast(x2, "float64"))), x1.dtype)


def mod(x1, x2):
    """x1 - floor(x1 / x2) * x2: the remainder takes the sign of the divisor, as NumPy."""
    x1, x2 = b._coerce(x1, x2)
    return b.sub(x1, b.mul(floor_divide(x1, x2), x2))


def true_divide(x1, x2):
    """x1 / x2 in a float dtype."""
    return b.div(*_floats(x1, x2))


def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0 (with a gradient free of NaN there)."""
    x1, x2 = _floats(x1, x2)
    zero = b.equal(x2, 0.0)
    safe = b.where(zero, b.ones_like(x2), x2)
    quotient = b.div(x1, safe)
    return b.where(zero, b.zeros_like(quotient), quotient)


def signbit(x):
    """True where the sign bit is set (negative numbers and -0.0)."""
    x = b.as_tensor(x)
    if not is_float(x.dtype):
        return b.less(x, 0)
    # atan2(x, -1) is -pi for -0.0 and pi for +0.0, and has the sign of x elsewhere.
    return b.less(b.atan2(x, b.full_like(x, -1.0)), 0.0)


def heaviside(x1, x2):
    """0 where x1 < 0, 1 where x1 > 0, x2 where x1 == 0."""
    x1, x2 = _floats(x1, x2)
    ones = b.ones_like(b.add(x1, x2))
    return b.where(b.less(x1, 0.0), b.zeros_like(ones), b.where(b.greater(x1, 0.0), ones, b.mul(ones, x2)))


def absolute(x):
    """|x|."""
    return b.abs(x)


def fabs(x):
    """|x| in a float dtype."""
    return b.abs(_float(x))


# ---------------------------------------------------------------- reductions and predicates

def amax(x, axis=None, keepdims=False):
    """The maximum over `axis` (as `max`)."""
    return b.reduce_max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    """The minimum over `axis` (as `min`)."""
    return b.reduce_min(x, axis, keepdims)


def average(x, axis=None, weights=None):
    """The (weighted) mean over `axis`; 1-D weights apply along the single `axis`."""
    x = _float(x)
    if weights is None:
        return ops.mean(x, axis)
    weights = b.as_tensor(weights, x.dtype)
    if weights.ndim == 1 and x.ndim > 1:
        if axis is None or np.ndim(axis) != 0:
            raise ValueError(f"1-D weights need a single axis, got axis={axis}")
        at = normalize_axes(axis, x.ndim)[0]
        weights = b.reshape(weights, tuple(-1 if i == at else 1 for i in range(x.ndim)))
    weights = b.broadcast_to(weights, x.shape, like=x if None in x.shape else None)
    return b.div(b.reduce_sum(b.mul(x, weights), axis), b.reduce_sum(weights, axis))


def count_nonzero(x, axis=None):
    """The int32 number of nonzero (true) elements over `axis`."""
    x = b.as_tensor(x)
    truth = x if x.dtype == "bool" else b.not_equal(x, b.zeros_like(x))
    return b.reduce_sum(b.cast(truth, "int32"), axis)


def isnan(x):
    """Whether each element is NaN."""
    x = b.as_tensor(x)
    return b.not_equal(x, x) if is_float(x.dtype) else b.not_equal(b.zeros_like(x, "bool"), b.zeros_like(x, "bool"))


def isinf(x):
    """Whether each element is +-inf."""
    x = b.as_tensor(x)
    if not is_float(x.dtype):
        return b.not_equal(b.zeros_like(x, "bool"), b.zeros_like(x, "bool"))
    return b.equal(b.abs(x), float("inf"))


def isfinite(x):
    """Whether each element is neither NaN nor infinite."""
    x = b.as_tensor(x)
    if not is_float(x.dtype):
        return b.equal(b.zeros_like(x, "bool"), b.zeros_like(x, "bool"))
    return b.less(b.abs(x), float("inf"))  # NaN compares false


def logical_xor(x1, x2):
    """Whether exactly one of x1, x2 is true (nonzero)."""
    return b.not_equal(b.cast(b.as_tensor(x1), "bool"), b.cast(b.as_tensor(x2), "bool"))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced (by default with 0 and the dtype's largest magnitudes)."""
    x = b.as_tensor(x)
    if not is_float(x.dtype):
        return x
    info = np.finfo(x.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    x = b.where(b.not_equal(x, x), b.full_like(x, nan), x)
    x = b.where(b.equal(x, float("inf")), b.full_like(x, posinf), x)
    return b.where(b.equal(x, -float("inf")), b.full_like(x, neginf), x)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms (any `ord`, incl. inf, -inf, 0) over one axis, or matrix norms ('fro', 1, -1,
    inf, -inf; not the singular-value ones) over two; the 2-norm of all elements for ord=axis=None."""
    x = _float(x)
    if axis is None:
        if ord is None:  # the 2-norm of all the elements
            result = b.sqrt(b.reduce_sum(b.square(x), None, keepdims))
            return result
        if x.ndim not in (1, 2):
            raise ValueError(f"norm with ord={ord!r} and axis=None needs a vector or a matrix, got {x.shape}")
        axis = tuple(range(x.ndim))
    axes = normalize_axes(axis, x.ndim)
    if len(axes) == 1:
        result = _vector_norm(x, ord, axes[0])
        return b.reshape(result, x.shape[:axes[0]] + (1,) + x.shape[axes[0] + 1:]) if keepdims else result
    if len(axes) != 2:
        raise ValueError(f"norm takes one or two axes, got {axis}")
    row, col = axes
    if ord in (None, "fro"):
        result = b.sqrt(b.reduce_sum(b.square(x), axes, keepdims))
    elif ord in (1, -1):
        sums = b.reduce_sum(b.abs(x), row, True)
        result = (b.reduce_max if ord == 1 else b.reduce_min)(sums, col, True)
    elif ord in (float("inf"), -float("inf")):
        sums = b.reduce_sum(b.abs(x), col, True)
        result = (b.reduce_max if ord > 0 else b.reduce_min)(sums, row, True)
    else:
        raise NotImplementedError(f"matrix norm ord={ord!r} needs singular values; supported: None, 'fro', 1, -1, "
                                  "inf, -inf")
    if ord not in (None, "fro") and not keepdims:
        result = ops.squeeze(result, axes)
    return result


def _vector_norm(x, ord, axis):
    if ord is None or ord == 2:
        return b.sqrt(b.reduce_sum(b.square(x), axis))
    if ord == float("inf"):
        return b.reduce_max(b.abs(x), axis)
    if ord == -float("inf"):
        return b.reduce_min(b.abs(x), axis)
    if ord == 0:
        return b.cast(count_nonzero(x, axis), x.dtype)
    if isinstance(ord, str):
        raise ValueError(f"vector norm ord={ord!r} is not valid (use a number)")
    return b.pow(b.reduce_sum(b.pow(b.abs(x), float(ord)), axis), 1.0 / float(ord))


# ---------------------------------------------------------------- products

def tensordot(x1, x2, axes=2):
    """Sum over the given axes of x1 and x2 (the last `axes` of x1 with the first of x2 for an int)."""
    x1, x2 = b._coerce(x1, x2)
    if isinstance(axes, (int, np.integer)):
        a_axes, b_axes = list(range(x1.ndim - axes, x1.ndim)), list(range(axes))
    else:
        a_axes, b_axes = [list(np.atleast_1d(a)) for a in axes]
    a_axes = [normalize_axes(a, x1.ndim)[0] for a in a_axes]
    b_axes = [normalize_axes(a, x2.ndim)[0] for a in b_axes]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sub1 = [next(letters) for _ in range(x1.ndim)]
    sub2 = [next(letters) for _ in range(x2.ndim)]
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot needs as many axes of each, got {a_axes} and {b_axes}")
    for a, c in zip(a_axes, b_axes):
        sub2[c] = sub1[a]
    out = [s for i, s in enumerate(sub1) if i not in a_axes] + [s for i, s in enumerate(sub2) if i not in b_axes]
    return ops.einsum(f"{''.join(sub1)},{''.join(sub2)}->{''.join(out)}", x1, x2)


def dot(x1, x2):
    """NumPy's dot: products of scalars, inner products of vectors, matrix products, and the
    sum over the last axis of x1 and the second-to-last of x2."""
    x1, x2 = b._coerce(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return b.mul(x1, x2)
    if x2.ndim == 1:
        return tensordot(x1, x2, ([x1.ndim - 1], [0]))
    return tensordot(x1, x2, ([x1.ndim - 1], [x2.ndim - 2]))


def inner(x1, x2):
    """The sum of products over the last axes of both."""
    x1, x2 = b._coerce(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return b.mul(x1, x2)
    return tensordot(x1, x2, ([x1.ndim - 1], [x2.ndim - 1]))


def outer(x1, x2):
    """The products of every element of x1 with every element of x2 (both flattened)."""
    x1, x2 = b._coerce(x1, x2)
    return b.mul(b.reshape(x1, (-1, 1)), b.reshape(x2, (1, -1)))


def vdot(x1, x2):
    """The sum of the products of the flattened x1 and x2."""
    x1, x2 = b._coerce(x1, x2)
    return b.reduce_sum(b.mul(b.reshape(x1, (-1,)), b.reshape(x2, (-1,))))


def cdist(x, y):
    """Euclidean distances between the rows of x (..., n, d) and of y (..., m, d): (..., n, m)."""
    x, y = _floats(x, y)
    squared = b.add(b.reduce_sum(b.square(x), -1, keepdims=True),
                    b.sub(ops.swapaxes(b.reduce_sum(b.square(y), -1, keepdims=True), -1, -2),
                          b.mul(b.matmul(x, ops.swapaxes(y, -1, -2)), 2.0)))
    return b.sqrt(b.maximum(squared, 0.0))
