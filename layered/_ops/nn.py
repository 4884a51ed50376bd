"""Neural-network ops in `keras.ops` (and `keras.ops.nn`) names: activations, normalizations,
attention. All compositions of primitives.
"""
import math

import numpy as np

from layered import ops
# keras.ops.nn also offers these (defined in layered/ops.py and the array module).
from layered.ops import (average_pool as average_pool, binary_crossentropy as binary_crossentropy,  # noqa: F401
                         categorical_crossentropy as categorical_crossentropy, conv as conv,
                         conv_transpose as conv_transpose, depthwise_conv as depthwise_conv, gelu as gelu,
                         log_softmax as log_softmax, logsumexp as logsumexp, max_pool as max_pool,
                         moments as moments, normalize as normalize, relu as relu, separable_conv as separable_conv,
                         sigmoid as sigmoid, softmax as softmax, softplus as softplus,
                         sparse_categorical_crossentropy as sparse_categorical_crossentropy)
from layered._ops.indexing import multi_hot as multi_hot, one_hot as one_hot  # noqa: F401
from layered._ops.reshaping import depth_to_space as depth_to_space, space_to_depth as space_to_depth  # noqa: F401
from layered.graph import build
from layered.graph import build as b
from layered.graph.core import ShapeError, floatx, is_float
from layered.graph.primitives import normalize_axes

__all__ = [
    "relu6", "leaky_relu", "elu", "selu", "celu", "silu", "swish", "hard_sigmoid", "hard_silu", "hard_swish",
    "log_sigmoid", "softsign", "glu", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "squareplus",
    "sparse_plus", "sparse_sigmoid", "threshold", "mish", "sparsemax", "dot_product_attention",
    "layer_normalization", "rms_normalization", "batch_normalization", "psnr",
]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _float(x):
    x = b.as_tensor(x)
    return x if is_float(x.dtype) else b.cast(x, floatx())


# ---------------------------------------------------------------- activations

def relu6(x):
    """min(max(x, 0), 6)."""
    return b.minimum(b.maximum(_float(x), 0.0), 6.0)


def leaky_relu(x, negative_slope=0.2):
    """x where x > 0, else x * negative_slope."""
    x = _float(x)
    return b.where(b.greater(x, 0.0), x, b.mul(x, negative_slope))


def elu(x, alpha=1.0):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    # exp of min(x, 0): the unselected branch never overflows, so its gradient stays finite.
    x = _float(x)
    return b.where(b.greater(x, 0.0), x, b.mul(b.sub(b.exp(b.minimum(x, 0.0)), 1.0), alpha))


def selu(x):
    """Scaled ELU with the self-normalizing constants."""
    return b.mul(elu(x, _SELU_ALPHA), _SELU_SCALE)


def celu(x, alpha=1.0):
    """max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))."""
    x = _float(x)
    negative = b.mul(b.sub(b.exp(b.div(b.minimum(x, 0.0), float(alpha))), 1.0), float(alpha))
    return b.where(b.greater(x, 0.0), x, negative)


def silu(x):
    """x * sigmoid(x) (also `swish`)."""
    x = _float(x)
    return b.mul(x, b.logistic(x))


swish = silu


def hard_sigmoid(x):
    """relu6(x + 3) / 6, a piecewise-linear sigmoid."""
    # Keras 3: relu6(x + 3) / 6.
    return b.div(relu6(b.add(_float(x), 3.0)), 6.0)


def hard_silu(x):
    """x * hard_sigmoid(x) (also `hard_swish`)."""
    x = _float(x)
    return b.mul(x, hard_sigmoid(x))


hard_swish = hard_silu


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable."""
    return b.neg(ops.softplus(b.neg(_float(x))))


def softsign(x):
    """x / (|x| + 1)."""
    x = _float(x)
    return b.div(x, b.add(b.abs(x), 1.0))


def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half."""
    x = _float(x)
    if x.shape[axis] is None or x.shape[axis] % 2:
        raise ShapeError(f"glu needs an even size along axis {axis}, got {x.shape}")
    a, gate = ops.split(x, 2, axis)
    return b.mul(a, b.logistic(gate))


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    return b.minimum(b.maximum(_float(x), -1.0), 1.0)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = _float(x)
    return b.where(b.greater(b.abs(x), float(threshold)), x, b.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """x moved towards 0 by `threshold`, and 0 within it."""
    x = _float(x)
    t = float(threshold)
    return b.where(b.greater(x, t), b.sub(x, t), b.where(b.less(x, -t), b.add(x, t), b.zeros_like(x)))


def tanh_shrink(x):
    """x - tanh(x)."""
    x = _float(x)
    return b.sub(x, b.tanh(x))


def squareplus(x, b=4):  # noqa: F811  (Keras names the parameter `b`; the module is `build` here)
    """(x + sqrt(x^2 + b)) / 2, a smooth relu."""
    x = _float(x)
    return build.mul(build.add(x, build.sqrt(build.add(build.square(x), float(b)))), 0.5)


def sparse_plus(x):
    """0 below -1, x above 1, (x + 1)^2 / 4 between."""
    x = _float(x)
    middle = b.mul(b.square(b.add(x, 1.0)), 0.25)
    return b.where(b.less_equal(x, -1.0), b.zeros_like(x), b.where(b.greater_equal(x, 1.0), x, middle))


def sparse_sigmoid(x):
    """0 below -1, 1 above 1, (x + 1) / 2 between."""
    x = _float(x)
    return b.minimum(b.maximum(b.mul(b.add(x, 1.0), 0.5), 0.0), 1.0)


def threshold(x, threshold, default_value):
    """`x` where x > threshold, else `default_value`."""
    x = _float(x)
    return b.where(b.greater(x, threshold), x, b.full_like(x, default_value))


def mish(x):
    """x * tanh(softplus(x))."""
    x = _float(x)
    return b.mul(x, b.tanh(ops.softplus(x)))


def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along `axis` (sparse softmax)."""
    x = _float(x)
    axis = normalize_axes(axis, x.ndim)[0]
    n = x.shape[axis]
    if n is None:
        raise ShapeError(f"sparsemax needs a known size along axis {axis}, got {x.shape}")
    z = ops.moveaxis(x, axis, -1)
    ordered = b.neg(ops.sort(b.neg(z), -1))  # descending
    running = b.cumsum(ordered, z.ndim - 1)
    k = b.as_tensor(np.arange(1, n + 1), z.dtype)
    # The support is piecewise constant in x: no gradient flows through its choice.
    in_support = b.greater(b.stop_gradient(b.add(b.mul(ordered, k), 1.0)), b.stop_gradient(running))
    support = b.reduce_sum(b.cast(in_support, z.dtype), -1, keepdims=True)
    total = b.reduce_sum(b.where(in_support, ordered, b.zeros_like(ordered)), -1, keepdims=True)
    tau = b.div(b.sub(total, 1.0), support)
    return ops.moveaxis(b.maximum(b.sub(z, tau), 0.0), -1, axis)


# ---------------------------------------------------------------- normalization and attention

def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """(x - mean) / sqrt(var + epsilon) over `axis`, then * gamma + beta."""
    x = _float(x)
    epsilon = 1e-7 if epsilon is None else float(epsilon)
    mean, variance = ops.moments(x, axis, keepdims=True)
    out = b.mul(b.sub(x, mean), b.rsqrt(b.add(variance, epsilon)))
    if gamma is not None:
        out = b.mul(out, gamma)
    if beta is not None:
        out = b.add(out, beta)
    return out


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x^2) + epsilon) over `axis`, times `scale`."""
    x = _float(x)
    epsilon = 1e-7 if epsilon is None else float(epsilon)
    out = b.mul(x, b.rsqrt(b.add(ops.mean(b.square(x), axis, keepdims=True), epsilon)))
    return out if scale is None else b.mul(out, scale)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, the statistics laid along `axis`."""
    x = _float(x)
    axis = normalize_axes(axis, x.ndim)[0]

    def along(v):
        v = b.as_tensor(v, x.dtype)
        if v.ndim == 1 and x.ndim > 1:
            v = b.reshape(v, tuple(-1 if i == axis else 1 for i in range(x.ndim)))
        return v

    out = b.mul(b.sub(x, along(mean)), b.rsqrt(b.add(along(variance), float(epsilon))))
    if scale is not None:
        out = b.mul(out, along(scale))
    if offset is not None:
        out = b.add(out, along(offset))
    return out


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB: 20 log10(max_val) - 10 log10(mean squared error)."""
    x1, x2 = b._coerce(x1, x2)
    mse = ops.mean(b.square(b.sub(_float(x1), _float(x2))))
    return b.sub(20.0 * math.log10(float(max_val)), b.mul(b.log(mse), 10.0 / math.log(10.0)))


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """softmax(q k^T * scale + bias, masked) v over (batch, length, heads, head_dim) tensors.

    `mask` (bool, broadcast to (batch, heads, q_len, kv_len)) keeps the True positions;
    `is_causal` keeps positions at or before each query's own.
    """
    if flash_attention:
        raise NotImplementedError("flash_attention is not available; layered computes attention as a composition")
    query, key, value = b._coerce(query, key, value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ShapeError(f"dot_product_attention needs rank-4 (batch, length, heads, dim) tensors, got "
                         f"{query.shape}, {key.shape} and {value.shape}")
    heads_q, heads_k = query.shape[2], key.shape[2]
    if heads_q is not None and heads_k is not None and heads_q != heads_k:
        if heads_q % heads_k:
            raise ShapeError(f"query heads ({heads_q}) must be a multiple of key heads ({heads_k})")
        key, value = ops.repeat(key, heads_q // heads_k, 2), ops.repeat(value, heads_q // heads_k, 2)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    logits = b.mul(ops.einsum("btnh,bsnh->bnts", query, key), scale)
    if attn_logits_soft_cap is not None:
        logits = b.mul(b.tanh(b.div(logits, attn_logits_soft_cap)), attn_logits_soft_cap)
    if bias is not None:
        logits = b.add(logits, bias)
    keep = None if mask is None else b.as_tensor(mask, "bool")
    if is_causal:
        t, s = query.shape[1], key.shape[1]
        if t is None or s is None:
            raise ShapeError(f"is_causal needs known lengths, got {query.shape} and {key.shape}")
        causal = b.as_tensor(np.tril(np.ones((t, s), bool)))
        keep = causal if keep is None else b.logical_and(keep, causal)
    if keep is not None:
        large = -0.7 * float(np.finfo(logits.dtype).max)
        logits = b.where(keep, logits, b.full_like(logits, large))
    weights = ops.softmax(logits, -1)
    return ops.einsum("bnts,bsnh->btnh", weights, value)
