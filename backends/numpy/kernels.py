"""One NumPy kernel per primitive, in one table.

A kernel takes the input arrays and the node's attributes. Kernels in `WRITES_OUT` also
take `out=` (a preallocated buffer, or None to allocate); kernels in `VIEWS` return a view
of their first input and never copy.
"""
import math

import numpy as np

from backends.numpy import conv as conv_kernels
from backends.numpy import control_flow


def _logistic(x, out=None):
    # 0.5 * (1 + tanh(x / 2)) is the logistic function without overflow for large |x|.
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _rsqrt(x, out=None):
    root = np.sqrt(x, out=out)  # a NumPy scalar when x is 0-d and out is None: not writable
    return np.reciprocal(root, out=out)


_exact_erf = np.frompyfunc(math.erf, 1, 1)


def _erf(x, out=None):
    if x.dtype == np.float64:  # exact, for float64 checks; float32 uses the fast formula
        result = np.asarray(_exact_erf(x), dtype=np.float64)
        if out is None:
            return result
        out[...] = result
        return out
    # Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7, float32's resolution.
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    result = 1.0 - poly * np.exp(-a * a)
    return np.copysign(result, x, out=out).astype(x.dtype, copy=False)


_SAME_WIDTH_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def _where(cond, x, y, out=None):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind != "f" or x.dtype.itemsize not in _SAME_WIDTH_INT:
        result = np.where(cond, x, y)
        if out is None:
            return result
        np.copyto(out, result)
        return out
    # Select bit patterns with an all-ones/all-zeros mask: exact (NaN and inf in the
    # unselected branch stay out), and about 4x faster than np.where or copyto(where=).
    itype = _SAME_WIDTH_INT[x.dtype.itemsize]
    if out is None:
        out = np.empty(np.broadcast_shapes(cond.shape, x.shape, y.shape), x.dtype)
    # The mask buffer is reused across calls: a fresh one costs page faults on every call.
    mask = np.subtract(0, cond, out=conv_kernels.scratch("where_mask", out.shape, itype), dtype=itype)
    bits = np.bitwise_and(x.view(itype), mask, out=out.view(itype))
    if any(y.strides) or y.ravel()[:1].any():  # a broadcast zero y needs no second half
        np.invert(mask, out=mask)
        bits |= np.bitwise_and(y.view(itype), mask, out=mask)
    return out


def _reduce(fn):
    def kernel(x, axes, keepdims, out=None):
        return fn(x, axis=axes, keepdims=keepdims, out=out)
    return kernel


def _arg(fn):
    def kernel(x, axis):
        return fn(x, axis=axis).astype(np.int32)
    return kernel


def _slice(x, starts, stops, steps):
    return x[tuple(slice(a, b, c) for a, b, c in zip(starts, stops, steps))]


def _pad(x, low, high, interior, out=None):
    shape = tuple(lo + hi + d + max(d - 1, 0) * it for d, lo, hi, it in zip(x.shape, low, high, interior))
    if out is None:
        out = np.zeros(shape, x.dtype)
    else:
        out.fill(0)
    out[tuple(slice(lo, lo + d + max(d - 1, 0) * it, it + 1)
              for d, lo, it in zip(x.shape, low, interior))] = x
    return out


def _take(x, indices, axis, out=None):
    return np.take(x, indices, axis=axis, out=out)


def _scatter_add(operand, indices, updates, axis, out=None):
    if out is None:
        out = operand.copy()
    elif out is not operand:
        np.copyto(out, operand)
    # np.add.at indexes the first axis: bring the scattered axis, and the index
    # dimensions of the updates, to the front.
    k = indices.ndim
    updates = np.broadcast_to(updates, operand.shape[:axis] + indices.shape + operand.shape[axis + 1:])
    updates = np.moveaxis(updates, list(range(axis, axis + k)), list(range(k)))
    np.add.at(np.moveaxis(out, axis, 0), indices, updates)
    return out


def _one_hot(indices, depth, dtype):
    # Out-of-range indices give all-zero rows, as in JAX and TensorFlow.
    return (indices[..., None] == np.arange(depth)).astype(dtype)


def _cumsum(x, axis, reverse, out=None):
    # dtype: NumPy would widen int32 sums to int64.
    if not reverse:
        return np.cumsum(x, axis=axis, dtype=x.dtype, out=out)
    flipped = np.cumsum(np.flip(x, axis), axis=axis, dtype=x.dtype)
    result = np.flip(flipped, axis)
    if out is None:
        return result
    np.copyto(out, result)
    return out


def _argsort(x, axis):
    return np.argsort(x, axis=axis, kind="stable").astype(np.int32)


def _cast(x, dtype, out=None):
    if out is None:
        return x.astype(dtype)
    np.copyto(out, x, casting="unsafe")
    return out


def _generator(seed, salt):
    seed = np.asarray(seed, dtype=np.uint64).ravel()
    key = [int(s) for s in seed] + [salt & 0xFFFFFFFF]
    return np.random.Generator(np.random.Philox(key=sum(k << (32 * i) for i, k in enumerate(key))))


def _random_uniform(seed, like=None, *, shape, dtype, salt):
    return _generator(seed, salt).random(shape, dtype=np.dtype(dtype))


def _random_normal(seed, like=None, *, shape, dtype, salt):
    return _generator(seed, salt).standard_normal(shape, dtype=np.dtype(dtype))


def _reshape(x, like=None, *, shape):
    return np.reshape(x, shape)


def _broadcast_to(x, like=None, *, shape):
    return np.broadcast_to(x, shape)


def _transpose(x, perm):
    return np.transpose(x, perm)


def _concatenate(*xs, axis, out=None):
    return np.concatenate(xs, axis=axis, out=out)


KERNELS = {
    "neg": np.negative, "exp": np.exp, "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt,
    "rsqrt": _rsqrt, "tanh": np.tanh, "logistic": _logistic, "abs": np.abs, "sign": np.sign,
    "square": np.square, "reciprocal": np.reciprocal, "erf": _erf,
    "sin": np.sin, "cos": np.cos, "floor": np.floor,
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_not": np.logical_not,
    "where": _where,
    "reduce_sum": _reduce(np.sum), "reduce_max": _reduce(np.max), "reduce_min": _reduce(np.min),
    "argmax": _arg(np.argmax), "argmin": _arg(np.argmin),
    "reshape": _reshape, "transpose": _transpose, "broadcast_to": _broadcast_to, "slice": _slice,
    "concatenate": _concatenate, "pad": _pad, "take": _take, "scatter_add": _scatter_add,
    "one_hot": _one_hot, "matmul": np.matmul, "cumsum": _cumsum, "argsort": _argsort,
    "cast": _cast, "stop_gradient": lambda x: x,
    "random_uniform": _random_uniform, "random_normal": _random_normal,
}
KERNELS.update(conv_kernels.KERNELS)  # convolution and pooling: im2col/col2im in conv.py, all take out=
KERNELS.update(control_flow.KERNELS)  # scan: a loop over a body graph (control_flow.py)

# Kernels that return a view of their first input (the executor keeps that input alive).
VIEWS = {"reshape", "transpose", "broadcast_to", "slice", "stop_gradient"}
# Kernels that allocate their own result and take no `out=`.
ALLOCATES = {"argmax", "argmin", "argsort", "one_hot", "random_uniform", "random_normal", "scan"}
WRITES_OUT = set(KERNELS) - VIEWS - ALLOCATES
# Kernels that may write their result over an input of the same shape and dtype: each
# element of the result depends only on the same element of the inputs.
IN_PLACE = {"neg", "exp", "log", "log1p", "sqrt", "rsqrt", "tanh", "logistic", "abs", "sign",
            "square", "reciprocal", "erf", "sin", "cos", "floor",
            "add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2"}
