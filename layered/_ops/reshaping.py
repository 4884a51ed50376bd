"""More NumPy-style structure and number ops in `keras.ops` names: flips and rotations, splits
and stacks, differences, products of arrays, window functions and a few elementwise ops.
All compositions of primitives (window functions are constants).
"""
import math

import numpy as np

from layered import ops
from layered.graph import build as b
from layered.graph.core import Constant, ShapeError, canonical_dtype, floatx, is_float

__all__ = [
    "fliplr", "flipud", "rot90", "hsplit", "vsplit", "dsplit", "dstack", "diff", "kron", "cross", "diagflat",
    "vander", "trapezoid", "correlate", "depth_to_space", "space_to_depth", "unravel_index", "logspace", "geomspace",
    "hamming", "hanning", "blackman", "bartlett", "kaiser", "array", "saturate_cast", "real", "imag", "conj",
    "conjugate", "sinc", "fmod", "fmax", "fmin", "ldexp", "logaddexp2", "isneginf", "isposinf", "isreal",
]


def fliplr(x):
    """Reversed along axis 1."""
    return ops.flip(x, 1)


def flipud(x):
    """Reversed along axis 0."""
    return ops.flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes` (from the first towards the second)."""
    x = b.as_tensor(array)
    a, c = axes
    k = k % 4
    if k == 1:
        return ops.swapaxes(ops.flip(x, c), a, c)
    if k == 2:
        return ops.flip(ops.flip(x, a), c)
    if k == 3:
        return ops.flip(ops.swapaxes(x, a, c), c)
    return x


def hsplit(x, indices_or_sections):
    """`split` along axis 1 (0 for vectors)."""
    x = b.as_tensor(x)
    return ops.split(x, indices_or_sections, 0 if x.ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    """`split` along axis 0."""
    return ops.split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    """`split` along axis 2."""
    return ops.split(x, indices_or_sections, 2)


def dstack(xs):
    """Concatenation along a third axis (added as needed)."""
    xs = [b.as_tensor(x) for x in xs]
    xs = [b.reshape(x, (1, -1, 1)) if x.ndim == 1 else ops.expand_dims(x, -1) if x.ndim == 2 else x for x in xs]
    return b.concatenate(xs, 2)


def diff(a, n=1, axis=-1):
    """The n-th discrete difference along `axis`."""
    x = b.as_tensor(a)
    axis = axis % x.ndim
    for _ in range(int(n)):
        size = x.shape[axis]
        if size is None:
            raise ShapeError(f"diff needs a known size along axis {axis}, got {x.shape}")
        head, tail = ops.split(x, [1], axis)
        body, _ = ops.split(x, [size - 1], axis)
        x = b.sub(tail, body)
    return x


def kron(x1, x2):
    """The Kronecker product: every element of x1 times the whole of x2, laid out in blocks."""
    x1, x2 = b._coerce(x1, x2)
    rank = max(x1.ndim, x2.ndim)
    x1 = b.reshape(x1, (1,) * (rank - x1.ndim) + x1.shape)
    x2 = b.reshape(x2, (1,) * (rank - x2.ndim) + x2.shape)
    if None in x1.shape or None in x2.shape:
        raise ShapeError(f"kron needs known shapes, got {x1.shape} and {x2.shape}")
    interleaved_1 = sum(((d, 1) for d in x1.shape), ())
    interleaved_2 = sum(((1, d) for d in x2.shape), ())
    product = b.mul(b.reshape(x1, interleaved_1), b.reshape(x2, interleaved_2))
    return b.reshape(product, tuple(d1 * d2 for d1, d2 in zip(x1.shape, x2.shape)))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors count as z = 0) along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = b._coerce(x1, x2)
    x1, x2 = ops.moveaxis(x1, axisa, -1), ops.moveaxis(x2, axisb, -1)
    if x1.shape[-1] not in (2, 3) or x2.shape[-1] not in (2, 3):
        raise ShapeError(f"cross needs vectors of 2 or 3 components, got {x1.shape} and {x2.shape}")
    a = ops.unstack(x1, axis=-1) + ([b.zeros_like(ops.unstack(x1, axis=-1)[0])] if x1.shape[-1] == 2 else [])
    c = ops.unstack(x2, axis=-1) + ([b.zeros_like(ops.unstack(x2, axis=-1)[0])] if x2.shape[-1] == 2 else [])
    if x1.shape[-1] == 2 and x2.shape[-1] == 2:
        return b.sub(b.mul(a[0], c[1]), b.mul(a[1], c[0]))
    components = [b.sub(b.mul(a[1], c[2]), b.mul(a[2], c[1])), b.sub(b.mul(a[2], c[0]), b.mul(a[0], c[2])),
                  b.sub(b.mul(a[0], c[1]), b.mul(a[1], c[0]))]
    return ops.moveaxis(ops.stack(components, -1), -1, axisc)


def diagflat(x, k=0):
    """A matrix with the flattened `x` on its k-th diagonal."""
    return ops.diag(b.reshape(b.as_tensor(x), (-1,)), k)


def vander(x, N=None, increasing=False):
    """Columns of powers of the 1-D `x` (decreasing unless `increasing`)."""
    x = b.as_tensor(x)
    n = x.shape[0] if N is None else int(N)
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    column = b.reshape(x, (-1, 1))
    return b.pow(column, b.as_tensor(powers.astype(x.dtype if is_float(x.dtype) else np.int32), column.dtype))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` along `axis` by the trapezoidal rule (sample points `x`, or spacing `dx`)."""
    y = b.as_tensor(y)
    if not is_float(y.dtype):
        y = b.cast(y, floatx())
    axis = axis % y.ndim
    n = y.shape[axis]
    if n is None:
        raise ShapeError(f"trapezoid needs a known size along axis {axis}, got {y.shape}")
    left, _ = ops.split(y, [n - 1], axis)
    _, right = ops.split(y, [1], axis)
    widths = dx if x is None else diff(b.as_tensor(x, y.dtype), 1, axis if b.as_tensor(x).ndim > 1 else 0)
    if x is not None and b.as_tensor(x).ndim == 1 and y.ndim > 1:
        widths = b.reshape(widths, tuple(-1 if i == axis else 1 for i in range(y.ndim)))
    return b.reduce_sum(b.mul(b.mul(b.add(left, right), 0.5), widths), axis)


def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D sequences, c[k] = sum_n x1[n + k] x2[n], as NumPy's
    ('valid', 'same' or 'full'): windows of the padded x1 times x2."""
    x1, x2 = b._coerce(x1, x2)
    n, m = x1.shape[0], x2.shape[0]
    if x1.ndim != 1 or x2.ndim != 1 or n is None or m is None:
        raise ShapeError(f"correlate needs two 1-D sequences of known length, got {x1.shape} and {x2.shape}")
    pads = {"valid": (0, 0), "same": (m // 2, m - 1 - m // 2), "full": (m - 1, m - 1)}
    if mode not in pads:
        raise ValueError(f"correlate mode must be 'valid', 'same' or 'full', got {mode!r}")
    padded = b.pad(x1, [pads[mode][0]], [pads[mode][1]])
    return b.reduce_sum(b.mul(ops.extract_sequences(padded, m, 1), x2), -1)


def depth_to_space(x, block_size, data_format="channels_last"):
    """(b, h, w, c * s * s) -> (b, h * s, w * s, c), as TensorFlow's DepthToSpace."""
    x = b.as_tensor(x)
    s = int(block_size)
    if data_format == "channels_first":
        x = b.transpose(x, (0, 2, 3, 1))
    _, h, w, c = x.shape
    if c is None or c % (s * s):
        raise ShapeError(f"depth_to_space needs channels divisible by {s * s}, got {x.shape}")
    y = ops._reshape_known(x, (None, h, w, s, s, c // (s * s)))
    y = b.transpose(y, (0, 1, 3, 2, 4, 5))
    y = ops._reshape_known(y, (None, None if h is None else h * s, None if w is None else w * s, c // (s * s)))
    return b.transpose(y, (0, 3, 1, 2)) if data_format == "channels_first" else y


def space_to_depth(x, block_size, data_format="channels_last"):
    """(b, h * s, w * s, c) -> (b, h, w, c * s * s), the inverse of depth_to_space."""
    x = b.as_tensor(x)
    s = int(block_size)
    if data_format == "channels_first":
        x = b.transpose(x, (0, 2, 3, 1))
    _, h, w, c = x.shape
    if h is None or w is None or h % s or w % s:
        raise ShapeError(f"space_to_depth needs known heights and widths divisible by {s}, got {x.shape}")
    y = ops._reshape_known(x, (None, h // s, s, w // s, s, c))
    y = b.transpose(y, (0, 1, 3, 2, 4, 5))
    y = ops._reshape_known(y, (None, h // s, w // s, s * s * c))
    return b.transpose(y, (0, 3, 1, 2)) if data_format == "channels_first" else y


def unravel_index(indices, shape):
    """The coordinates (a tuple of int32 tensors) of flat `indices` in an array of `shape`."""
    indices = b.cast(b.as_tensor(indices), "int32")
    coords = []
    for size in reversed([int(d) for d in shape]):
        quotient = ops.floor_divide(indices, size)
        coords.append(b.sub(indices, b.mul(quotient, size)))
        indices = quotient
    return tuple(reversed(coords))


# ---------------------------------------------------------------- creation

def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """base ** linspace(start, stop, num)."""
    exponents = ops.linspace(start, stop, num, endpoint, dtype=None, axis=axis)
    return b.as_tensor(b.pow(b.as_tensor(float(base), exponents.dtype), exponents), dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from start to stop."""
    exponents = ops.linspace(ops.log10(start), ops.log10(stop), num, endpoint, axis=axis)
    return b.as_tensor(b.pow(b.as_tensor(10.0, exponents.dtype), exponents), dtype)


def _window(values):
    return Constant(np.asarray(values, floatx()))


def hamming(x):
    """The Hamming window of `x` points."""
    return _window(np.hamming(int(x)))


def hanning(x):
    """The Hann window of `x` points."""
    return _window(np.hanning(int(x)))


def blackman(x):
    """The Blackman window of `x` points."""
    return _window(np.blackman(int(x)))


def bartlett(x):
    """The Bartlett window of `x` points."""
    return _window(np.bartlett(int(x)))


def kaiser(x, beta):
    """The Kaiser window of `x` points with shape parameter `beta`."""
    return _window(np.kaiser(int(x), float(beta)))


def array(x, dtype=None):
    """`x` as a tensor (of `dtype` if given)."""
    return b.as_tensor(x, dtype)


def saturate_cast(x, dtype):
    """Cast, clipping to the target dtype's range first (no wrap-around)."""
    x = b.as_tensor(x)
    dtype = canonical_dtype(dtype)
    if is_float(x.dtype) and np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        # the largest float not above the bound: float32 rounds 2**31 - 1 up to 2**31
        high = np.array(info.max, x.dtype)
        if int(high) > info.max:
            high = np.nextafter(high, np.array(0, x.dtype))
        x = b.minimum(b.maximum(x, float(info.min)), float(high))
    elif is_float(x.dtype) and is_float(dtype) and np.finfo(dtype).max < np.finfo(x.dtype).max:
        x = b.minimum(b.maximum(x, float(np.finfo(dtype).min)), float(np.finfo(dtype).max))
    return b.cast(x, dtype)


# ---------------------------------------------------------------- elementwise

def real(x):
    """The real part: `x` itself (layered tensors are real)."""
    return b.as_tensor(x)


def imag(x):
    """The imaginary part: zeros (layered tensors are real)."""
    return b.zeros_like(b.as_tensor(x))


def conj(x):
    """The complex conjugate: `x` itself (layered tensors are real)."""
    return b.as_tensor(x)


conjugate = conj


def isreal(x):
    """True everywhere (layered tensors are real)."""
    return b.equal(b.zeros_like(b.as_tensor(x), "bool"), b.zeros_like(b.as_tensor(x), "bool"))


def sinc(x):
    """sin(pi x) / (pi x), and 1 at 0."""
    x = b.as_tensor(x)
    x = x if is_float(x.dtype) else b.cast(x, floatx())
    zero = b.equal(x, 0.0)
    safe = b.mul(b.where(zero, b.ones_like(x), x), math.pi)
    return b.where(zero, b.ones_like(x), b.div(b.sin(safe), safe))


def fmod(x1, x2):
    """The remainder of truncated division: it takes the sign of x1 (C's fmod)."""
    x1, x2 = b._coerce(x1, x2)
    if is_float(x1.dtype):
        return b.sub(x1, b.mul(ops.trunc(b.div(x1, x2)), x2))
    quotient = b.cast(ops.trunc(b.div(b.cast(x1, "float64"), b.cast(x2, "float64"))), x1.dtype)
    return b.sub(x1, b.mul(quotient, x2))


def fmax(x1, x2):
    """The elementwise maximum, ignoring a NaN when the other is a number."""
    x1, x2 = b._coerce(x1, x2)
    if not is_float(x1.dtype):
        return b.maximum(x1, x2)
    return b.where(b.not_equal(x1, x1), x2, b.where(b.not_equal(x2, x2), x1, b.maximum(x1, x2)))


def fmin(x1, x2):
    """The elementwise minimum, ignoring a NaN when the other is a number."""
    x1, x2 = b._coerce(x1, x2)
    if not is_float(x1.dtype):
        return b.minimum(x1, x2)
    return b.where(b.not_equal(x1, x1), x2, b.where(b.not_equal(x2, x2), x1, b.minimum(x1, x2)))


def ldexp(x1, x2):
    """x1 * 2**x2."""
    x1 = b.as_tensor(x1)
    x1 = x1 if is_float(x1.dtype) else b.cast(x1, floatx())
    return b.mul(x1, b.pow(b.as_tensor(2.0, x1.dtype), b.cast(b.as_tensor(x2), x1.dtype)))


def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2) without overflow."""
    ln2 = math.log(2.0)
    x1, x2 = b._coerce(x1, x2)
    if not is_float(x1.dtype):
        x1, x2 = b.cast(x1, floatx()), b.cast(x2, floatx())
    return b.div(ops.logaddexp(b.mul(x1, ln2), b.mul(x2, ln2)), ln2)


def isneginf(x):
    """Whether each element is -inf."""
    x = b.as_tensor(x)
    return b.equal(x, -np.inf) if is_float(x.dtype) else b.not_equal(b.zeros_like(x, "bool"), b.zeros_like(x, "bool"))


def isposinf(x):
    """Whether each element is +inf."""
    x = b.as_tensor(x)
    return b.equal(x, np.inf) if is_float(x.dtype) else b.not_equal(b.zeros_like(x, "bool"), b.zeros_like(x, "bool"))
