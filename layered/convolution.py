"""Convolution and pooling ops in Keras 3's `keras.ops` names (re-exported by `layered.ops`).

Each turns Keras's arguments (an int or a tuple per spatial axis, padding as 'valid',
'same' or 'causal') into the explicit attributes of the `conv` / `conv_backprop_input` /
`max_pool` / `avg_pool` primitives. Layout is channels_last only.
"""
import numbers

import numpy as np

from layered.graph import build as b
from layered.graph.core import ShapeError


def check_data_format(data_format, where):
    """channels_last (the default) or a clear error."""
    if data_format in (None, "channels_last"):
        return "channels_last"
    if data_format == "channels_first":
        raise NotImplementedError(f"{where}: data_format='channels_first' is not supported; layered computes "
                                  "channels_last only (inputs shaped (batch, *spatial, channels))")
    raise ValueError(f"{where}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")


def per_axis(value, n, name):
    """An int or a sequence of n ints as a tuple of n positive ints."""
    values = (value,) * n if isinstance(value, numbers.Integral) else tuple(value)
    if len(values) != n or not all(isinstance(v, numbers.Integral) and v > 0 for v in values):
        raise ValueError(f"{name} must be a positive int or a tuple of {n} positive ints, got {value!r}")
    return tuple(int(v) for v in values)


def padding_pairs(padding, spatial, window, strides, dilation=None):
    """Explicit (low, high) pairs for Keras's padding names.

    'valid' pads nothing; 'same' pads so that the output has ceil(size / stride) positions,
    the odd element going after (as TensorFlow and Keras do); 'causal' (1-D) pads only before.
    """
    dilation = dilation or (1,) * len(window)
    mode = str(padding).lower()
    pairs = []
    for size, k, s, d in zip(spatial, window, strides, dilation):
        span = d * (k - 1) + 1
        if mode == "valid":
            pairs.append((0, 0))
        elif mode == "causal":
            pairs.append((span - 1, 0))
        elif mode == "same":
            # An unknown size pads span - 1 in all (ceil(size / stride) windows); with strides
            # the low part can depend on the size, which `align_same` settles at run time.
            total = span - 1 if size is None else max((-(-size // s) - 1) * s + span - size, 0)
            pairs.append((total // 2, total - total // 2))
        else:
            names = "'valid', 'same' or 'causal'" if len(window) == 1 else "'valid' or 'same'"
            raise ValueError(f"padding must be {names}, got {padding!r}")
    return tuple(pairs)


def _spatial_rank(x, where):
    if x.ndim < 3:
        raise ShapeError(f"{where} needs inputs shaped (batch, *spatial, channels), got {x.shape}")
    return x.ndim - 2


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution; kernel (*window, in_channels / groups, out_channels). The group count
    is in_channels // kernel.shape[-2], as in Keras.

    Example:
        y = layered.ops.conv(x, kernel, strides=2, padding="same")   # x (b, 28, 28, 1), kernel (3, 3, 1, 8)
    """
    check_data_format(data_format, "conv")
    x, w = b.as_tensor(inputs), b.as_tensor(kernel)
    n = _spatial_rank(x, "conv")
    if w.ndim != n + 2:
        raise ShapeError(f"conv: kernel of shape {w.shape} does not fit inputs of shape {x.shape}")
    if str(padding).lower() == "causal" and n != 1:
        raise ValueError("padding='causal' is only for 1-D convolutions")
    strides, dilation = per_axis(strides, n, "strides"), per_axis(dilation_rate, n, "dilation_rate")
    if x.shape[-1] is None or x.shape[-1] % w.shape[-2]:
        raise ShapeError(f"conv: {x.shape[-1]} input channels are not a multiple of the kernel's {w.shape[-2]}")
    if _needs_alignment(padding, x.shape[1:-1], strides):
        x, pads, _ = align_same(x, w.shape[:n], strides, dilation)
    else:
        pads = padding_pairs(padding, x.shape[1:-1], w.shape[:n], strides, dilation)
    return b.conv(x, w, strides, pads, dilation, x.shape[-1] // w.shape[-2])


def _needs_alignment(padding, spatial, strides):
    return str(padding).lower() == "same" and any(d is None and s > 1 for d, s in zip(spatial, strides))


def _same_lows(span, stride):
    """The low 'same' padding for each remainder of size / stride: TF pads
    max((ceil(size / s) - 1) * s + span - size, 0) in all, the smaller half before."""
    return [max(span - (stride if r == 0 else r), 0) // 2 for r in range(stride)]


def align_same(x, window, strides, dilation=None):
    """'same' padding on axes whose size is known only at run time, with strides > 1.

    Padding (L, span - 1 - L) always gives ceil(size / stride) windows, but where Keras's low
    padding L depends on size mod stride (a 3-wide window with stride 2: 0 for even sizes, 1
    for odd ones), `x` is first spread over size + max(L) positions by one gather whose
    indices are picked for the remainder when the graph runs, with zeros in the extra slots.
    Returns (x, static padding pairs, mask of x's real elements or None).
    """
    dilation = dilation or (1,) * len(window)
    mask, pads = None, []
    for axis, (size, k, s, d) in enumerate(zip(x.shape[1:-1], window, strides, dilation), start=1):
        span = d * (k - 1) + 1
        if size is not None:
            pads.append(padding_pairs("same", (size,), (k,), (s,), (d,))[0])
            continue
        lows = _same_lows(span, s)
        if len(set(lows)) == 1:
            pads.append((lows[0], span - 1 - lows[0]))
            continue
        top = max(lows)
        count, _ = _count_steps(x, axis)
        # Positions 0 .. size + top - 1 of the spread axis (counted on a gradient-free copy).
        _, spread = _count_steps(_pad_axis(b.stop_gradient(x), axis, 0, top), axis)
        remainder = _remainder(count, s)
        index = valid = None
        for r, low in enumerate(lows):
            index_r = b.minimum(b.maximum(b.sub(spread, np.int32(low)), np.int32(0)), b.sub(count, np.int32(1)))
            valid_r = b.logical_and(b.greater_equal(spread, np.int32(low)),
                                    b.less(spread, b.add(count, np.int32(low))))
            if index is None:
                index, valid = index_r, valid_r
            else:
                pick = b.equal(remainder, float(r))
                index, valid = b.where(pick, index_r, index), b.logical_or(
                    b.logical_and(pick, valid_r), b.logical_and(b.logical_not(pick), valid))
        along = b.reshape(valid, tuple(-1 if i == axis else 1 for i in range(x.ndim)))
        x = b.where(along, b.take(x, index, axis), 0.0)
        mask = along if mask is None else b.logical_and(mask, along)  # per-axis masks broadcast
        pads.append((0, span - 1 - top))
    return x, tuple(pads), mask


def _count_steps(x, axis):
    """(size, positions 0 .. size - 1) of `axis`, as int32 tensors counted when the graph runs."""
    from layered import ops  # ops sits above this module
    others = tuple(i for i in range(x.ndim) if i != axis)
    steps = b.reduce_sum(b.stop_gradient(x), others) if others else b.stop_gradient(x)
    return ops.scan(lambda count, _: (count + 1, count), np.int32(0), steps)


def _remainder(count, stride):
    """count mod stride as a float scalar."""
    size = b.cast(count, "float32")
    return b.sub(size, b.mul(b.floor(b.div(size, float(stride))), float(stride)))


def _pad_axis(x, axis, low, high):
    lows, highs = [0] * x.ndim, [0] * x.ndim
    lows[axis], highs[axis] = low, high
    return b.pad(x, lows, highs) if low or high else x


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own `depth_multiplier` filters: kernel
    (*window, in_channels, depth_multiplier); output channel c * multiplier + j."""
    w = b.as_tensor(kernel)
    grouped = b.reshape(w, w.shape[:-2] + (1, w.shape[-2] * w.shape[-1]))
    return conv(inputs, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    x = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(x, pointwise_kernel, 1, "valid", data_format)


def transpose_geometry(spatial, window, strides, padding, output_padding=None, dilation=None):
    """Output sizes of a transposed convolution and the padding of the convolution it transposes.

    The sizes follow Keras: 'valid' gives size * stride + max(kernel - stride, 0), 'same'
    gives size * stride; an explicit `output_padding` gives
    (size - 1) * stride + kernel - 2 * pad + output_padding with pad = kernel // 2 for 'same'.
    Every rule is size * stride plus a constant, so the padding does not depend on the size
    and an unknown size (None) gives an unknown output size.
    """
    sizes, pairs = [], []
    for size, extra, pair in zip(spatial, *_transpose_extras(window, strides, padding, output_padding, dilation)):
        sizes.append(None if size is None else size * strides[len(sizes)] + extra)
        pairs.append(pair)
    return tuple(sizes), tuple(pairs)


def _transpose_extras(window, strides, padding, output_padding=None, dilation=None):
    """Per axis: the output size minus size * stride, and the (low, high) padding pair."""
    n = len(window)
    dilation = dilation or (1,) * n
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"conv_transpose padding must be 'valid' or 'same', got {padding!r}")
    extra = (None,) * n if output_padding is None else per_axis_or_zero(output_padding, n)
    extras, pairs = [], []
    for k, s, d, op in zip(window, strides, dilation, extra):
        span = d * (k - 1) + 1
        if op is None:
            grow = max(span - s, 0) if mode == "valid" else 0
        else:
            if op >= s:
                raise ValueError(f"output_padding {output_padding} must be smaller than the strides {strides}")
            grow = span - s - 2 * (span // 2 if mode == "same" else 0) + op
        beyond = span - s - grow  # how far the forward conv's reach passes the output
        low = 0 if mode == "valid" else max(beyond, 0) // 2
        extras.append(grow)
        pairs.append((low, max(beyond - low, 0)))
    return tuple(extras), tuple(pairs)


def per_axis_or_zero(value, n):
    values = (value,) * n if isinstance(value, numbers.Integral) else tuple(value)
    if len(values) != n or any(v < 0 for v in values):
        raise ValueError(f"output_padding must be a non-negative int or a tuple of {n}, got {value!r}")
    return tuple(int(v) for v in values)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """The transposed convolution (the gradient of `conv` with respect to its input);
    kernel (*window, out_channels, in_channels), as Keras's Conv2DTranspose holds it."""
    check_data_format(data_format, "conv_transpose")
    x, w = b.as_tensor(inputs), b.as_tensor(kernel)
    n = _spatial_rank(x, "conv_transpose")
    if w.ndim != n + 2 or x.shape[-1] != w.shape[-1]:
        raise ShapeError(f"conv_transpose: kernel of shape {w.shape} does not fit inputs of shape {x.shape}")
    strides, dilation = per_axis(strides, n, "strides"), per_axis(dilation_rate, n, "dilation_rate")
    sizes, pads = transpose_geometry(x.shape[1:-1], w.shape[:n], strides, padding, output_padding, dilation)
    shape = (x.shape[0],) + sizes + (w.shape[-2],)
    like = None
    if None in sizes:  # a tensor of the output's sizes, made from the input, supplies the unknown ones
        extras, _ = _transpose_extras(w.shape[:n], strides, padding, output_padding, dilation)
        like = b.stop_gradient(b.slice(x, (0,) * x.ndim, (None,) * (x.ndim - 1) + (1,)))
        for axis, (size, s, extra) in enumerate(zip(x.shape[1:-1], strides, extras), start=1):
            if size is None:
                like = resize_axis(upsample_axis(like, axis, s), axis, extra)
    return b.conv_backprop_input(x, w, shape, strides, pads, dilation, like=like)


def axis_positions(x, axis):
    """(size,) int32 positions 0, 1, ... along `axis` of `x`, counted when the graph runs
    if the size is unknown."""
    if x.shape[axis] is not None:
        return b.as_tensor(np.arange(x.shape[axis], dtype=np.int32))
    return _count_steps(x, axis)[1]


def upsample_axis(x, axis, size):
    """Each step along `axis` repeated `size` times (nearest-neighbour upsampling), also for
    an axis of unknown size (a gather of positions 0, 0, 1, 1, ...)."""
    from layered import ops
    if x.shape[axis] is not None or size == 1:
        return ops.repeat(x, size, axis=axis)
    positions = b.reshape(axis_positions(x, axis), (-1, 1))
    index = b.reshape(b.broadcast_to(positions, (None, size), like=positions), (-1,))
    return b.take(x, index, axis)


def crop_axis(x, axis, low, high):
    """`x` without its first `low` and last `high` steps along `axis`, also when that axis has
    an unknown size: a valid pooling window of low + high + 1 steps has exactly as many
    positions as the cropped axis, and its positions shifted by `low` are gathered."""
    if low == 0 and high == 0:
        return x
    size = x.shape[axis]
    if size is not None:
        starts, stops = [0] * x.ndim, list(x.shape)
        starts[axis], stops[axis] = low, size - high
        return b.slice(x, starts, stops)
    others = tuple(i for i in range(x.ndim) if i != axis)
    steps = b.reshape(b.reduce_sum(b.stop_gradient(b.cast(x, "float32")), others), (1, -1, 1))
    kept = b.reshape(b.avg_pool(steps, (low + high + 1,), (1,), ((0, 0),)), (-1,))
    return b.take(x, b.add(axis_positions(kept, 0), np.int32(low)), axis)


def resize_axis(x, axis, change):
    """`x` grown (zero padding at the end) or shrunk (cropped at the end) by `change` steps along `axis`."""
    if change > 0:
        low, high = [0] * x.ndim, [0] * x.ndim
        high[axis] = change
        return b.pad(x, low, high)
    return crop_axis(x, axis, 0, -change)


def _pool(primitive, inputs, pool_size, strides, padding, data_format, where):
    check_data_format(data_format, where)
    x = b.as_tensor(inputs)
    n = _spatial_rank(x, where)
    window = per_axis(pool_size, n, "pool_size")
    strides = window if strides is None else per_axis(strides, n, "strides")
    if not _needs_alignment(padding, x.shape[1:-1], strides):
        return primitive(x, window, strides, padding_pairs(padding, x.shape[1:-1], window, strides))
    x, pads, mask = align_same(x, window, strides)
    if mask is None:
        return primitive(x, window, strides, pads)
    if primitive is b.max_pool:  # the alignment padding must never win a max
        return primitive(b.where(mask, x, float("-inf")), window, strides, pads)
    # A mean over real elements only: the window sums divided by the counts of real elements.
    real = b.add(b.zeros_like(b.stop_gradient(x)), b.cast(mask, x.dtype))
    return b.div(primitive(x, window, strides, pads), primitive(real, window, strides, pads))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max over windows of the spatial axes (strides default to the pool size).

    Example:
        y = layered.ops.max_pool(x, 2)   # (b, 28, 28, c) -> (b, 14, 14, c)
    """
    return _pool(b.max_pool, inputs, pool_size, strides, padding, data_format, "max_pool")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over windows of the spatial axes; with 'same' padding the padded elements are
    left out of each window's mean, as in Keras."""
    return _pool(b.avg_pool, inputs, pool_size, strides, padding, data_format, "average_pool")
