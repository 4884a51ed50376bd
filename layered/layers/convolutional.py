"""Convolution layers: Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D (channels_last).

Weights follow Keras 3: a conv kernel is (*kernel_size, in_channels / groups, filters); a
transposed conv kernel (*kernel_size, filters, in_channels); a depthwise kernel
(*kernel_size, in_channels, depth_multiplier); a separable conv holds depthwise_kernel,
pointwise_kernel (1, ..., 1, in_channels * depth_multiplier, filters) and bias.
"""
from layered import activations, constraints, initializers, regularizers
from layered.convolution import (check_data_format, conv, conv_transpose, depthwise_conv, padding_pairs, per_axis,
                                 per_axis_or_zero, separable_conv, transpose_geometry)
from layered.graph import build
from layered.graph.core import ShapeError
from layered.graph.windows import output_size
from layered.models.layer import InputSpec, Layer


class _Conv(Layer):
    """What every convolution layer shares: arguments, the bias and activation, shape checks."""

    rank = None
    _paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, bias_initializer="zeros", bias_regularizer=None,
                 activity_regularizer=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if activity_regularizer is not None:
            raise NotImplementedError(f"{kind}: activity_regularizer is not supported yet")
        self.data_format = check_data_format(data_format, kind)
        if filters is not None and (not isinstance(filters, int) or filters <= 0):
            raise ValueError(f"{kind}: filters must be a positive int, got {filters!r}")
        self.filters = filters
        self.kernel_size = per_axis(kernel_size, self.rank, "kernel_size")
        self.strides = per_axis(strides, self.rank, "strides")
        self.dilation_rate = per_axis(dilation_rate, self.rank, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in self._paddings:
            raise ValueError(f"{kind}: padding must be one of {', '.join(map(repr, self._paddings))}, got {padding!r}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{kind}: strides > 1 together with dilation_rate > 1 is not supported, got "
                             f"strides={self.strides}, dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _set_kernel_options(self, prefix, initializer, regularizer, constraint):
        """`<prefix>_initializer`, `_regularizer`, `_constraint`: the options of one kernel."""
        setattr(self, f"{prefix}_initializer", initializers.get(initializer))
        setattr(self, f"{prefix}_regularizer", regularizers.get(regularizer))
        setattr(self, f"{prefix}_constraint", constraints.get(constraint))

    def _kernel_config(self, prefix):
        return {f"{prefix}_initializer": initializers.serialize(getattr(self, f"{prefix}_initializer")),
                f"{prefix}_regularizer": regularizers.serialize(getattr(self, f"{prefix}_regularizer")),
                f"{prefix}_constraint": constraints.serialize(getattr(self, f"{prefix}_constraint"))}

    def _add_kernel(self, prefix, shape, name):
        return self.add_weight(shape=shape, initializer=getattr(self, f"{prefix}_initializer"),
                               regularizer=getattr(self, f"{prefix}_regularizer"),
                               constraint=getattr(self, f"{prefix}_constraint"), name=name)

    def _channels(self, input_shape, kernel_must_fit=True):
        """The input's channel count, after checking its rank (and that the kernel fits the
        input; a transposed convolution, which grows its input, skips that check)."""
        self._check_rank(input_shape)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs a known channel count (the last "
                             f"axis), got input shape {tuple(input_shape)}")
        if kernel_must_fit:
            self._output_spatial(input_shape)
        return channels

    def _finish_build(self, channels):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        self.built = True

    def _add_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(size,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")

    def _finish(self, x):
        if self.bias is not None:
            x = build.add(x, self.bias)
        return self.activation(x)

    def _output_spatial(self, input_shape):
        """Output sizes; a clear error when the (dilated) kernel is larger than a padded input."""
        spatial = tuple(input_shape[1:-1])
        pads = padding_pairs(self.padding, spatial, self.kernel_size, self.strides, self.dilation_rate)
        sizes = []
        for axis, (size, k, s, d, pad) in enumerate(zip(spatial, self.kernel_size, self.strides,
                                                         self.dilation_rate, pads)):
            m = output_size(size, k, s, pad, d)
            if m is not None and m < 1:
                raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}): the kernel of size "
                                 f"{self.kernel_size} (dilation {self.dilation_rate}) is larger than the input along "
                                 f"spatial axis {axis} ({size}) with padding='{self.padding}'; received input shape "
                                 f"{tuple(input_shape)}")
            sizes.append(m)
        return tuple(sizes)

    def _check_rank(self, input_shape):
        InputSpec(ndim=self.rank + 2).check(self, input_shape)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return (input_shape[0],) + self._output_spatial(input_shape) + (self._out_channels(input_shape),)

    def _out_channels(self, input_shape):
        return self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "bias_initializer": initializers.serialize(self.bias_initializer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer), "activity_regularizer": None,
                "bias_constraint": constraints.serialize(self.bias_constraint)}


def _depth_multiplier(layer, value):
    if not isinstance(value, int) or value <= 0:
        raise ValueError(f"{type(layer).__name__}: depth_multiplier must be a positive int, got {value!r}")
    return value


class _BaseConv(_Conv):
    """Conv1D/2D/3D: `activation(conv(inputs, kernel) + bias)`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(f"{type(self).__name__}: filters ({filters}) must be a multiple of groups ({groups})")
        self.groups = groups
        self._set_kernel_options("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): {channels} input channels are not a "
                             f"multiple of groups={self.groups}")
        self.kernel = self._add_kernel("kernel", self.kernel_size + (channels // self.groups, self.filters), "kernel")
        self._add_bias(self.filters)
        self._finish_build(channels)

    def call(self, inputs):
        self._output_spatial(inputs.shape)
        x = conv(inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate)
        return self._finish(x)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, **self._kernel_config("kernel")}


class Conv1D(_BaseConv):
    """1-D convolution over (batch, steps, channels); padding 'valid', 'same' or 'causal'.

    Example:
        layer = layered.layers.Conv1D(16, 3, activation="relu")   # (b, 20, 8) -> (b, 18, 16)
    """

    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(_BaseConv):
    """2-D convolution over (batch, height, width, channels).

    Args:
        filters: output channels. kernel_size, strides, dilation_rate: an int or a pair.
        padding: 'valid' (no padding) or 'same' (output size ceil(input / stride)).
        groups: split the input channels into this many independent convolutions.
    Example:
        layer = layered.layers.Conv2D(32, 3, activation="relu")   # (b, 28, 28, 1) -> (b, 26, 26, 32)
    """

    rank = 2


class Conv3D(_BaseConv):
    """3-D convolution over (batch, depth, height, width, channels).

    Example:
        layer = layered.layers.Conv3D(8, 3)   # (b, 10, 10, 10, 2) -> (b, 8, 8, 8, 8)
    """

    rank = 3


class _BaseConvTranspose(_Conv):
    """The transposed convolution: the gradient of a convolution with respect to its input."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        self.output_padding = None if output_padding is None else per_axis_or_zero(output_padding, self.rank)
        self._set_kernel_options("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{type(self).__name__}: output_padding {self.output_padding} must be smaller than "
                             f"strides {self.strides}")

    def build(self, input_shape):
        channels = self._channels(input_shape, kernel_must_fit=False)
        self.kernel = self._add_kernel("kernel", self.kernel_size + (self.filters, channels), "kernel")
        self._add_bias(self.filters)
        self._finish_build(channels)

    def _output_spatial(self, input_shape):
        spatial = tuple(input_shape[1:-1])
        sizes, _ = transpose_geometry(spatial, self.kernel_size, self.strides, self.padding, self.output_padding,
                                      self.dilation_rate)
        return sizes

    def call(self, inputs):
        x = conv_transpose(inputs, self.kernel, self.strides, self.padding, self.output_padding, self.data_format,
                           self.dilation_rate)
        return self._finish(x)

    def get_config(self):
        return {**super().get_config(), "output_padding": self.output_padding, **self._kernel_config("kernel")}


class Conv1DTranspose(_BaseConvTranspose):
    """1-D transposed convolution; kernel (kernel_size, filters, in_channels).

    Example:
        layer = layered.layers.Conv1DTranspose(4, 3, strides=2)   # (b, 5, 2) -> (b, 11, 4)
    """

    rank = 1


class Conv2DTranspose(_BaseConvTranspose):
    """2-D transposed convolution (upsampling by `strides`); kernel (kh, kw, filters, in_channels).

    Output size per axis: 'valid' gives size * stride + max(kernel - stride, 0), 'same'
    gives size * stride (Keras's rule; `output_padding` adjusts it).
    Example:
        layer = layered.layers.Conv2DTranspose(16, 3, strides=2, padding="same")   # (b, 7, 7, 8) -> (b, 14, 14, 16)
    """

    rank = 2


class Conv3DTranspose(_BaseConvTranspose):
    """3-D transposed convolution; kernel (kd, kh, kw, filters, in_channels).

    Example:
        layer = layered.layers.Conv3DTranspose(4, 3, strides=2, padding="same")   # (b, 4, 4, 4, 2) -> (b, 8, 8, 8, 4)
    """

    rank = 3


class _BaseDepthwiseConv(_Conv):
    """Each input channel convolved with its own `depth_multiplier` filters."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        self.depth_multiplier = _depth_multiplier(self, depth_multiplier)
        self._set_kernel_options("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self._add_kernel("depthwise", self.kernel_size + (channels, self.depth_multiplier), "kernel")
        self._add_bias(channels * self.depth_multiplier)
        self._finish_build(channels)

    def _out_channels(self, input_shape):
        return self._channels(input_shape) * self.depth_multiplier

    def call(self, inputs):
        self._output_spatial(inputs.shape)
        x = depthwise_conv(inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate)
        return self._finish(x)

    def get_config(self):
        config = super().get_config()
        del config["filters"]
        return {**config, "depth_multiplier": self.depth_multiplier, **self._kernel_config("depthwise")}


class DepthwiseConv1D(_BaseDepthwiseConv):
    """1-D depthwise convolution; kernel (kernel_size, in_channels, depth_multiplier).

    Example:
        layer = layered.layers.DepthwiseConv1D(3, depth_multiplier=2)   # (b, 10, 4) -> (b, 8, 8)
    """

    rank = 1


class DepthwiseConv2D(_BaseDepthwiseConv):
    """2-D depthwise convolution; kernel (kh, kw, in_channels, depth_multiplier), output
    channel c * depth_multiplier + j.

    Example:
        layer = layered.layers.DepthwiseConv2D(3, depth_multiplier=2)   # (b, 8, 8, 3) -> (b, 6, 6, 6)
    """

    rank = 2


class _BaseSeparableConv(_Conv):
    """A depthwise convolution, then a pointwise (1x1) convolution to `filters` channels."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        self.depth_multiplier = _depth_multiplier(self, depth_multiplier)
        self._set_kernel_options("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self._set_kernel_options("pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.depthwise_kernel = self._add_kernel("depthwise", self.kernel_size + (channels, self.depth_multiplier),
                                                 "depthwise_kernel")
        self.pointwise_kernel = self._add_kernel(
            "pointwise", (1,) * self.rank + (channels * self.depth_multiplier, self.filters), "pointwise_kernel")
        self._add_bias(self.filters)
        self._finish_build(channels)

    def call(self, inputs):
        self._output_spatial(inputs.shape)
        x = separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
                           self.data_format, self.dilation_rate)
        return self._finish(x)

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                **self._kernel_config("depthwise"), **self._kernel_config("pointwise")}


class SeparableConv1D(_BaseSeparableConv):
    """1-D separable convolution: depthwise, then pointwise.

    Example:
        layer = layered.layers.SeparableConv1D(8, 3)   # (b, 10, 4) -> (b, 8, 8)
    """

    rank = 1


class SeparableConv2D(_BaseSeparableConv):
    """2-D separable convolution: a depthwise convolution (depthwise_kernel (kh, kw, in,
    depth_multiplier)), then a 1x1 convolution (pointwise_kernel (1, 1, in * depth_multiplier,
    filters)), then the bias.

    Example:
        layer = layered.layers.SeparableConv2D(16, 3, padding="same")   # (b, 8, 8, 3) -> (b, 8, 8, 16)
    """

    rank = 2
