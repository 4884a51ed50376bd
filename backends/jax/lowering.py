"""One jax.numpy / jax.lax function per primitive, in one table (mirrors numpy/kernels.py).

A lowering takes the traced input arrays and the node's attributes; primitives with a
`shape` attribute receive the concrete output shape.
"""
import jax
import jax.numpy as jnp
from jax import lax

from backends.jax import conv as conv_lowerings
from backends.jax import control_flow


def _reduce(fn):
    def lower(x, axes, keepdims):
        return fn(x, axis=axes, keepdims=keepdims)
    return lower


def _arg(fn):
    def lower(x, axis):
        return fn(x, axis=axis).astype(jnp.int32)
    return lower


def _slice(x, starts, stops, steps):
    return x[tuple(slice(a, b, c) for a, b, c in zip(starts, stops, steps))]


def _pad(x, low, high, interior):
    return lax.pad(x, jnp.zeros((), x.dtype), list(zip(low, high, interior)))


def _take(x, indices, axis):
    # Negative indices count from the end, as NumPy's take (the NumPy kernel) does.
    indices = jnp.where(indices < 0, indices + x.shape[axis], indices)
    return jnp.take(x, indices, axis=axis, mode="clip")


def _scatter_add(operand, indices, updates, axis):
    index = (slice(None),) * axis + (indices,)
    return jnp.asarray(operand).at[index].add(updates)  # a constant operand arrives as a NumPy array


def _key(seed, salt):
    key = jax.random.key(seed[0])
    for part in (seed[1], salt):
        key = jax.random.fold_in(key, part)
    return key


def _random_uniform(seed, like=None, *, shape, dtype, salt):
    return jax.random.uniform(_key(seed, salt), shape, dtype)


def _random_normal(seed, like=None, *, shape, dtype, salt):
    return jax.random.normal(_key(seed, salt), shape, dtype)


def _reshape(x, like=None, *, shape):
    return jnp.reshape(x, shape)


def _broadcast_to(x, like=None, *, shape):
    return jnp.broadcast_to(x, shape)


LOWERINGS = {
    "neg": jnp.negative, "exp": jnp.exp, "log": jnp.log, "log1p": jnp.log1p, "sqrt": jnp.sqrt,
    "rsqrt": lax.rsqrt, "tanh": jnp.tanh, "logistic": lax.logistic, "abs": jnp.abs, "sign": jnp.sign,
    "square": jnp.square, "reciprocal": jnp.reciprocal, "erf": lax.erf,
    "sin": jnp.sin, "cos": jnp.cos, "floor": jnp.floor,
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "div": jnp.divide, "pow": jnp.power,
    "maximum": jnp.maximum, "minimum": jnp.minimum, "atan2": jnp.arctan2,
    "equal": jnp.equal, "not_equal": jnp.not_equal, "less": jnp.less, "less_equal": jnp.less_equal,
    "greater": jnp.greater, "greater_equal": jnp.greater_equal,
    "logical_and": jnp.logical_and, "logical_or": jnp.logical_or, "logical_not": jnp.logical_not,
    "where": jnp.where,
    "reduce_sum": _reduce(jnp.sum), "reduce_max": _reduce(jnp.max), "reduce_min": _reduce(jnp.min),
    "argmax": _arg(jnp.argmax), "argmin": _arg(jnp.argmin),
    "reshape": _reshape, "transpose": lambda x, perm: jnp.transpose(x, perm),
    "broadcast_to": _broadcast_to, "slice": _slice,
    "concatenate": lambda *xs, axis: jnp.concatenate(xs, axis=axis), "pad": _pad,
    "take": _take,
    "scatter_add": _scatter_add,
    "one_hot": lambda indices, depth, dtype: jax.nn.one_hot(indices, depth, dtype=dtype),
    "matmul": jnp.matmul,
    "cumsum": lambda x, axis, reverse: lax.cumsum(x, axis=axis, reverse=reverse),
    "argsort": lambda x, axis: jnp.argsort(x, axis=axis, stable=True).astype(jnp.int32),
    "cast": lambda x, dtype: x.astype(dtype), "stop_gradient": lax.stop_gradient,
    "random_uniform": _random_uniform, "random_normal": _random_normal,
}
LOWERINGS.update(conv_lowerings.LOWERINGS)  # convolution and pooling (conv.py)
LOWERINGS.update(control_flow.LOWERINGS)  # scan: a loop over a body graph (control_flow.py)
