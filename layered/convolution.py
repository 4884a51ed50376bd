"""Convolution and pooling ops in Keras 3's `keras.ops` names (re-exported by `layered.ops`).

Each turns Keras's arguments (an int or a tuple per spatial axis, padding as 'valid',
'same' or 'causal') into the explicit attributes of the `conv` / `conv_backprop_input` /
`max_pool` / `avg_pool` primitives. Layout is channels_last only.
"""
import numbers

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
            if size is None and s != 1:
                raise ValueError(f"padding='same' with strides {tuple(strides)} needs known spatial sizes, got "
                                 f"{tuple(spatial)}")
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
    pads = padding_pairs(padding, x.shape[1:-1], w.shape[:n], strides, dilation)
    return b.conv(x, w, strides, pads, dilation, x.shape[-1] // w.shape[-2])


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
    """
    n = len(window)
    dilation = dilation or (1,) * n
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"conv_transpose padding must be 'valid' or 'same', got {padding!r}")
    extra = (None,) * n if output_padding is None else per_axis_or_zero(output_padding, n)
    sizes, pairs = [], []
    for size, k, s, d, op in zip(spatial, window, strides, dilation, extra):
        if size is None:
            raise ValueError(f"conv_transpose needs known spatial sizes, got {tuple(spatial)}")
        span = d * (k - 1) + 1
        if op is None:
            out = size * s + max(span - s, 0) if mode == "valid" else size * s
        else:
            if op >= s:
                raise ValueError(f"output_padding {output_padding} must be smaller than the strides {strides}")
            out = (size - 1) * s + span - 2 * (span // 2 if mode == "same" else 0) + op
        reach = (size - 1) * s + span  # the padded extent the forward conv reads
        low = 0 if mode == "valid" else max(reach - out, 0) // 2
        sizes.append(out)
        pairs.append((low, max(reach - out - low, 0)))
    return tuple(sizes), tuple(pairs)


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
    return b.conv_backprop_input(x, w, (x.shape[0],) + sizes + (w.shape[-2],), strides, pads, dilation)


def _pool(primitive, inputs, pool_size, strides, padding, data_format, where):
    check_data_format(data_format, where)
    x = b.as_tensor(inputs)
    n = _spatial_rank(x, where)
    window = per_axis(pool_size, n, "pool_size")
    strides = window if strides is None else per_axis(strides, n, "strides")
    return primitive(x, window, strides, padding_pairs(padding, x.shape[1:-1], window, strides))


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
