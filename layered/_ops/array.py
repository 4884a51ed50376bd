"""Array ops in `keras.ops` names: creation, shape queries, structure, indexing, sorting.

Compositions of primitives (`layered.graph.build`); sorting and running sums rest on the
`argsort` and `cumsum` primitives. Creation ops with Python arguments build constants.
"""
import builtins
import math
import numbers

import numpy as np

from layered import ops
from layered.graph import build as b
from layered.graph.core import Constant, Dim, Placeholder, ShapeError, Tensor, canonical_dtype, floatx, is_float
from layered.graph.graph import leaves
from layered.graph.primitives import normalize_axes

__all__ = [
    "arange", "eye", "identity", "tri", "full", "full_like", "empty", "empty_like", "linspace",
    "shape", "ndim", "size", "dtype", "is_tensor", "copy", "get_item", "slice", "slice_update",
    "swapaxes", "moveaxis", "ravel", "unstack", "split", "array_split", "tile", "roll", "append",
    "hstack", "vstack", "meshgrid", "tril", "triu", "diagonal", "trace", "diag",
    "cumsum", "cumprod", "prod",
]

_INT_KINDS = "iub"


def _axis(axis, ndim):
    return normalize_axes(axis, ndim)[0]


def _is_value(x):
    """Whether `x` needs no feeding (so it has a value now, as in eager Keras)."""
    if not isinstance(x, Tensor):
        return True
    return not builtins.any(isinstance(t, Placeholder) for t in leaves([x]))


# ---------------------------------------------------------------- creation

def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop); int32 for integer arguments, floatx otherwise.

    Example:
        ops.arange(4)  # [0, 1, 2, 3]
    """
    if isinstance(start, Dim) or isinstance(stop, Dim):
        return _arange_of_dim(start, stop, step, dtype)
    values = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
    if dtype is None:
        dtype = "int32" if values.dtype.kind in _INT_KINDS else floatx()
    return Constant(values.astype(canonical_dtype(dtype)))


def _arange_of_dim(start, stop, step, dtype):
    """arange up to a size known at run time (a `Dim`): a running count along its axis."""
    if stop is None:
        start, stop = 0, start
    if isinstance(start, Dim) or step != 1:
        raise ValueError("arange over a run-time size supports arange(n) and arange(start, n) only")
    count = b.sub(b.cumsum(b.ones_like(b.dims_reference([(0, stop)], 1), "int32"), 0), 1 - int(start))
    return count if dtype is None else b.cast(count, dtype)


def eye(N, M=None, k=0, dtype=None):
    """An N x M matrix with ones on the k-th diagonal."""
    return Constant(np.eye(int(N), None if M is None else int(M), int(k), dtype=dtype or floatx()))


def identity(n, dtype=None):
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the k-th diagonal of an N x M matrix."""
    return Constant(np.tri(int(N), None if M is None else int(M), int(k), dtype=dtype or floatx()))


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` (ints or `Dim`s) filled with `fill_value`."""
    fill = b.as_tensor(fill_value, dtype)
    if dtype is None and not isinstance(fill_value, Tensor) and isinstance(fill_value, builtins.int):
        fill = b.as_tensor(fill_value, "int32")
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return b.broadcast_to(fill, shape)


def full_like(x, fill_value, dtype=None):
    """A tensor of x's shape filled with `fill_value`."""
    x = b.as_tensor(x)
    return b.broadcast_to(b.as_tensor(fill_value, dtype or x.dtype), x.shape, like=x if None in x.shape else None)


def empty(shape, dtype=None):
    """Zeros of `shape` (tensors are never uninitialised)."""
    return ops.zeros(shape, dtype or floatx())


def empty_like(x, dtype=None):
    """Zeros of x's shape."""
    return b.zeros_like(b.as_tensor(x), dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop`; tensor ends broadcast (new axis `axis`)."""
    num = int(num)
    divisions = (num - 1) if endpoint else num
    fractions = np.arange(num, dtype=np.float64) / builtins.max(divisions, 1)
    if not isinstance(start, Tensor) and not isinstance(stop, Tensor):
        values = np.asarray(start) + (np.asarray(stop) - np.asarray(start)) * np.expand_dims(
            fractions, tuple(range(1, 1 + np.ndim(np.broadcast(start, stop)))))
        result = Constant(np.moveaxis(values, 0, axis).astype(dtype or floatx()))
        step = (np.asarray(stop) - np.asarray(start)) / builtins.max(divisions, 1)
    else:
        start, stop = b._coerce(start, stop)
        if not is_float(start.dtype):
            start, stop = b.cast(start, floatx()), b.cast(stop, floatx())
        span = b.sub(stop, start)
        frac = b.as_tensor(fractions.reshape((num,) + (1,) * span.ndim), span.dtype)
        result = moveaxis(b.add(start, b.mul(span, frac)), 0, axis)
        result = b.cast(result, dtype) if dtype else result
        step = b.div(span, float(builtins.max(divisions, 1)))
    return (result, step) if retstep else result


# ---------------------------------------------------------------- queries

def shape(x):
    """The shape as a tuple: ints where known when the graph is built, and a `Dim` (the size
    read at run time) elsewhere, which shape arguments of other ops accept.

    Example:
        ops.reshape(x, (ops.shape(x)[0], -1, heads, depth))
    """
    if not isinstance(x, Tensor):
        return np.shape(x)
    return tuple(Dim(x, a) if d is None else d for a, d in enumerate(x.shape))


def ndim(x):
    """The rank."""
    return len(x.shape) if isinstance(x, Tensor) else np.ndim(x)


def size(x):
    """The number of elements: an int when known, else an int32 scalar tensor."""
    dims = x.shape if isinstance(x, Tensor) else np.shape(x)
    if None not in dims:
        return int(math.prod(dims))
    return b.reduce_sum(b.ones_like(x, "int32"))


def dtype(x):
    """The dtype's name ('float32', 'int32', ...)."""
    return x.dtype if isinstance(x, Tensor) else canonical_dtype(np.asarray(x).dtype)


def is_tensor(x):
    """Whether `x` is a layered Tensor."""
    return isinstance(x, Tensor)


def copy(x):
    """`x` as a tensor (tensors are immutable: no copy is needed)."""
    return b.as_tensor(x)


def get_item(x, key):
    """`x[key]` (basic indexing)."""
    return b.getitem(b.as_tensor(x), key)


def slice(inputs, start_indices, shape):
    """The block of `shape` starting at `start_indices` (Python ints)."""
    x = b.as_tensor(inputs)
    starts = [int(s) for s in np.asarray(start_indices.numpy() if isinstance(start_indices, Tensor)
                                          else start_indices)]
    if len(starts) != x.ndim or len(shape) != x.ndim:
        raise ShapeError(f"slice of {x.shape} needs {x.ndim} start indices and sizes, got {starts} and {shape}")
    stops = [None if (d is None and n in (None, -1)) else (s + int(n) if n not in (None, -1) else d)
             for s, n, d in zip(starts, shape, x.shape)]
    return b.slice(x, starts, stops)


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates` (static sizes)."""
    x, updates = b._coerce(inputs, updates)
    starts = [int(s) for s in np.asarray(start_indices)]
    if None in x.shape or None in updates.shape:
        raise ShapeError(f"slice_update needs known shapes, got {x.shape} and {updates.shape}")
    high = [d - s - u for d, s, u in zip(x.shape, starts, updates.shape)]
    if builtins.min(high, default=0) < 0 or builtins.min(starts, default=0) < 0:
        raise ShapeError(f"updates of shape {updates.shape} at {tuple(starts)} do not fit in {x.shape}")
    inside = b.pad(b.ones_like(updates, "bool"), starts, high)
    return b.where(inside, b.pad(updates, starts, high), x)


# ---------------------------------------------------------------- structure

def swapaxes(x, axis1, axis2):
    """`x` with two axes exchanged."""
    x = b.as_tensor(x)
    perm = list(range(x.ndim))
    a, c = _axis(axis1, x.ndim), _axis(axis2, x.ndim)
    perm[a], perm[c] = perm[c], perm[a]
    return b.transpose(x, perm)


def moveaxis(x, source, destination):
    """`x` with axes moved from `source` to `destination`, the others in order."""
    x = b.as_tensor(x)
    source = [_axis(a, x.ndim) for a in np.atleast_1d(source)]
    destination = [_axis(a, x.ndim) for a in np.atleast_1d(destination)]
    if len(source) != len(destination):
        raise ShapeError(f"moveaxis needs as many sources as destinations, got {source} and {destination}")
    rest = [a for a in range(x.ndim) if a not in source]
    perm = [None] * x.ndim
    for s, d in zip(source, destination):
        perm[d] = s
    for i in range(x.ndim):
        if perm[i] is None:
            perm[i] = rest.pop(0)
    return x if perm == list(range(x.ndim)) else b.transpose(x, perm)


def ravel(x):
    """`x` flattened to one axis."""
    return b.reshape(x, (-1,))


def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list."""
    x = b.as_tensor(x)
    axis = _axis(axis, x.ndim)
    n = x.shape[axis]
    if n is None:
        raise ShapeError(f"unstack needs a known size along axis {axis}, got {x.shape}")
    index = (builtins.slice(None),) * axis
    return [b.getitem(x, index + (i,)) for i in range(n)]


def _split_points(n, indices_or_sections, even):
    if isinstance(indices_or_sections, numbers.Integral):
        sections = int(indices_or_sections)
        if even and n % sections:
            raise ShapeError(f"an axis of size {n} does not split into {sections} equal sections")
        base, extra = divmod(n, sections)
        sizes = [base + (i < extra) for i in range(sections)]
        return list(np.cumsum([0] + sizes))
    return [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]


def split(x, indices_or_sections, axis=0):
    """Pieces of `x` along `axis`: `sections` equal ones, or cut before the given indices."""
    return _split(x, indices_or_sections, axis, even=True)


def array_split(x, indices_or_sections, axis=0):
    """As `split`, but sections may differ in size by one (the first ones are longer)."""
    return _split(x, indices_or_sections, axis, even=False)


def _split(x, indices_or_sections, axis, even):
    x = b.as_tensor(x)
    axis = _axis(axis, x.ndim)
    n = x.shape[axis]
    if n is None:
        raise ShapeError(f"split needs a known size along axis {axis}, got {x.shape}")
    points = _split_points(n, indices_or_sections, even)
    pieces = []
    for start, stop in zip(points[:-1], points[1:]):
        starts, stops = [0] * x.ndim, list(x.shape)
        starts[axis], stops[axis] = int(start), builtins.max(int(stop), int(start))
        pieces.append(b.slice(x, starts, stops))
    return pieces


def tile(x, repeats):
    """`x` repeated `repeats[i]` times along each axis (leading axes added as needed)."""
    x = b.as_tensor(x)
    repeats = [int(r) for r in np.atleast_1d(repeats)]
    if len(repeats) > x.ndim:
        x = b.reshape(x, (1,) * (len(repeats) - x.ndim) + x.shape)
    repeats = [1] * (x.ndim - len(repeats)) + repeats
    for axis, r in enumerate(repeats):
        if r == 1:
            continue
        d = x.shape[axis]
        spread = ops.expand_dims(x, axis)
        target = spread.shape[:axis] + (r,) + spread.shape[axis + 1:]
        spread = b.broadcast_to(spread, target, like=spread if None in target else None)
        x = ops._reshape_known(spread, x.shape[:axis] + (None if d is None else d * r,) + x.shape[axis + 1:])
    return x


def roll(x, shift, axis=None):
    """Elements shifted by `shift` along `axis` (of the flattened array when None), wrapping."""
    x = b.as_tensor(x)
    if axis is None:
        return b.reshape(roll(ravel(x), shift, 0), x.shape, like=x if None in x.shape else None)
    shifts, axes = np.broadcast_arrays(np.atleast_1d(shift), np.atleast_1d(axis))
    for s, a in zip(shifts, axes):
        a = _axis(int(a), x.ndim)
        n = x.shape[a]
        if n is None:
            raise ShapeError(f"roll needs a known size along axis {a}, got {x.shape}")
        s = int(s) % n if n else 0
        if s:
            head, tail = _split(x, [n - s], a, even=False)
            x = b.concatenate([tail, head], a)
    return x


def append(x1, x2, axis=None):
    """x2 after x1 along `axis` (both flattened when None)."""
    if axis is None:
        return b.concatenate([ravel(x1), ravel(x2)], 0)
    return b.concatenate([x1, x2], axis)


def hstack(xs):
    """Concatenation along the second axis (the first for vectors)."""
    xs = [b.as_tensor(x) for x in xs]
    return b.concatenate(xs, 0 if xs[0].ndim == 1 else 1)


def vstack(xs):
    """Concatenation along the first axis (vectors become rows)."""
    xs = [b.as_tensor(x) for x in xs]
    return b.concatenate([b.reshape(x, (1, -1)) if x.ndim == 1 else x for x in xs], 0)


def meshgrid(*xs, indexing="xy"):
    """Coordinate grids from 1-D vectors; 'xy' swaps the first two output axes, as NumPy."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [b.as_tensor(x) for x in xs]
    sizes = [x.shape[0] for x in xs]
    if indexing == "xy" and len(xs) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, x in enumerate(xs):
        at = i if indexing == "ij" or len(xs) < 2 or i > 1 else 1 - i
        shape_i = [1] * len(xs)
        shape_i[at] = x.shape[0]
        grids.append(b.broadcast_to(b.reshape(x, shape_i), sizes))
    return grids


# ---------------------------------------------------------------- triangles and diagonals

def _position(x, axis):
    """int32 indices along `axis`, broadcast to x's shape (a running count: any size works)."""
    return b.sub(b.cumsum(b.ones_like(x, "int32"), axis), 1)


def _band(x, k, lower):
    x = b.as_tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"tril/triu need a rank >= 2 tensor, got {x.shape}")
    column_minus_row = b.sub(_position(x, x.ndim - 1), _position(x, x.ndim - 2))
    keep = b.less_equal(column_minus_row, int(k)) if lower else b.greater_equal(column_minus_row, int(k))
    return b.where(keep, x, b.zeros_like(x))


def tril(x, k=0):
    """Zeros above the k-th diagonal of the last two axes."""
    return _band(x, k, lower=True)


def triu(x, k=0):
    """Zeros below the k-th diagonal of the last two axes."""
    return _band(x, k, lower=False)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The `offset` diagonal of the `axis1` x `axis2` planes, as a new last axis."""
    x = b.as_tensor(x)
    a1, a2 = _axis(axis1, x.ndim), _axis(axis2, x.ndim)
    if a1 == a2:
        raise ShapeError(f"diagonal needs two different axes, got {axis1} and {axis2}")
    x = moveaxis(x, [a1, a2], [-2, -1])
    n, m = x.shape[-2:]
    if n is None or m is None:
        raise ShapeError(f"diagonal needs known sizes along its two axes, got {x.shape}")
    rows = [i for i in range(n) if 0 <= i + offset < m]
    flat = ops._reshape_known(x, x.shape[:-2] + (n * m,))
    return b.take(flat, np.int32([i * m + i + offset for i in rows]), axis=flat.ndim - 1)


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the `offset` diagonal of the `axis1` x `axis2` planes."""
    return b.reduce_sum(diagonal(x, offset, axis1, axis2), -1)


def diag(x, k=0):
    """The k-th diagonal of a matrix, or a square matrix with a vector on its k-th diagonal."""
    x = b.as_tensor(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1 or x.shape[0] is None:
        raise ShapeError(f"diag needs a vector of known size or a matrix, got {x.shape}")
    n = x.shape[0]
    size_ = n + builtins.abs(int(k))
    spread = np.zeros((n, size_ * size_), np.float64)
    for i in range(n):
        r, c = (i, i + k) if k >= 0 else (i - k, i)
        spread[i, r * size_ + c] = 1.0
    vector = x if is_float(x.dtype) else b.cast(x, floatx())
    out = b.reshape(b.matmul(b.reshape(vector, (1, n)), b.as_tensor(spread, vector.dtype)), (size_, size_))
    return out if out.dtype == x.dtype else b.cast(out, x.dtype)


# ---------------------------------------------------------------- running sums and products

def cumsum(x, axis=None, dtype=None):
    """Running sums along `axis` (of the flattened `x` when None): the `cumsum` primitive."""
    x = b.as_tensor(x, dtype)
    if axis is None:
        x, axis = ravel(x), 0
    return b.cumsum(x, axis)


def cumprod(x, axis=None, dtype=None):
    """Running products: a scan along `axis` (exact with zeros, differentiable)."""
    x = b.as_tensor(x, dtype)
    if axis is None:
        x, axis = ravel(x), 0
    axis = _axis(axis, x.ndim)
    steps = moveaxis(x, axis, 0)
    _, products = ops.scan(lambda c, x_t: (b.mul(c, x_t), b.mul(c, x_t)), _ones_step(steps), steps)
    return moveaxis(products, 0, axis)


def _ones_step(steps):
    """Ones of the shape of one step of `steps` (a gather, so unknown sizes work)."""
    return b.ones_like(b.take(steps, np.int32(0), axis=0))


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over `axis` (all axes when None): a scan, exact with zeros."""
    x = b.as_tensor(x, dtype)
    axes = normalize_axes(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = b.transpose(x, list(axes) + rest) if axes else x
    reduced = [x.shape[a] for a in axes]
    kept = tuple(x.shape[a] for a in rest)
    n = None if None in reduced else int(math.prod(reduced))
    if kept.count(None) + (n is None) > 1:
        raise ShapeError(f"prod over axes {axes} of {x.shape}: too many unknown sizes")
    steps = b.reshape(moved, (n,) + kept)
    result, _ = ops.scan(lambda c, x_t: (b.mul(c, x_t), None), _ones_step(steps), steps)
    if keepdims:
        result = ops._reshape_known(result, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return result
