"""User-facing symbolic ops, in Keras 3's `keras.ops` names.

Each is a primitive (from `layered.graph.build`) or a composition of primitives; the
composites (softmax, log_softmax, logsumexp, mean, var, cross-entropies, gelu, ...)
need no VJP rule and no backend code of their own.
"""
import builtins
import math

import numpy as np

from layered.graph import build as b
from layered.graph.autodiff import grad as grad  # noqa: F401  (public: layered.ops.grad)
from layered.graph.build import (abs as abs, add as add,  # noqa: F401
                                 broadcast_to as broadcast_to,
                                 cast as cast, cos as cos, equal as equal, erf as erf, exp as exp,
                                 floor as floor, greater as greater, greater_equal as greater_equal,
                                 less as less, less_equal as less_equal, log as log, log1p as log1p,
                                 logical_and as logical_and, logical_not as logical_not,
                                 logical_or as logical_or, matmul as matmul, maximum as maximum,
                                 minimum as minimum, not_equal as not_equal,
                                 ones_like as ones_like, reciprocal as reciprocal, rsqrt as rsqrt,
                                 sign as sign, sin as sin, sqrt as sqrt, square as square,
                                 stop_gradient as stop_gradient, tanh as tanh,
                                 zeros_like as zeros_like)
from layered.graph.core import Dim
from layered.graph.primitives import normalize_axes
from layered.convolution import (average_pool as average_pool, conv as conv,  # noqa: F401
                                 conv_transpose as conv_transpose, depthwise_conv as depthwise_conv,
                                 max_pool as max_pool, separable_conv as separable_conv)
from layered.graph.scan import scan as scan  # noqa: F401  (keras.ops.scan: a loop primitive)

subtract, multiply, divide, negative, power = b.sub, b.mul, b.div, b.neg, b.pow


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A Tensor as is (cast to `dtype` if given); arrays and numbers become constants."""
    return b.as_tensor(x, dtype)


def take(x, indices, axis=None):
    """Elements of `x` at `indices` along `axis` (of the flattened `x` when None)."""
    x = b.as_tensor(x)
    if axis is None:
        x, axis = b.reshape(x, (-1,)), 0
    return b.take(x, indices, axis)


def _arg_reduce(reduce, x, axis, keepdims):
    x = b.as_tensor(x)
    if axis is None:
        index = reduce(b.reshape(x, (-1,)), 0)
        return b.reshape(index, (1,) * x.ndim) if keepdims else index
    index = reduce(x, axis)
    return expand_dims(index, axis) if keepdims else index


def argmax(x, axis=None, keepdims=False):
    """The int32 index of the largest element along `axis` (of the flattened `x` when None)."""
    return _arg_reduce(b.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """The int32 index of the smallest element along `axis` (of the flattened `x` when None)."""
    return _arg_reduce(b.argmin, x, axis, keepdims)


def where(condition, x1=None, x2=None):
    """`x1` where `condition` holds, else `x2`; a non-bool condition means "nonzero"."""
    if x1 is None or x2 is None:
        raise ValueError("where needs both x1 and x2 (the one-argument form's output size depends on the data)")
    condition = b.as_tensor(condition)
    if condition.dtype != "bool":
        condition = b.not_equal(condition, b.zeros_like(condition))
    return b.where(condition, x1, x2)


def convert_to_numpy(x):
    """A NumPy array from an array, a variable or a tensor that needs no feeding."""
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)
sigmoid = b.logistic


# ---------------------------------------------------------------- shapes

def reshape(x, newshape):
    return b.reshape(x, newshape)


def transpose(x, axes=None):
    return b.transpose(x, axes)


def _own_sizes(x):
    """x's shape with each unknown size as a run-time `Dim` of x: a reshape that only adds or
    drops size-1 axes then works for any number of unknown sizes."""
    if builtins.sum(d is None for d in x.shape) <= 1:  # `sum` is ops.sum here
        return list(x.shape)  # one unknown size: the reshape infers it
    return [Dim(x, i) if d is None else d for i, d in enumerate(x.shape)]


def _reshape_known(x, shape):
    if shape.count(None) > 1:
        raise ValueError(f"cannot reshape {x.shape} to {shape}: more than one unknown dimension")
    return b.reshape(x, shape)


def expand_dims(x, axis):
    """`x` with new size-1 axes at `axis` (an int or a tuple, positions in the result)."""
    x = b.as_tensor(x)
    axes = (axis,) if isinstance(axis, int) or np.ndim(axis) == 0 else tuple(axis)
    rank = x.ndim + len(axes)
    axes = sorted(int(a) % rank for a in axes)
    shape = _own_sizes(x)
    for a in axes:
        shape.insert(a, 1)
    return b.reshape(x, tuple(shape))


def squeeze(x, axis=None):
    x = b.as_tensor(x)
    axes = [i for i, d in enumerate(x.shape) if d == 1] if axis is None else normalize_axes(axis, x.ndim)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"cannot squeeze axis {a} of size {x.shape[a]} in {x.shape}")
    return b.reshape(x, tuple(d for i, d in enumerate(_own_sizes(x)) if i not in axes))


def flatten(x):
    return b.reshape(x, (-1,))


def concatenate(xs, axis=0):
    return b.concatenate(xs, axis)


def stack(xs, axis=0):
    return b.concatenate([expand_dims(x, axis) for x in xs], axis)


def flip(x, axis=None):
    """Reverse the order of the elements along `axis` (every axis when None).

    A gather with reversed indices; along an axis whose size is known only at run time the
    indices come from a scan that counts the steps.
    """
    x = b.as_tensor(x)
    for a in normalize_axes(axis, x.ndim):
        if x.shape[a] is not None:
            index = np.arange(x.shape[a] - 1, -1, -1, dtype=np.int32)
        else:
            steps = b.transpose(x, [a] + [i for i in range(x.ndim) if i != a])
            count, position = scan(lambda c, _: (c + 1, c), np.int32(0), steps)
            index = (count - 1) - position
        x = b.take(x, index, axis=a)
    return x


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad with `pad_width` = [(before, after), ...] per axis (zeros, or a constant)."""
    if not isinstance(mode, str):  # the older positional form pad(x, pad_width, constant_values)
        mode, constant_values = "constant", mode
    if mode != "constant":
        raise NotImplementedError(f"pad mode {mode!r} is not supported; only 'constant'")
    x = b.as_tensor(x)
    pad_width = [(int(p), int(p)) if np.ndim(p) == 0 else p for p in pad_width] if np.ndim(pad_width) else \
        [(int(pad_width), int(pad_width))] * x.ndim
    if len(pad_width) == 1 and x.ndim > 1:
        pad_width = list(pad_width) * x.ndim
    low, high = [int(p[0]) for p in pad_width], [int(p[1]) for p in pad_width]
    out = b.pad(x, low, high)
    if constant_values:
        mask = b.pad(b.ones_like(x), low, high)
        out = b.add(out, b.mul(b.sub(1.0, mask), constant_values))
    return out


def zeros(shape, dtype="float32"):
    """Zeros of `shape`; its entries may be `Dim`s (`ops.shape(x)[0]`), sizes read at run time."""
    return _filled(shape, 0, dtype)


def ones(shape, dtype="float32"):
    return _filled(shape, 1, dtype)


def _filled(shape, value, dtype):
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if builtins.any(isinstance(d, Dim) for d in shape):  # `any` is ops.any below
        return b.broadcast_to(b.as_tensor(np.array(value, dtype or "float32")), shape)
    return b.as_tensor(np.full(shape, value, dtype or "float32"))


# ---------------------------------------------------------------- reductions

def sum(x, axis=None, keepdims=False):
    return b.reduce_sum(x, axis, keepdims)


def max(x, axis=None, keepdims=False):
    return b.reduce_max(x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    return b.reduce_min(x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    x = b.as_tensor(x)
    axes = normalize_axes(axis, x.ndim)
    total = b.reduce_sum(x, axes, keepdims)
    dims = [x.shape[a] for a in axes]
    if None in dims:
        # The count is known only at run time: sum a broadcast 1 over the same axes.
        return b.div(total, b.reduce_sum(b.ones_like(x), axes, keepdims))
    return b.div(total, float(math.prod(dims)))


def var(x, axis=None, keepdims=False):
    centred = b.sub(x, mean(x, axis, keepdims=True))
    return mean(b.square(centred), axis, keepdims)


def std(x, axis=None, keepdims=False):
    return b.sqrt(var(x, axis, keepdims))


def logsumexp(x, axis=None, keepdims=False):
    # Shift by the (gradient-free) maximum so exp never overflows.
    shift = b.stop_gradient(b.reduce_max(x, axis, True))
    result = b.add(b.log(b.reduce_sum(b.exp(b.sub(x, shift)), axis, True)), shift)
    return result if keepdims else squeeze(result, normalize_axes(axis, result.ndim))


# ---------------------------------------------------------------- activations

def relu(x):
    return b.maximum(x, 0.0)


def softplus(x):
    # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), stable for large |x|.
    return b.add(b.maximum(x, 0.0), b.log1p(b.exp(b.neg(b.abs(x)))))


def softmax(x, axis=-1):
    shifted = b.sub(x, b.stop_gradient(b.reduce_max(x, axis, True)))
    e = b.exp(shifted)
    return b.div(e, b.reduce_sum(e, axis, True))


def log_softmax(x, axis=-1):
    return b.sub(x, logsumexp(x, axis, keepdims=True))


def gelu(x, approximate=True):
    """Gaussian error linear unit; `approximate` uses the tanh form (Keras's default)."""
    if approximate:
        inner = b.mul(b.add(x, b.mul(b.pow(x, 3.0), 0.044715)), math.sqrt(2.0 / math.pi))
        return b.mul(b.mul(x, 0.5), b.add(b.tanh(inner), 1.0))
    return b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, 1.0 / math.sqrt(2.0))), 1.0))


def ceil(x):
    """The smallest integer not below `x`, as `-floor(-x)`."""
    return b.neg(b.floor(b.neg(x)))


def clip(x, x_min, x_max):
    return b.minimum(b.maximum(x, x_min), x_max)


# ---------------------------------------------------------------- losses as ops

def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample cross-entropy between one-hot (or soft) targets and predictions."""
    if from_logits:
        log_p = log_softmax(output, axis)
    else:
        probs = b.div(output, b.reduce_sum(output, axis, True))
        log_p = b.log(clip(probs, 1e-7, 1.0 - 1e-7))
    return b.neg(b.reduce_sum(b.mul(target, log_p), axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample cross-entropy between integer labels and predictions."""
    output = b.as_tensor(output)
    depth = output.shape[axis]
    return categorical_crossentropy(b.one_hot(target, depth, output.dtype), output, from_logits, axis)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy."""
    if from_logits:
        # max(z, 0) - z * t + log(1 + exp(-|z|)), stable for any logit z.
        return b.sub(softplus(output), b.mul(output, target))
    p = clip(output, 1e-7, 1.0 - 1e-7)
    return b.neg(b.add(b.mul(target, b.log(p)), b.mul(b.sub(1.0, target), b.log(b.sub(1.0, p)))))


# ---------------------------------------------------------------- truth reductions, moments, repetition
# (for the normalization, attention and reshaping layers; `any`/`all` shadow the builtins
# below this point, as `sum`/`max`/`min` do above)

def any(x, axis=None, keepdims=False):
    """Whether any element along `axis` is true (nonzero); a bool tensor."""
    x = b.as_tensor(x)
    truth = x if x.dtype == "bool" else b.not_equal(x, 0)
    return b.greater(b.reduce_max(b.cast(truth, "int32"), axis, keepdims), 0)


def all(x, axis=None, keepdims=False):
    """Whether every element along `axis` is true (nonzero); a bool tensor."""
    x = b.as_tensor(x)
    truth = x if x.dtype == "bool" else b.not_equal(x, 0)
    return b.greater(b.reduce_min(b.cast(truth, "int32"), axis, keepdims), 0)


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of `x` over `axes`; the variance is the biased one, as Keras computes it."""
    centre = mean(x, axes, keepdims=True)
    variance = mean(b.square(b.sub(x, centre)), axes, keepdims=True)
    if keepdims:
        return centre, variance
    dropped = normalize_axes(axes, b.as_tensor(x).ndim)
    return squeeze(centre, dropped), squeeze(variance, dropped)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its L2 norm along `axis`; the norm is bounded below by `epsilon` (1e-7)."""
    if order != 2:
        raise NotImplementedError(f"normalize supports order=2 only, got order={order}")
    epsilon = 1e-7 if epsilon is None else float(epsilon)
    squares = b.reduce_sum(b.square(x), axis, True)
    return b.mul(x, b.rsqrt(b.maximum(squares, epsilon * epsilon)))


def repeat(x, repeats, axis=None):
    """Each element of `x` repeated `repeats` (an int) times along `axis` (flattened when None).

    Example:
        ops.repeat(x, 2, axis=1)  # (b, 3, c) -> (b, 6, c), rows [0, 0, 1, 1, 2, 2]
    """
    x = b.as_tensor(x)
    if axis is None:
        x, axis = flatten(x), 0
    axis = normalize_axes(axis, x.ndim)[0]
    # Insert a unit axis after `axis`, broadcast it to `repeats`, then merge the two.
    spread = expand_dims(x, axis + 1)
    target = spread.shape[:axis + 1] + (int(repeats),) + spread.shape[axis + 2:]
    spread = b.broadcast_to(spread, target, like=spread if None in target else None)
    size = x.shape[axis]
    return _reshape_known(spread, x.shape[:axis] + (None if size is None else size * int(repeats),)
                          + x.shape[axis + 1:])


# ---------------------------------------------------------------- the rest of keras.ops
# One module per concern under layered/_ops; each lists its public names in `__all__`.
# Imported last: they build on the ops above.
from layered._ops.array import *  # noqa: E402,F401,F403
from layered._ops.indexing import *  # noqa: E402,F401,F403
from layered._ops.math import *  # noqa: E402,F401,F403
from layered._ops.statistics import *  # noqa: E402,F401,F403
from layered._ops.reshaping import *  # noqa: E402,F401,F403
from layered._ops.einsum import einsum as einsum  # noqa: E402,F401
from layered._ops.nn import *  # noqa: E402,F401,F403
from layered._ops.control import *  # noqa: E402,F401,F403
from layered._ops import nn as nn  # noqa: E402,F401  (keras.ops.nn)
