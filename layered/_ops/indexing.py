"""Indexing ops in `keras.ops` names: gathers along an axis, sorting and selection, one-hot
encodings, scatters and segment reductions. Sorting rests on the `argsort` primitive; the
rest are compositions of gathers, scatter-adds, one-hots and matmuls.
"""
import builtins
import math

import numpy as np

from layered import ops
from layered.graph import build as b
from layered.graph.core import Constant, Tensor, ShapeError, floatx, is_float
from layered.graph.primitives import broadcast_shapes
from layered._ops.array import _axis, _is_value, _position, moveaxis, ravel, swapaxes

__all__ = [
    "take_along_axis", "argsort", "sort", "top_k", "in_top_k", "searchsorted", "one_hot", "multi_hot",
    "scatter", "scatter_update", "segment_sum", "segment_max", "segment_min", "segment_prod", "unique", "select",
    "nonzero", "argpartition", "histogram", "extract_sequences",
]


# ---------------------------------------------------------------- gathers, sorting, selection

def take_along_axis(x, indices, axis=None):
    """Elements of `x` at `indices` along `axis` (NumPy's take_along_axis; -1 counts from the end).

    A gather on the flattened rows: row offsets come from a running count, so an unknown
    batch size works.
    """
    x = b.as_tensor(x)
    indices = b.as_tensor(indices, None if isinstance(indices, Tensor) else "int32")
    if axis is None:
        x, indices, axis = ravel(x), ravel(indices), 0
    axis = _axis(axis, x.ndim)
    if indices.ndim != x.ndim:
        raise ShapeError(f"take_along_axis needs indices of the rank of x, got {indices.shape} and {x.shape}")
    n = x.shape[axis]
    if n is None:
        raise ShapeError(f"take_along_axis needs a known size along axis {axis}, got {x.shape}")
    x, indices = moveaxis(x, axis, -1), moveaxis(b.cast(indices, "int32"), axis, -1)
    lead = broadcast_shapes(x.shape[:-1], indices.shape[:-1])
    k = indices.shape[-1]
    x = _broadcast_lead(x, lead)
    indices = _broadcast_lead(indices, lead)
    indices = b.where(b.less(indices, 0), b.add(indices, n), indices)
    rows_x = ops._reshape_known(x, (-1, n)) if lead else b.reshape(x, (1, n))
    rows_i = ops._reshape_known(indices, (-1, k)) if lead else b.reshape(indices, (1, k))
    offsets = b.mul(_position(rows_i, 0), n)
    picked = b.take(b.reshape(rows_x, (-1,)), b.add(rows_i, offsets), axis=0)
    out = b.reshape(picked, lead + (k,), like=None if list(lead).count(None) <= 1 else indices)
    return moveaxis(out, -1, axis)


def _broadcast_lead(x, lead):
    target = tuple(lead) + x.shape[-1:]
    if target == x.shape:
        return x
    return b.broadcast_to(x, target, like=x if None in target else None)


def argsort(x, axis=-1):
    """The int32 indices that sort `x` along `axis` (stable): the `argsort` primitive; not differentiable."""
    x = b.as_tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    return b.argsort(x, axis)


def sort(x, axis=-1):
    """Ascending along `axis`; differentiable (a gather at the sorting indices)."""
    x = b.as_tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    return take_along_axis(x, b.argsort(b.stop_gradient(x), axis), axis)


def top_k(x, k, sorted=True):
    """(values, indices) of the k largest entries along the last axis; ties go to lower indices."""
    x = b.as_tensor(x)
    n = x.shape[-1]
    if n is not None and not 0 < int(k) <= n:
        raise ShapeError(f"top_k: k={k} must lie in [1, {n}] for shape {x.shape}")
    order = b.argsort(b.neg(b.stop_gradient(x)) if x.dtype != "bool" else b.logical_not(x), -1)
    indices = b.getitem(order, (Ellipsis, builtins.slice(0, int(k))))
    return take_along_axis(x, indices, -1), indices


def in_top_k(targets, predictions, k):
    """Whether each target's score is among the k largest of its row (ties count in favour)."""
    predictions = b.as_tensor(predictions)
    targets = b.cast(b.as_tensor(targets), "int32")
    score = take_along_axis(predictions, b.reshape(targets, (-1, 1)), -1)
    above = b.reduce_sum(b.cast(b.greater(predictions, score), "int32"), -1)
    return b.less(above, int(k))


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices (int32) of `values` in the 1-D ascending `sorted_sequence`; not differentiable."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    seq, values = b._coerce(sorted_sequence, values)
    if seq.ndim != 1:
        raise ShapeError(f"searchsorted needs a 1-D sorted sequence, got {seq.shape}")
    seq, values = b.stop_gradient(seq), b.stop_gradient(values)
    before = b.less if side == "left" else b.less_equal
    expanded = ops.expand_dims(values, -1)
    return b.reduce_sum(b.cast(before(seq, expanded), "int32"), -1)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot vectors of `num_classes` along `axis` (a new one); out-of-range indices give zeros."""
    if isinstance(axis, str):  # the older positional form one_hot(x, depth, dtype)
        axis, dtype = -1, axis
    if sparse:
        raise NotImplementedError("sparse one_hot is not supported; layered tensors are dense")
    out = b.one_hot(b.as_tensor(x), num_classes, dtype or floatx())
    return out if axis == -1 else moveaxis(out, -1, axis)


def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """Per row, 1 for each class that appears among the last axis's indices."""
    x = b.as_tensor(inputs)
    hot = b.one_hot(x, num_classes, "int32")
    out = b.cast(b.reduce_max(hot, hot.ndim - 2), dtype or floatx()) if x.ndim > 1 else \
        b.cast(b.reduce_max(hot, 0), dtype or floatx())
    return out if axis == -1 else moveaxis(out, -1, axis)


def _flat_indices(indices, shape):
    indices = b.cast(b.as_tensor(indices), "int32")
    depth = indices.shape[-1]
    strides = np.int32([math.prod(shape[i + 1:depth]) for i in range(depth)])
    return b.reduce_sum(b.mul(indices, strides), -1), depth


def scatter(indices, values, shape):
    """Zeros of `shape` with `values` added at `indices` (N x depth coordinates)."""
    shape = tuple(int(d) for d in shape)
    values = b.as_tensor(values)
    flat, depth = _flat_indices(indices, shape)
    rows = b.reshape(values, flat.shape + (int(math.prod(shape[depth:])),))
    zeros = b.as_tensor(np.zeros((int(math.prod(shape[:depth])), rows.shape[-1])), values.dtype)
    return b.reshape(b.scatter_add(zeros, flat, rows, 0), shape)


def scatter_update(inputs, indices, updates):
    """`inputs` with the entries (or slices) at `indices` replaced by `updates`."""
    x = b.as_tensor(inputs)
    shape = x.shape
    if None in shape:
        raise ShapeError(f"scatter_update needs a known shape, got {shape}")
    placed = scatter(indices, updates, shape)
    hit = b.greater(scatter(indices, b.ones_like(b.as_tensor(updates, x.dtype)), shape), 0)
    return b.where(hit, b.cast(placed, x.dtype), x)


def _num_segments(segment_ids, num_segments):
    if num_segments is not None:
        return int(num_segments)
    if not _is_value(segment_ids):
        raise ValueError("segment ops on symbolic segment ids need `num_segments`")
    return int(np.max(np.asarray(segment_ids))) + 1


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums of the rows of `data` that share a segment id; ids outside [0, n) are dropped."""
    data = b.as_tensor(data)
    n = _num_segments(segment_ids, num_segments)
    ids = b.cast(b.as_tensor(segment_ids), "int32")
    member = b.one_hot(ids, n, data.dtype)  # (rows, n): out-of-range ids select nothing
    features = int(math.prod(data.shape[1:]))
    rows = ops._reshape_known(data, (data.shape[0], features))
    return ops._reshape_known(b.matmul(swapaxes(member, 0, 1), rows), (n,) + data.shape[1:])


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maxima of the rows of `data` that share a segment id (-inf, or the dtype's minimum, if none)."""
    data = b.as_tensor(data)
    n = _num_segments(segment_ids, num_segments)
    ids = b.cast(b.as_tensor(segment_ids), "int32")
    member = b.one_hot(ids, n, "bool")
    member = b.reshape(b.transpose(member, (1, 0)), (n, -1) + (1,) * (data.ndim - 1))
    lowest = -np.inf if is_float(data.dtype) else np.iinfo(data.dtype).min
    return b.reduce_max(b.where(member, ops.expand_dims(data, 0), lowest), 1)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minima of the rows of `data` that share a segment id (inf, or the dtype's maximum, if none)."""
    return b.neg(segment_max(b.neg(b.as_tensor(data)), segment_ids, num_segments, sorted))


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Products of the rows of `data` that share a segment id (1 if none)."""
    data = b.as_tensor(data)
    n = _num_segments(segment_ids, num_segments)
    member = b.one_hot(b.cast(b.as_tensor(segment_ids), "int32"), n, "bool")
    member = b.reshape(b.transpose(member, (1, 0)), (n, -1) + (1,) * (data.ndim - 1))
    factors = b.where(member, ops.expand_dims(data, 0), b.ones_like(ops.expand_dims(data, 0)))
    return ops.prod(factors, 1)


def unique(x, sorted=True, return_inverse=False, return_counts=False, axis=None, size=None):
    """The distinct values, as a constant: only for values known now (the size depends on them)."""
    if not _is_value(x):
        raise ValueError("unique needs a value known now (its output size depends on the data); "
                         "it cannot run inside a compiled graph")
    result = np.unique(np.asarray(x), return_inverse=return_inverse, return_counts=return_counts, axis=axis)
    if isinstance(result, tuple):
        return tuple(Constant(r.astype(np.int32) if r.dtype == np.int64 else r) for r in result)
    return Constant(result)


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, elementwise; `default` where none does."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select needs as many conditions as choices, got {len(condlist)} and {len(choicelist)}")
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = ops.where(cond, choice, out)
    return b.as_tensor(out)


def nonzero(x):
    """The indices of the nonzero elements, one int32 constant per axis: only for values known now."""
    if not _is_value(x):
        raise ValueError("nonzero needs a value known now (its output size depends on the data)")
    return tuple(Constant(i.astype(np.int32)) for i in np.nonzero(np.asarray(x)))


def argpartition(x, kth, axis=-1):
    """Indices that partition `x` around its kth element along `axis`: here a full (stable) sort,
    which is one valid partition."""
    return argsort(x, axis)


def histogram(x, bins=10, range=None):
    """(counts, bin edges) of the flattened `x` over `bins` equal bins spanning `range` (min to max)."""
    x = ravel(b.as_tensor(x))
    x = x if is_float(x.dtype) else b.cast(x, floatx())
    low, high = (b.reduce_min(x), b.reduce_max(x)) if range is None else (b.as_tensor(range[0], x.dtype),
                                                                           b.as_tensor(range[1], x.dtype))
    span = b.sub(high, low)
    index = b.floor(b.mul(b.div(b.sub(x, low), b.where(b.equal(span, 0.0), b.ones_like(span), span)), float(bins)))
    index = b.cast(b.minimum(index, float(bins - 1)), "int32")  # the last edge belongs to the last bin
    inside = b.logical_and(b.greater_equal(x, low), b.less_equal(x, high))
    counts = b.reduce_sum(b.where(ops.expand_dims(inside, -1), b.one_hot(index, int(bins), x.dtype), 0.0), 0)
    edges = b.add(low, b.mul(span, b.as_tensor(np.linspace(0.0, 1.0, int(bins) + 1), x.dtype)))
    return counts, edges


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` elements every `sequence_stride` along the last axis: (..., frames, length)."""
    x = b.as_tensor(x)
    n = x.shape[-1]
    if n is None or n < sequence_length:
        raise ShapeError(f"extract_sequences needs a known last axis of at least {sequence_length}, got {x.shape}")
    frames = 1 + (n - sequence_length) // sequence_stride
    index = (np.arange(frames)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]).astype(np.int32)
    return b.take(x, index, x.ndim - 1)
