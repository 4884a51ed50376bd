"""Shape rules of the windowed primitives: convolution, its two backprops, and pooling.

Layout is channels-last throughout: inputs are (batch, *spatial, channels) and a conv
filter is (*window, in_channels / groups, out_channels). Padding is always explicit, one
(low, high) pair per spatial axis; the Keras strings ('valid', 'same', 'causal') are
turned into pairs by `layered.convolution` before a node is built.

Sizes may be None (unknown until a batch arrives); the backprop primitives that must
produce an input's shape take it as a `shape` attribute, with an optional `like` input
supplying the unknown sizes (as `reshape` does).
"""
import itertools

import numpy as np

from layered.graph.core import ShapeError


def output_size(size, window, stride, pad, dilation=1):
    """Positions a window of `window` taps spaced `dilation` apart takes over `size` padded
    by `pad`, moving by `stride`; None for an unknown size."""
    if size is None:
        return None
    span = dilation * (window - 1) + 1
    padded = size + pad[0] + pad[1]
    return (padded - span) // stride + 1 if padded >= span else 0


def window_offsets(window):
    """Every tap of the window, in row-major order (the order max-pool ties are broken in)."""
    return itertools.product(*(range(k) for k in window))


def pool_counts(spatial, window, strides, padding):
    """How many real (non-padding) elements each pooling window covers, shaped
    (1, *out_spatial, 1) for broadcasting; a host array computed from static sizes."""
    counts = np.ones((1,) * (len(spatial) + 2))
    for axis, (size, k, s, (lo, hi)) in enumerate(zip(spatial, window, strides, padding)):
        starts = np.arange(output_size(size, k, s, (lo, hi))) * s - lo
        per_axis = np.minimum(starts + k, size) - np.maximum(starts, 0)
        shape = [1] * counts.ndim
        shape[axis + 1] = len(per_axis)
        counts = counts * per_axis.reshape(shape)
    return counts


def _check_lengths(n, **attrs):
    for name, value in attrs.items():
        if len(value) != n:
            raise ShapeError(f"{name} {value} needs one entry per spatial axis ({n})")


def _spatial_out(spatial, window, strides, padding, dilation):
    out = []
    for axis, (size, k, s, pad, d) in enumerate(zip(spatial, window, strides, padding, dilation)):
        m = output_size(size, k, s, pad, d)
        if m is not None and m < 1:
            span = d * (k - 1) + 1
            raise ShapeError(f"a window of size {k}" + (f" (dilated to {span})" if span != k else "")
                             + f" does not fit spatial axis {axis} of size {size} padded by {pad}")
        out.append(m)
    return tuple(out)


def _channels(x, what):
    if x.ndim < 3:
        raise ShapeError(f"{what} needs a (batch, *spatial, channels) input of rank >= 3, got {x.shape}")
    if x.shape[-1] is None:
        raise ShapeError(f"{what} needs a known channel count, got {x.shape}")
    return x.shape[-1]


def _check_filter(channels, w, groups, rank):
    if w.ndim != rank:
        raise ShapeError(f"filter of shape {w.shape} does not have the input's rank {rank}")
    if channels % groups:
        raise ShapeError(f"{channels} input channels do not split into {groups} groups")
    if w.shape[-2] != channels // groups:
        raise ShapeError(f"filter of shape {w.shape} expects {w.shape[-2] * groups} input channels, "
                         f"got {channels} (groups={groups})")
    if w.shape[-1] % groups:
        raise ShapeError(f"{w.shape[-1]} output channels do not split into {groups} groups")


def _same_dtype(a, b):
    if a.dtype != b.dtype:
        raise ShapeError(f"dtypes {a.dtype} and {b.dtype} differ; cast one first")
    return a.dtype


def conv_rule(x, w, *, strides, padding, rhs_dilation, feature_group_count):
    channels = _channels(x, "conv")
    n = x.ndim - 2
    _check_lengths(n, strides=strides, padding=padding, rhs_dilation=rhs_dilation)
    _check_filter(channels, w, feature_group_count, x.ndim)
    out = _spatial_out(x.shape[1:-1], w.shape[:n], strides, padding, rhs_dilation)
    return (x.shape[0],) + out + (w.shape[-1],), _same_dtype(x, w)


def _fill(shape, like):
    if like is None:
        return tuple(shape)
    if like.ndim != len(shape):
        raise ShapeError(f"shape {tuple(shape)} and reference shape {like.shape} differ in rank")
    return tuple(l if s is None else s for s, l in zip(shape, like.shape))


def conv_backprop_input_rule(g, w, like=None, *, shape, strides, padding, rhs_dilation, feature_group_count):
    """The cotangent of a conv's input: `shape` is that input's shape."""
    shape = _fill(shape, like)
    n = len(shape) - 2
    _check_lengths(n, strides=strides, padding=padding, rhs_dilation=rhs_dilation)
    _check_filter(shape[-1], w, feature_group_count, len(shape))
    if g.ndim != len(shape) or g.shape[-1] != w.shape[-1]:
        raise ShapeError(f"cotangent of shape {g.shape} does not match filter {w.shape} and input {shape}")
    expected = _spatial_out(shape[1:-1], w.shape[:n], strides, padding, rhs_dilation)
    for have, want in zip(g.shape[1:-1], expected):
        if None not in (have, want) and have != want:
            raise ShapeError(f"cotangent of shape {g.shape} is not the conv output of input {shape} "
                             f"(spatial {expected})")
    return (g.shape[0],) + shape[1:], _same_dtype(g, w)


def conv_backprop_filter_rule(x, g, *, window, strides, padding, rhs_dilation, feature_group_count):
    """The cotangent of a conv's filter: `window` is the filter's spatial shape."""
    channels = _channels(x, "conv_backprop_filter")
    n = x.ndim - 2
    _check_lengths(n, window=window, strides=strides, padding=padding, rhs_dilation=rhs_dilation)
    if channels % feature_group_count or g.ndim != x.ndim or g.shape[-1] is None \
            or g.shape[-1] % feature_group_count:
        raise ShapeError(f"input {x.shape} and cotangent {g.shape} do not fit groups={feature_group_count}")
    expected = _spatial_out(x.shape[1:-1], window, strides, padding, rhs_dilation)
    for have, want in zip(g.shape[1:-1], expected):
        if None not in (have, want) and have != want:
            raise ShapeError(f"cotangent of shape {g.shape} is not the conv output of input {x.shape}")
    return tuple(window) + (channels // feature_group_count, g.shape[-1]), _same_dtype(x, g)


def pool_rule(x, *, window, strides, padding):
    _channels(x, "pooling")
    n = x.ndim - 2
    _check_lengths(n, window=window, strides=strides, padding=padding)
    for (lo, hi), k in zip(padding, window):
        if lo >= k or hi >= k:  # a window made only of padding has no value
            raise ShapeError(f"pooling padding {padding} must be smaller than the window {window}")
    out = _spatial_out(x.shape[1:-1], window, strides, padding, (1,) * n)
    return (x.shape[0],) + out + (x.shape[-1],), x.dtype


def max_pool_backprop_rule(x, y, g, *, window, strides, padding):
    """The cotangent of a max pool's input `x`, given its output `y` and that output's cotangent `g`."""
    out_shape, dtype = pool_rule(x, window=window, strides=strides, padding=padding)
    for t in (y, g):
        if t.ndim != len(out_shape) or any(None not in (a, b) and a != b for a, b in zip(t.shape, out_shape)):
            raise ShapeError(f"pool output or cotangent of shape {t.shape} does not match {out_shape}")
    _same_dtype(x, g)
    return x.shape, dtype


def avg_pool_backprop_rule(g, like=None, *, shape, window, strides, padding):
    """The cotangent of an average pool's input, whose shape is `shape`."""
    shape = _fill(shape, like)
    n = len(shape) - 2
    _check_lengths(n, window=window, strides=strides, padding=padding)
    expected = _spatial_out(shape[1:-1], window, strides, padding, (1,) * n)
    if g.ndim != len(shape) or any(None not in (a, b) and a != b for a, b in zip(g.shape[1:-1], expected)):
        raise ShapeError(f"cotangent of shape {g.shape} is not the pool output of input {shape}")
    return (g.shape[0],) + shape[1:], g.dtype
