"""Thin wrappers that add primitive nodes: the vocabulary of VJP rules and of `ops`.

They convert Python numbers and arrays to constants (a Python number takes the dtype of
the tensor it meets, as in Keras), promote mixed dtypes, normalise axes and slices, and
call `bind`. Each returns a `Tensor`.
"""
import builtins
import math
import numbers

import numpy as np

from layered.graph.core import Constant, Dim, ShapeError, Tensor, canonical_dtype, is_float
from layered.graph.primitives import PRIMITIVES, bind, normalize_axes

P = PRIMITIVES


def as_tensor(value, dtype=None):
    """A Tensor as is; anything else becomes a Constant (of `dtype` when given)."""
    if isinstance(value, Tensor):
        return value if dtype is None or value.dtype == canonical_dtype(dtype) else cast(value, dtype)
    return Constant(value, dtype=dtype)


def _promote(dtype_a, dtype_b):
    """Mixed dtypes meet at the float one; two floats or two ints at the wider one."""
    if is_float(dtype_a) != is_float(dtype_b):
        return dtype_a if is_float(dtype_a) else dtype_b
    return canonical_dtype(np.promote_types(dtype_a, dtype_b))


def _coerce(*values):
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not tensors:
        values = [Constant(v) for v in values]
        tensors = values
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = _promote(dtype, t.dtype)
    for v in values:  # an array constant (not a bare number) takes part in promotion too
        if not isinstance(v, (Tensor, numbers.Number)):
            dtype = _promote(dtype, np.asarray(v).dtype.name)
    return [as_tensor(v, dtype) for v in values]


def _unary(name):
    def apply(x):
        return bind(P[name], [as_tensor(x)])
    apply.__name__ = name
    return apply


def _nary(name):
    def apply(*xs):
        return bind(P[name], _coerce(*xs))
    apply.__name__ = name
    return apply


neg, exp, log, log1p, sqrt, rsqrt, tanh, logistic, abs, sign, square, reciprocal, erf, sin, cos, floor = (
    _unary(n) for n in ("neg", "exp", "log", "log1p", "sqrt", "rsqrt", "tanh", "logistic", "abs",
                        "sign", "square", "reciprocal", "erf", "sin", "cos", "floor"))
add, sub, mul, div, pow, maximum, minimum, atan2 = (
    _nary(n) for n in ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2"))
equal, not_equal, less, less_equal, greater, greater_equal = (
    _nary(n) for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"))
logical_and, logical_or = _nary("logical_and"), _nary("logical_or")
logical_not = _unary("logical_not")
stop_gradient = _unary("stop_gradient")


def where(condition, x, y):
    x, y = _coerce(x, y)
    return bind(P["where"], [as_tensor(condition), x, y])


def _reduce(name):
    def apply(x, axes=None, keepdims=False):
        x = as_tensor(x)
        return bind(P[name], [x], axes=normalize_axes(axes, x.ndim), keepdims=bool(keepdims))
    apply.__name__ = name
    return apply


reduce_sum, reduce_max, reduce_min = (_reduce(n) for n in ("reduce_sum", "reduce_max", "reduce_min"))


def argmax(x, axis=-1):
    x = as_tensor(x)
    return bind(P["argmax"], [x], axis=normalize_axes(axis, x.ndim)[0])


def argmin(x, axis=-1):
    x = as_tensor(x)
    return bind(P["argmin"], [x], axis=normalize_axes(axis, x.ndim)[0])


def _shape_and_like(shape, like):
    """A shape tuple with None for unknown sizes, and the tensor to read those from: `like`,
    or, for `Dim` entries (from `ops.shape`), a small tensor built from their sources."""
    shape = tuple(shape.shape if isinstance(shape, Tensor) else shape)
    dims = [(i, d) for i, d in enumerate(shape) if isinstance(d, Dim)]
    shape = tuple(None if d is None or isinstance(d, Dim) else int(d) for d in shape)
    if dims and like is None:
        like = dims_reference(dims, len(shape))
    return shape, like


def dims_reference(dims, rank):
    """A tensor of rank `rank` whose size at each position i of `dims` = [(i, Dim), ...] is that
    Dim's run-time size (1 elsewhere): one element of the source per Dim, broadcast together."""
    reference = None
    for i, dim in dims:
        source = dim.tensor
        starts = [0] * source.ndim
        stops = [None if a == dim.axis else 1 for a in range(source.ndim)]
        for a, d in enumerate(source.shape):  # other unknown axes can only be sliced whole: reduce them
            if d is None and a != dim.axis:
                stops[a] = None
        piece = slice(source, starts, stops)
        others = tuple(a for a, d in enumerate(source.shape) if d is None and a != dim.axis)
        if others:
            piece = reduce_max(piece, others, keepdims=True)
        target = tuple(-1 if j == i else 1 for j in range(rank))
        piece = bind(P["reshape"], [piece], shape=target)
        reference = piece if reference is None else add(reference, piece)
    return reference


def reshape(x, shape, like=None):
    """Reshape; a None in `shape` is taken from `like` (or inferred when it is the only one)."""
    x = as_tensor(x)
    shape = _resolve_minus_one(x, shape)
    shape, like = _shape_and_like(shape, like)
    if like is None and None in shape:
        if shape.count(None) == 1 and -1 not in shape:
            shape = tuple(-1 if d is None else d for d in shape)
        else:
            raise ShapeError(f"reshape of {x.shape} to {shape}: unknown dimensions need a reference tensor")
    if shape == x.shape and None not in shape:
        return x
    inputs = [x] if like is None else [x, like]
    return bind(P["reshape"], inputs, shape=shape)


def _resolve_minus_one(x, shape):
    """Keras's `reshape(x, (ops.shape(x)[0], -1, ...))`: when the target has as many run-time
    sizes as `x` (Keras code takes them from `x` or a tensor of the same batch), they are taken
    to be x's, and the -1 is a known size (a wrong guess fails when the graph runs)."""
    if isinstance(shape, Tensor):
        return shape
    shape = tuple(shape)
    dims = [d for d in shape if isinstance(d, Dim)]
    if -1 not in shape or not dims or len(dims) != x.shape.count(None) or None in shape:
        return shape
    known_in = math.prod(d for d in x.shape if d is not None)
    known_out = math.prod(int(d) for d in shape if not isinstance(d, Dim) and d != -1)
    if known_out == 0 or known_in % known_out:
        raise ShapeError(f"cannot reshape {x.shape} into {shape}")
    return tuple(known_in // known_out if not isinstance(d, Dim) and d == -1 else d for d in shape)


def broadcast_to(x, shape, like=None):
    """Broadcast to `shape`; a None in `shape` is taken from `like`."""
    x = as_tensor(x)
    shape, like = _shape_and_like(shape, like)
    inputs = [x] if like is None else [x, like]
    return bind(P["broadcast_to"], inputs, shape=shape)


def full_like(x, value, dtype=None):
    """A tensor of `x`'s shape filled with `value` (unknown dimensions follow `x`)."""
    return broadcast_to(Constant(value, dtype=dtype or x.dtype), x.shape, like=x)


def zeros_like(x, dtype=None):
    return full_like(x, 0, dtype)


def ones_like(x, dtype=None):
    return full_like(x, 1, dtype)


def transpose(x, perm=None):
    x = as_tensor(x)
    perm = tuple(reversed(range(x.ndim))) if perm is None else tuple(int(p) % max(x.ndim, 1) for p in perm)
    return bind(P["transpose"], [x], perm=perm)


def swap_last_axes(x):
    perm = list(range(x.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return transpose(x, perm)


def slice(x, starts, stops, steps=None):
    """Strided slice with non-negative starts, stops and steps per axis (stops clipped)."""
    x = as_tensor(x)
    steps = steps or (1,) * x.ndim
    for d, start, stop, step in zip(x.shape, starts, stops, steps):
        if step < 1:
            raise ShapeError(f"slice steps must be positive, got {step}")
        if d is None and (start, stop, step) != (0, None, 1):
            raise ShapeError(f"cannot slice an axis of unknown size of {x.shape} with {start}:{stop}:{step}")
    return bind(P["slice"], [x], starts=tuple(starts), stops=tuple(stops), steps=tuple(steps))


def getitem(x, key):
    """Basic indexing: ints, slices (negative steps on axes of known size), None and Ellipsis."""
    if not isinstance(key, tuple):
        key = (key,)
    n_real = sum(k is not None and k is not Ellipsis for k in key)
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if ellipses:
        at = ellipses[0]
        key = key[:at] + (builtins.slice(None),) * (x.ndim - n_real) + key[at + 1:]
    else:
        key = key + (builtins.slice(None),) * (x.ndim - n_real)
    starts, stops, steps, final_shape, axis = [], [], [], [], 0
    reversed_axes = []  # positions in the result of axes sliced with a negative step
    for k in key:
        if k is None:
            final_shape.append(1)
            continue
        if axis >= x.ndim:
            raise ShapeError(f"too many indices for shape {x.shape}")
        d = x.shape[axis]
        if isinstance(k, numbers.Integral):
            if d is None:
                raise ShapeError(f"cannot index axis {axis} of unknown size of {x.shape} with an integer")
            if not -d <= k < d:
                raise ShapeError(f"index {k} is out of range for axis {axis} of size {d} in {x.shape}")
            k = int(k) % d
            starts.append(k), stops.append(k + 1), steps.append(1)
        elif isinstance(k, builtins.slice):
            if d is None:
                if k != builtins.slice(None):
                    raise ShapeError(f"cannot slice axis {axis} of unknown size of {x.shape}")
                starts.append(0), stops.append(None), steps.append(1)
            else:
                start, stop, step = k.indices(d)
                if step < 0:  # the same elements taken forwards, then reversed by a gather
                    picked = range(start, stop, step)
                    start, stop, step = (picked[-1], picked[0] + 1, -step) if len(picked) else (0, 0, 1)
                    reversed_axes.append(len(final_shape))
                starts.append(start), stops.append(max(stop, start)), steps.append(step)
            final_shape.append(None if d is None else len(range(starts[-1], stops[-1], steps[-1])))
        else:
            raise TypeError(f"unsupported index {k!r}; use layered.ops.take for integer arrays")
        axis += 1
    out = x
    if (tuple(starts), tuple(stops), tuple(steps)) != (tuple([0] * x.ndim), tuple(x.shape), tuple([1] * x.ndim)):
        out = slice(x, starts, stops, steps)
    if tuple(final_shape) != out.shape:
        out = reshape(out, final_shape, like=None if final_shape.count(None) <= 1 else out)
    for a in reversed_axes:
        out = take(out, np.arange(out.shape[a] - 1, -1, -1, dtype=np.int32), axis=a)
    return out


def concatenate(xs, axis=0):
    xs = _coerce(*xs)
    return bind(P["concatenate"], xs, axis=normalize_axes(axis, xs[0].ndim)[0])


def pad(x, low, high, interior=None):
    """Pad with zeros: `low`/`high` before/after each axis, `interior` between elements."""
    x = as_tensor(x)
    interior = interior or (0,) * x.ndim
    if min(low) < 0 or min(high) < 0 or min(interior) < 0:
        raise ShapeError(f"pad widths must be non-negative, got {low}, {high}, {interior}")
    return bind(P["pad"], [x], low=tuple(low), high=tuple(high), interior=tuple(interior))


def take(x, indices, axis=0):
    x = as_tensor(x)
    indices = as_tensor(indices, None if isinstance(indices, Tensor) else "int32")
    return bind(P["take"], [x, indices], axis=normalize_axes(axis, x.ndim)[0])


def scatter_add(operand, indices, updates, axis=0):
    operand, updates = _coerce(operand, updates)
    indices = as_tensor(indices, None if isinstance(indices, Tensor) else "int32")
    return bind(P["scatter_add"], [operand, indices, updates], axis=normalize_axes(axis, operand.ndim)[0])


def one_hot(indices, depth, dtype="float32"):
    return bind(P["one_hot"], [as_tensor(indices)], depth=int(depth), dtype=canonical_dtype(dtype))


def matmul(a, b):
    return bind(P["matmul"], _coerce(a, b))


def cumsum(x, axis=0, reverse=False):
    """Running sums along `axis` (from the last element backwards when `reverse`)."""
    x = as_tensor(x)
    return bind(P["cumsum"], [x], axis=normalize_axes(axis, x.ndim)[0], reverse=bool(reverse))


def argsort(x, axis=-1):
    """The int32 indices that sort `x` along `axis` ascending; ties keep their order."""
    x = as_tensor(x)
    return bind(P["argsort"], [x], axis=normalize_axes(axis, x.ndim)[0])


def cast(x, dtype):
    x = as_tensor(x)
    dtype = canonical_dtype(dtype)
    return x if x.dtype == dtype else bind(P["cast"], [x], dtype=dtype)


def _random(name):
    def apply(seed, shape, dtype="float32", salt=0, like=None):
        shape, like = _shape_and_like(shape, like)
        # `like` only lends its run-time shape: no gradient flows through it.
        inputs = [as_tensor(seed, "uint32")] + ([] if like is None else [stop_gradient(like)])
        return bind(P[name], inputs, shape=shape, dtype=canonical_dtype(dtype), salt=int(salt))
    apply.__name__ = name
    return apply


random_uniform, random_normal = _random("random_uniform"), _random("random_normal")


# ---------------------------------------------------------------- convolution and pooling
# Attributes are normalised to tuples (one entry per spatial axis; padding as (low, high)
# pairs) so that equal nodes compare equal in CSE.

def _per_axis(value, n):
    value = (value,) * n if isinstance(value, numbers.Integral) else tuple(value)
    return tuple(int(v) for v in value)


def _pairs(padding, n):
    if len(padding) != n:
        raise ShapeError(f"padding {padding} needs one (low, high) pair per spatial axis ({n})")
    return tuple((int(lo), int(hi)) for lo, hi in padding)


def _conv_attrs(n, strides, padding, rhs_dilation, feature_group_count):
    return dict(strides=_per_axis(strides, n), padding=_pairs(padding, n),
                rhs_dilation=_per_axis(rhs_dilation, n), feature_group_count=int(feature_group_count))


def conv(x, w, strides=1, padding=None, rhs_dilation=1, feature_group_count=1):
    """N-d channels-last convolution (cross-correlation): x (batch, *spatial, in), w
    (*window, in / groups, out); `padding` holds explicit (low, high) pairs (default none)."""
    x, w = _coerce(x, w)
    n = x.ndim - 2
    padding = ((0, 0),) * n if padding is None else padding
    return bind(P["conv"], [x, w], **_conv_attrs(n, strides, padding, rhs_dilation, feature_group_count))


def conv_backprop_input(g, w, shape, strides=1, padding=None, rhs_dilation=1, feature_group_count=1, like=None):
    """The conv's input cotangent from its output cotangent `g`; `shape` is the input's shape
    (None sizes taken from `like`). Also the transposed convolution."""
    g, w = _coerce(g, w)
    n = g.ndim - 2
    padding = ((0, 0),) * n if padding is None else padding
    shape = tuple(None if d is None else int(d) for d in shape)
    inputs = [g, w] if like is None else [g, w, like]
    return bind(P["conv_backprop_input"], inputs, shape=shape,
                **_conv_attrs(n, strides, padding, rhs_dilation, feature_group_count))


def conv_backprop_filter(x, g, window, strides=1, padding=None, rhs_dilation=1, feature_group_count=1):
    """The conv's filter cotangent from its input `x` and output cotangent `g`; `window` is
    the filter's spatial shape."""
    x, g = _coerce(x, g)
    n = x.ndim - 2
    padding = ((0, 0),) * n if padding is None else padding
    return bind(P["conv_backprop_filter"], [x, g], window=_per_axis(window, n),
                **_conv_attrs(n, strides, padding, rhs_dilation, feature_group_count))


def _pool_attrs(n, window, strides, padding):
    padding = ((0, 0),) * n if padding is None else padding
    window = _per_axis(window, n)
    return dict(window=window, strides=window if strides is None else _per_axis(strides, n),
                padding=_pairs(padding, n))


def max_pool(x, window, strides=None, padding=None):
    """Max over windows of the spatial axes; padding counts as -inf."""
    x = as_tensor(x)
    return bind(P["max_pool"], [x], **_pool_attrs(x.ndim - 2, window, strides, padding))


def max_pool_backprop(x, y, g, window, strides=None, padding=None):
    """Routes each window's cotangent `g` to the first (row-major) element of the window
    that equals the pooled maximum `y`."""
    x, g = _coerce(x, g)
    return bind(P["max_pool_backprop"], [x, as_tensor(y), g], **_pool_attrs(x.ndim - 2, window, strides, padding))


def avg_pool(x, window, strides=None, padding=None):
    """Mean over windows of the spatial axes; padding is left out of each window's count."""
    x = as_tensor(x)
    return bind(P["avg_pool"], [x], **_pool_attrs(x.ndim - 2, window, strides, padding))


def avg_pool_backprop(g, shape, window, strides=None, padding=None, like=None):
    """Spreads each window's cotangent evenly over its real elements; `shape` is the input's."""
    g = as_tensor(g)
    shape = tuple(None if d is None else int(d) for d in shape)
    inputs = [g] if like is None else [g, like]
    return bind(P["avg_pool_backprop"], inputs, shape=shape, **_pool_attrs(g.ndim - 2, window, strides, padding))
