"""JAX lowerings of convolution and pooling (mirrors backends/numpy/conv.py).

Each convolution primitive has two lowerings:

- "xla": one `lax.conv_general_dilated`, with the dimension numbers that make each
  backprop a plain convolution;
- "patches": im2col written in lax (one strided slice per window tap, stacked) and one
  matmul, col2im as interior-padded adds.

LAYERED_JAX_CONV chooses: "xla" (the default), "patches", or "auto": on CPU, per
primitive and shape, the faster of the two timed once on random inputs when a program is
first traced (cached for the process); "xla" on other platforms. Measured on 2 CPU cores
(benchmarks/cnn.py), each backprop alone ran faster as patches, yet the whole train step
ran 2x faster with XLA's convolutions throughout (XLA schedules and fuses them better
inside a program than op-by-op timing shows), so "xla" is the default and "auto" opt-in.

Pooling is `lax.reduce_window`; the pooling backprops are written out (one slice and
one interior-padded add per tap) so max-pool ties go to the same element as on NumPy.
"""
import functools
import os
import time

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from layered.graph.windows import output_size, pool_counts, window_offsets


def _spatial_letters(n):
    if not 1 <= n <= 3:
        raise NotImplementedError(f"the JAX backend lowers convolutions of 1 to 3 spatial axes, got {n}")
    return "DHW"[-n:]


def _full(values, fill=0):
    return (fill,) + tuple(values) + (fill,)


def _pad(x, padding, value=0):
    if not any(lo or hi for lo, hi in padding):
        return x
    return lax.pad(x, jnp.array(value, x.dtype), [(0, 0, 0)] + [(lo, hi, 0) for lo, hi in padding] + [(0, 0, 0)])


def _tap_slices(x, window, strides, dilation, out_spatial):
    """The slice of (padded) `x` each window tap reads at every output position, in row-major tap order."""
    for offset in window_offsets(window):
        start = _full(o * d for o, d in zip(offset, dilation))
        limit = (x.shape[0],) + tuple(o * d + s * (m - 1) + 1 for o, d, s, m in
                                      zip(offset, dilation, strides, out_spatial)) + (x.shape[-1],)
        yield lax.slice(x, start, limit, _full(strides, 1))


def _scatter_taps(contributions, shape, window, strides, dilation, padding):
    """col2im: add each tap's values back where the tap read them in the padded input, then crop."""
    out_spatial = contributions[0].shape[1:-1]
    extent = [max(d + lo + hi, s * (m - 1) + r * (k - 1) + 1)
              for d, (lo, hi), s, m, r, k in zip(shape[1:-1], padding, strides, out_spatial, dilation, window)]
    total = None
    for offset, values in zip(window_offsets(window), contributions):
        config = [(0, 0, 0)]
        for o, r, s, m, e in zip(offset, dilation, strides, out_spatial, extent):
            config.append((o * r, e - (o * r + s * (m - 1) + 1), s - 1))
        spread = lax.pad(values, jnp.array(0, values.dtype), config + [(0, 0, 0)])
        total = spread if total is None else total + spread
    start = _full(lo for lo, _ in padding)
    limit = (total.shape[0],) + tuple(lo + d for d, (lo, _) in zip(shape[1:-1], padding)) + (total.shape[-1],)
    return lax.slice(total, start, limit)


# ---------------------------------------------------------------- convolution: XLA

def _xla_conv(x, w, *, strides, padding, rhs_dilation, feature_group_count):
    sp = _spatial_letters(x.ndim - 2)
    return lax.conv_general_dilated(x, w, strides, padding, rhs_dilation=rhs_dilation,
                                    dimension_numbers=(f"N{sp}C", f"{sp}IO", f"N{sp}C"),
                                    feature_group_count=feature_group_count)


def _xla_conv_backprop_input(g, w, *, shape, strides, padding, rhs_dilation, feature_group_count):
    # The transposed convolution: the cotangent dilated by the strides, correlated with the
    # spatially flipped filter whose in/out roles are swapped within each group.
    n = g.ndim - 2
    sp = _spatial_letters(n)
    window, groups = w.shape[:n], feature_group_count
    in_g, out_g = w.shape[-2], w.shape[-1] // groups
    swapped = jnp.flip(w, axis=tuple(range(n))).reshape(window + (in_g, groups, out_g))
    swapped = jnp.transpose(swapped, tuple(range(n)) + (n + 2, n + 1, n)).reshape(window + (out_g, groups * in_g))
    pads = []
    for size, m, k, s, d, (lo, _) in zip(shape[1:-1], g.shape[1:-1], window, strides, rhs_dilation, padding):
        pads.append((d * (k - 1) - lo, size + lo - (m - 1) * s - 1))
    return lax.conv_general_dilated(g, swapped, (1,) * n, pads, lhs_dilation=strides, rhs_dilation=rhs_dilation,
                                    dimension_numbers=(f"N{sp}C", f"{sp}IO", f"N{sp}C"),
                                    feature_group_count=groups)


def _xla_conv_backprop_filter(x, g, *, window, strides, padding, rhs_dilation, feature_group_count):
    # A convolution of the input by the cotangent: the input's channels act as the batch,
    # its batch as the contracted features; groups split the input channels (batch groups).
    sp = _spatial_letters(x.ndim - 2)
    pads = []
    for size, m, k, s, d, (lo, _) in zip(x.shape[1:-1], g.shape[1:-1], window, strides, rhs_dilation, padding):
        pads.append((lo, d * (k - 1) + s * (m - 1) + 1 - size - lo))
    return lax.conv_general_dilated(x, g, rhs_dilation, pads, rhs_dilation=strides,
                                    dimension_numbers=(f"C{sp}N", f"I{sp}O", f"{sp}NC"),
                                    batch_group_count=feature_group_count)


# ---------------------------------------------------------------- convolution: patches + matmul

def _patches(x, window, strides, padding, dilation, out_spatial):
    """(batch * out positions, taps, channels)."""
    taps = list(_tap_slices(_pad(x, padding), window, strides, dilation, out_spatial))
    stacked = jnp.stack(taps, axis=-2)
    return stacked.reshape(-1, len(taps), x.shape[-1])


def _patches_conv(x, w, *, strides, padding, rhs_dilation, feature_group_count):
    n, groups = x.ndim - 2, feature_group_count
    window = w.shape[:n]
    out_spatial = tuple(output_size(d, k, s, p, r) for d, k, s, p, r in
                        zip(x.shape[1:-1], window, strides, padding, rhs_dilation))
    p = _patches(x, window, strides, padding, rhs_dilation, out_spatial)
    rows, taps, out = p.shape[0], p.shape[1], w.shape[-1]
    if groups == 1:
        y = p.reshape(rows, -1) @ w.reshape(-1, out)
    else:
        in_g = w.shape[-2]
        y = jnp.einsum("mtgc,tcgo->mgo", p.reshape(rows, taps, groups, in_g),
                       w.reshape(taps, in_g, groups, out // groups))
    return y.reshape((x.shape[0],) + out_spatial + (out,))


def _patches_conv_backprop_input(g, w, *, shape, strides, padding, rhs_dilation, feature_group_count):
    n, groups = g.ndim - 2, feature_group_count
    window, channels = w.shape[:n], shape[-1]
    rows, out = int(np.prod(g.shape[1:-1])) * g.shape[0], g.shape[-1]
    taps = int(np.prod(window))
    if groups == 1:
        d = g.reshape(rows, out) @ w.reshape(-1, out).T
    else:
        in_g = w.shape[-2]
        d = jnp.einsum("mgo,tcgo->mtgc", g.reshape(rows, groups, out // groups),
                       w.reshape(taps, in_g, groups, out // groups))
    d = d.reshape(g.shape[:-1] + (taps, channels))
    contributions = [d[..., t, :] for t in range(taps)]
    return _scatter_taps(contributions, (g.shape[0],) + tuple(shape[1:]), window, strides, rhs_dilation, padding)


def _patches_conv_backprop_filter(x, g, *, window, strides, padding, rhs_dilation, feature_group_count):
    groups = feature_group_count
    p = _patches(x, window, strides, padding, rhs_dilation, g.shape[1:-1])
    rows, taps, out = p.shape[0], p.shape[1], g.shape[-1]
    if groups == 1:
        dw = p.reshape(rows, -1).T @ g.reshape(rows, out)
    else:
        in_g = x.shape[-1] // groups
        dw = jnp.einsum("mtgc,mgo->tcgo", p.reshape(rows, taps, groups, in_g), g.reshape(rows, groups, out // groups))
    return dw.reshape(tuple(window) + (x.shape[-1] // groups, out))


# ---------------------------------------------------------------- choosing per platform

IMPLEMENTATIONS = {
    "conv": {"xla": _xla_conv, "patches": _patches_conv},
    "conv_backprop_input": {"xla": _xla_conv_backprop_input, "patches": _patches_conv_backprop_input},
    "conv_backprop_filter": {"xla": _xla_conv_backprop_filter, "patches": _patches_conv_backprop_filter},
}
_chosen = {}  # (primitive, platform, input shapes and dtypes, attributes) -> "xla" | "patches"


def choice(name, arrays, attrs):
    """Which lowering `name` uses for these inputs: LAYERED_JAX_CONV's ("xla" by default);
    with "auto", "xla" off CPU, else the faster one, timed once per shape signature."""
    mode = os.environ.get("LAYERED_JAX_CONV", "xla").lower()
    if mode in ("xla", "patches"):
        return mode
    if mode != "auto":
        raise ValueError(f"LAYERED_JAX_CONV must be 'auto', 'xla' or 'patches', got {mode!r}")
    platform = jax.default_backend()
    if platform != "cpu":
        return "xla"
    key = (name, platform, tuple((a.shape, str(a.dtype)) for a in arrays), tuple(sorted(attrs.items())))
    if key not in _chosen:
        _chosen[key] = _fastest(name, arrays, attrs)
    return _chosen[key]


def _fastest(name, arrays, attrs, repeats=3):
    rng = np.random.default_rng(0)
    concrete = [jnp.asarray(rng.standard_normal(a.shape).astype(a.dtype)) for a in arrays]
    best = {}
    for kind, fn in IMPLEMENTATIONS[name].items():
        compiled = jax.jit(functools.partial(fn, **attrs))
        jax.block_until_ready(compiled(*concrete))  # compile and warm up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            jax.block_until_ready(compiled(*concrete))
            times.append(time.perf_counter() - start)
        best[kind] = min(times)
    return min(best, key=best.get)


def _lowering(name):
    def lower(*arrays, **attrs):
        arrays = [a for a in arrays if a is not None][:2]  # a trailing `like` only carries a shape
        return IMPLEMENTATIONS[name][choice(name, arrays, attrs)](*arrays, **attrs)
    lower.__name__ = name
    return lower


# ---------------------------------------------------------------- pooling

def _pool_padding(padding):
    return ((0, 0),) + tuple(padding) + ((0, 0),)


def max_pool(x, *, window, strides, padding):
    return lax.reduce_window(x, jnp.array(-jnp.inf, x.dtype), lax.max, _full(window, 1), _full(strides, 1),
                             _pool_padding(padding))


def avg_pool(x, *, window, strides, padding):
    total = lax.reduce_window(x, jnp.array(0, x.dtype), lax.add, _full(window, 1), _full(strides, 1),
                              _pool_padding(padding))
    return total / pool_counts(x.shape[1:-1], window, strides, padding).astype(x.dtype)


def max_pool_backprop(x, y, g, *, window, strides, padding):
    ones = (1,) * len(window)
    taken, contributions = None, []
    zero = jnp.zeros((), g.dtype)
    for tap in _tap_slices(_pad(x, padding, -jnp.inf), window, strides, ones, y.shape[1:-1]):
        hit = tap == y
        if taken is not None:
            hit = hit & ~taken
        taken = hit if taken is None else taken | hit
        contributions.append(jnp.where(hit, g, zero))
    return _scatter_taps(contributions, x.shape, window, strides, ones, padding)


def avg_pool_backprop(g, like=None, *, shape, window, strides, padding):
    share = g / pool_counts(shape[1:-1], window, strides, padding).astype(g.dtype)
    taps = int(np.prod(window))
    full_shape = (g.shape[0],) + tuple(shape[1:])
    return _scatter_taps([share] * taps, full_shape, window, strides, (1,) * len(window), padding)


LOWERINGS = {
    "conv": _lowering("conv"), "conv_backprop_input": _lowering("conv_backprop_input"),
    "conv_backprop_filter": _lowering("conv_backprop_filter"),
    "max_pool": max_pool, "max_pool_backprop": max_pool_backprop,
    "avg_pool": avg_pool, "avg_pool_backprop": avg_pool_backprop,
}
