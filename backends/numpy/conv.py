"""NumPy kernels for convolution and pooling (channels-last, any number of spatial axes).

conv is im2col plus one BLAS matmul: the windows of the (padded) input are copied into a
patch matrix (batch * out positions, window taps * channels) and multiplied by the filter
seen as a (taps * channels, out) matrix. The filter gradient is the same patch matrix,
transposed, times the output cotangent; the input gradient is the cotangent times the
filter, transposed, scattered back by col2im: one strided slice-add per window tap.
Pooling reads one strided slice per window tap. No loop runs over pixels.

Every kernel takes `out=` (a buffer the executor planned, or None to allocate). Scratch
buffers (padded inputs, patch matrices) are kept per shape and thread, and reused.
"""
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from layered.graph.windows import output_size, pool_counts, window_offsets

_local = threading.local()
_SCRATCH_LIMIT = 64  # distinct scratch buffers kept per thread (enough for a train step of most models)


def scratch(tag, shape, dtype, fill=0):
    """A reusable per-thread buffer for a kernel's intermediate values (also used by kernels.py);
    created filled with `fill`, afterwards holding what its last user left."""
    cache = _local.__dict__.setdefault("buffers", {})
    key = (tag, tuple(shape), np.dtype(dtype).str, fill)
    buf = cache.get(key)
    if buf is None:
        if len(cache) >= _SCRATCH_LIMIT:
            cache.clear()
        buf = cache[key] = np.full(shape, fill, dtype)
    return buf


def _result(out, shape, dtype):
    return np.empty(shape, dtype) if out is None else out


def _flat(out, shape):
    """`out` reshaped without a copy (executor buffers are contiguous); raises rather than copy."""
    return np.reshape(out, shape, copy=False)


def _padded(x, padding, fill):
    """`x` with its spatial axes padded by `padding`; x itself when there is none. The
    border of the reused buffer is written once and stays `fill`."""
    if not any(lo or hi for lo, hi in padding):
        return x
    shape = (x.shape[0],) + tuple(d + lo + hi for d, (lo, hi) in zip(x.shape[1:-1], padding)) + (x.shape[-1],)
    xp = scratch(("padded", padding), shape, x.dtype, fill)
    xp[_interior(x.shape, padding)] = x
    return xp


def _interior(shape, padding):
    return (slice(None),) + tuple(slice(lo, lo + d) for d, (lo, _) in zip(shape[1:-1], padding)) + (slice(None),)


def _tap(offset, strides, dilation, out_spatial):
    """The slice of a padded input read by window tap `offset` at every output position."""
    return (slice(None),) + tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                                  for o, s, d, m in zip(offset, strides, dilation, out_spatial)) + (slice(None),)


def _out_spatial(xp_spatial, window, strides, dilation):
    return tuple(output_size(d, k, s, (0, 0), r) for d, k, s, r in zip(xp_spatial, window, strides, dilation))


def _im2col(xp, window, strides, dilation, out_spatial):
    """The patch matrix (batch * out positions, taps * channels), in a reused buffer."""
    n_batch, channels = xp.shape[0], xp.shape[-1]
    patches = scratch("patches", (n_batch,) + out_spatial + tuple(window) + (channels,), xp.dtype)
    if channels >= 8:
        # One copy from a strided view of every window (fast when channels are contiguous runs).
        s = xp.strides
        view_strides = ((s[0],) + tuple(s[1 + i] * st for i, st in enumerate(strides))
                        + tuple(s[1 + i] * d for i, d in enumerate(dilation)) + (s[-1],))
        np.copyto(patches, as_strided(xp, patches.shape, view_strides, writeable=False))
    else:
        # Few channels (a first layer): one shifted slice copy per tap is faster.
        lead = (slice(None),) * (1 + len(window))
        for offset in window_offsets(window):
            patches[lead + offset] = xp[_tap(offset, strides, dilation, out_spatial)]
    rows = int(np.prod(patches.shape[:1 + len(window)]))
    return patches.reshape(rows, -1)


def conv(x, w, *, strides, padding, rhs_dilation, feature_group_count, out=None):
    n = x.ndim - 2
    window, groups = w.shape[:n], feature_group_count
    xp = _padded(x, padding, 0)
    out_spatial = _out_spatial(xp.shape[1:-1], window, strides, rhs_dilation)
    out = _result(out, (x.shape[0],) + out_spatial + (w.shape[-1],), np.result_type(x, w))
    patches = _im2col(xp, window, strides, rhs_dilation, out_spatial)
    rows, taps = patches.shape[0], int(np.prod(window))
    if groups == 1:
        np.matmul(patches, w.reshape(-1, w.shape[-1]), out=_flat(out, (rows, w.shape[-1])))
        return out
    # Grouped: one matmul per group, batched (rows, taps, G, Cg) x (G, taps * Cg, Og).
    in_g, out_g = w.shape[-2], w.shape[-1] // groups
    per_group = patches.reshape(rows, taps, groups, in_g).transpose(2, 0, 1, 3).reshape(groups, rows, taps * in_g)
    filters = w.reshape(taps, in_g, groups, out_g).transpose(2, 0, 1, 3).reshape(groups, taps * in_g, out_g)
    np.copyto(_flat(out, (rows, groups, out_g)), np.matmul(per_group, filters).transpose(1, 0, 2))
    return out


def conv_backprop_input(g, w, like=None, *, shape, strides, padding, rhs_dilation, feature_group_count, out=None):
    n = g.ndim - 2
    window, groups = w.shape[:n], feature_group_count
    out_spatial = g.shape[1:-1]
    out = _result(out, shape, np.result_type(g, w))
    rows, taps, channels = int(np.prod(g.shape[:-1])), int(np.prod(window)), shape[-1]
    cols = g.reshape(rows, g.shape[-1])
    # col2im into the padded input gradient, big enough for every tap (strides may leave a
    # tail of the input unread), then cropped.
    spatial = shape[1:-1]
    need = tuple(max(d + lo + hi, s * (m - 1) + r * (k - 1) + 1)
                 for d, (lo, hi), s, m, r, k in zip(spatial, padding, strides, out_spatial, rhs_dilation, window))
    direct = need == tuple(spatial) and not any(lo for lo, _ in padding)
    dxp = out if direct else scratch("col2im", (shape[0],) + need + (channels,), out.dtype)
    dxp.fill(0)
    if groups == 1:
        # One small matmul per tap, added at once while it is in cache: faster than one big
        # matmul into a (rows, taps * channels) matrix read back tap by tap.
        part = scratch("tap_grad", (rows, channels), out.dtype)
        spread = part.reshape(g.shape[:-1] + (channels,))
        for offset in window_offsets(window):
            np.matmul(cols, w[offset].T, out=part)
            dxp[_tap(offset, strides, rhs_dilation, out_spatial)] += spread
    else:
        in_g, out_g = w.shape[-2], w.shape[-1] // groups
        filters = w.reshape(taps, in_g, groups, out_g).transpose(2, 3, 0, 1).reshape(groups, out_g, taps * in_g)
        per_group = np.matmul(cols.reshape(rows, groups, out_g).transpose(1, 0, 2), filters)
        dpatches = per_group.reshape(groups, rows, taps, in_g).transpose(1, 2, 0, 3)
        dpatches = dpatches.reshape(g.shape[:-1] + tuple(window) + (channels,))
        lead = (slice(None),) * (1 + n)
        for offset in window_offsets(window):
            dxp[_tap(offset, strides, rhs_dilation, out_spatial)] += dpatches[lead + offset]
    if not direct:
        np.copyto(out, dxp[_interior(shape, padding)])
    return out


def conv_backprop_filter(x, g, *, window, strides, padding, rhs_dilation, feature_group_count, out=None):
    groups = feature_group_count
    xp = _padded(x, padding, 0)
    out_spatial = g.shape[1:-1]
    patches = _im2col(xp, window, strides, rhs_dilation, out_spatial)
    rows, taps = patches.shape[0], int(np.prod(window))
    in_g = x.shape[-1] // groups
    out = _result(out, tuple(window) + (in_g, g.shape[-1]), np.result_type(x, g))
    cols = g.reshape(rows, g.shape[-1])
    if groups == 1:
        np.matmul(patches.T, cols, out=_flat(out, (taps * in_g, g.shape[-1])))
        return out
    out_g = g.shape[-1] // groups
    per_group = patches.reshape(rows, taps, groups, in_g).transpose(2, 1, 3, 0).reshape(groups, taps * in_g, rows)
    grads = np.matmul(per_group, cols.reshape(rows, groups, out_g).transpose(1, 0, 2))  # (G, taps*Cg, Og)
    np.copyto(_flat(out, (taps, in_g, groups, out_g)), grads.reshape(groups, taps, in_g, out_g).transpose(1, 2, 0, 3))
    return out


# ---------------------------------------------------------------- pooling

def _pool_geometry(x_shape, window, strides, padding):
    n = len(window)
    out_spatial = tuple(output_size(d, k, s, p) for d, k, s, p in zip(x_shape[1:-1], window, strides, padding))
    return out_spatial, (1,) * n, any(s < k for s, k in zip(strides, window))


def _reduce_windows(x, window, strides, padding, pad_value, combine, out):
    """Every window of `x` (padded with `pad_value`) folded tap by tap into `out` with the
    in-place ufunc `combine` (np.maximum, np.add)."""
    out_spatial, ones, _ = _pool_geometry(x.shape, window, strides, padding)
    xp = _padded(x, padding, pad_value)
    out = _result(out, (x.shape[0],) + out_spatial + (x.shape[-1],), x.dtype)
    for i, offset in enumerate(window_offsets(window)):
        tap = xp[_tap(offset, strides, ones, out_spatial)]
        if i == 0:
            np.copyto(out, tap)
        else:
            combine(out, tap, out=out)
    return out


def max_pool(x, *, window, strides, padding, out=None):
    return _reduce_windows(x, window, strides, padding, -np.inf, np.maximum, out)


def max_pool_backprop(x, y, g, *, window, strides, padding, out=None):
    """Each window's cotangent goes to the window's first element (row-major) equal to its
    max: ties are broken the same way on every backend. (The cotangent is routed by
    multiplying with a 0/1 mask, so a non-finite cotangent spreads NaN over its window.)"""
    out_spatial, ones, overlapping = _pool_geometry(x.shape, window, strides, padding)
    out = _result(out, x.shape, np.result_type(x, g))
    xp = _padded(x, padding, -np.inf)
    padded = xp is not x
    dxp = scratch("pool_grad", xp.shape, out.dtype) if padded else out
    if overlapping or not _tiles(xp.shape, window, strides, out_spatial):
        dxp.fill(0)
    # The per-tap masks are contiguous; only the reads of x and the writes of dx are strided.
    hit = scratch("pool_hit", y.shape, bool)
    taken = scratch("pool_taken", y.shape, bool)
    routed = scratch("pool_routed", y.shape, out.dtype) if overlapping else None
    offsets = list(window_offsets(window))
    for i, offset in enumerate(offsets):
        tap = _tap(offset, strides, ones, out_spatial)
        np.equal(xp[tap], y, out=hit)
        if i > 0:
            np.greater(hit, taken, out=hit)  # hit and not yet taken
        if i == 0:
            np.copyto(taken, hit)
        elif i < len(offsets) - 1:
            taken |= hit
        if overlapping:
            dxp[tap] += np.multiply(hit, g, out=routed)
        else:
            np.multiply(hit, g, out=dxp[tap])
    if padded:
        np.copyto(out, dxp[_interior(x.shape, padding)])
    return out


def _tiles(padded_shape, window, strides, out_spatial):
    """Whether the windows cover every element exactly once (then nothing needs zeroing)."""
    return all(s == k and m * s == d for d, k, s, m in zip(padded_shape[1:-1], window, strides, out_spatial))


def avg_pool(x, *, window, strides, padding, out=None):
    out = _reduce_windows(x, window, strides, padding, 0, np.add, out)
    if any(lo or hi for lo, hi in padding):
        out /= pool_counts(x.shape[1:-1], window, strides, padding).astype(out.dtype)
    else:
        out *= out.dtype.type(1.0 / np.prod(window))
    return out


def avg_pool_backprop(g, like=None, *, shape, window, strides, padding, out=None):
    out_spatial, ones, overlapping = _pool_geometry(shape, window, strides, padding)
    out = _result(out, shape, g.dtype)
    if any(lo or hi for lo, hi in padding):
        share = g / pool_counts(shape[1:-1], window, strides, padding).astype(g.dtype)
    else:
        share = g * g.dtype.type(1.0 / np.prod(window))
    spatial = shape[1:-1]
    need = tuple(max(d + lo + hi, s * (m - 1) + k)
                 for d, (lo, hi), s, m, k in zip(spatial, padding, strides, out_spatial, window))
    direct = need == tuple(spatial) and not any(lo for lo, _ in padding)
    dxp = out if direct else scratch("pool_grad", (shape[0],) + need + (shape[-1],), out.dtype)
    if overlapping or not _tiles(dxp.shape, window, strides, out_spatial):
        dxp.fill(0)
    for offset in window_offsets(window):
        target = dxp[_tap(offset, strides, ones, out_spatial)]
        if overlapping:
            target += share
        else:
            np.copyto(target, share)
    if not direct:
        np.copyto(out, dxp[_interior(shape, padding)])
    return out


KERNELS = {
    "conv": conv, "conv_backprop_input": conv_backprop_input, "conv_backprop_filter": conv_backprop_filter,
    "max_pool": max_pool, "max_pool_backprop": max_pool_backprop,
    "avg_pool": avg_pool, "avg_pool_backprop": avg_pool_backprop,
}
