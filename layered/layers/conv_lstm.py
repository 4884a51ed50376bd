"""ConvLSTM1D/2D/3D: an LSTM whose gates are convolutions (Shi et al., 2015), over inputs
(batch, time, *spatial, channels). One `ops.scan` over time; each step convolves the input
(with the layer's strides, padding and dilation) and the hidden state ('same', stride 1).

Weights follow Keras: kernel (*kernel_size, channels, 4 filters), recurrent_kernel
(*kernel_size, filters, 4 filters), bias (4 filters,), gate blocks i, f, c, o.
"""
import numpy as np

from layered import activations, constraints, initializers, ops, regularizers
from layered.convolution import check_data_format, conv, per_axis
from layered.graph.core import ShapeError
from layered.models.layer import InputSpec, Layer


class _ConvLSTM(Layer):
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if dropout or recurrent_dropout or stateful or activity_regularizer is not None:
            raise NotImplementedError(f"{kind} layer '{self.name}': dropout, recurrent_dropout, stateful and "
                                      "activity_regularizer are not supported")
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{kind} layer '{self.name}': filters must be a positive int, got {filters!r}")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{kind} layer '{self.name}': padding must be 'valid' or 'same', got {padding!r}")
        self.filters = filters
        self.kernel_size = per_axis(kernel_size, self.rank, "kernel_size")
        self.strides = per_axis(strides, self.rank, "strides")
        self.dilation_rate = per_axis(dilation_rate, self.rank, "dilation_rate")
        self.data_format = check_data_format(data_format, kind)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = self.recurrent_dropout = 0.0
        self.seed = seed
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), False, bool(unroll)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}) needs a known channel count, received "
                             f"input shape {tuple(input_shape)}")
        four = 4 * self.filters
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, four), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, four), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint, name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                initializer = _forget_gate_ones(self.bias_initializer, self.filters)
            self.bias = self.add_weight(shape=(four,), initializer=initializer, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        self.input_spec = InputSpec(ndim=self.rank + 3, axes={-1: channels})
        self.built = True

    def _step(self, x_t, h, c):
        z = conv(x_t, self.kernel, self.strides, self.padding, None, self.dilation_rate)
        if self.bias is not None:
            z = z + self.bias
        z = z + conv(h, self.recurrent_kernel, 1, "same")
        f = self.filters
        i, forget, g, o = (z[..., k * f:(k + 1) * f] for k in range(4))
        c = self.recurrent_activation(forget) * c + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, c

    def call(self, inputs):
        time_major = ops.transpose(inputs, (1, 0) + tuple(range(2, inputs.ndim)))
        # Zero states of the output's spatial shape: a convolution of the summed steps, times zero.
        summed = ops.stop_gradient(ops.sum(inputs, axis=1))
        zeros = conv(summed, ops.stop_gradient(self.kernel[..., :self.filters]), self.strides, self.padding, None,
                     self.dilation_rate) * 0.0

        def body(carry, x_t):
            h, c = self._step(x_t, *carry)
            return (h, c), (h if self.return_sequences else None)
        (h, c), ys = ops.scan(body, (zeros, zeros), time_major, reverse=self.go_backwards)
        output = h
        if self.return_sequences:
            ys = ops.flip(ys, 0) if self.go_backwards else ys
            output = ops.transpose(ys, (1, 0) + tuple(range(2, ys.ndim)))
        return [output, h, c] if self.return_state else output

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": None,
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint), "dropout": 0.0,
                "recurrent_dropout": 0.0, "seed": self.seed, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": False,
                "unroll": self.unroll, "zero_output_for_mask": False}


def _forget_gate_ones(initializer, filters):
    def forget_gate_ones(shape, dtype=None):  # the forget gate starts open, as in LSTM
        return np.concatenate([np.asarray(initializer((filters,), dtype=dtype)), np.ones((filters,), dtype),
                               np.asarray(initializer((2 * filters,), dtype=dtype))])
    return forget_gate_ones


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, steps, channels).

    Example:
        layer = layered.layers.ConvLSTM1D(8, 3, padding="same", return_sequences=True)
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, height, width, channels).

    Example:
        layer = layered.layers.ConvLSTM2D(16, (3, 3), padding="same", return_sequences=True)
    """

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, depth, height, width, channels)."""

    rank = 3
