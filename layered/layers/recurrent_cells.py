"""The built-in recurrent cells: SimpleRNNCell, LSTMCell, GRUCell (Keras 3 weight layouts).

A cell's `step(projected, states, recurrent_mask)` is the per-step update after the input
projection `project(inputs) = inputs @ kernel + bias`, which the RNN layer computes for all
steps at once before its loop; `call(inputs, states, training)` is Keras's per-step cell API.
"""
import numpy as np

from layered import activations, constraints, initializers, ops, random, regularizers
from layered.graph import build
from layered.models.layer import Layer


def _dropout_mask(rate, like, width, dtype, seed, what):
    """A (batch, width) mask of 0 and 1/(1-rate): one draw per call, shared by every step."""
    base, salt = random.next_seed(what)
    if seed is not None:
        salt += 1_000_003 * int(seed)  # a seeded cell draws its own stream
    keep = build.random_uniform(base, (None, width), dtype, salt=salt, like=like) >= rate
    # `where` (not a product with the cast mask): no gradient path runs through the draw.
    return ops.where(keep, build.as_tensor(1.0 / (1.0 - rate), dtype), 0.0)


def _matmul_last(x, w):
    """x (..., k) @ w (k, n) as one 2-D product (one GEMM, and one for each gradient)."""
    if x.ndim == 2:
        return ops.matmul(x, w)
    flat = ops.matmul(build.reshape(x, (None, x.shape[-1])), w)
    return build.reshape(flat, x.shape[:-1] + (w.shape[-1],), like=x)


class BaseCell(Layer):
    """What the three built-in cells share: weights, dropout and the Keras cell API.

    A subclass sets `blocks` (how many `units`-wide blocks the kernel has) and writes
    `step(projected, states, recurrent_mask)`, the per-step update after the input
    projection.
    """

    blocks = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"{type(self).__name__} units must be a positive integer, got {units}")
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"{type(self).__name__} {name} must be in [0, 1), got {rate}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout, self.recurrent_dropout, self.seed = float(dropout), float(recurrent_dropout), seed

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs a known last input dimension, "
                             f"got {input_shape}")
        width = self.blocks * self.units
        self.kernel = self.add_weight(shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=self._bias_shape(), initializer=self._bias_initial_value(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")
        self.built = True

    def _bias_shape(self):
        return (self.blocks * self.units,)

    def _bias_initial_value(self):
        return self.bias_initializer

    def _input_bias(self):
        return self.bias

    def project(self, inputs):
        """The input part of every gate, `inputs @ kernel + bias`, for any leading axes."""
        x = _matmul_last(inputs, self.kernel)
        bias = self._input_bias()
        return x if bias is None else x + bias

    def dropout_masks(self, inputs, states, training):
        """(input mask, recurrent mask) for one call, None where no dropout applies."""
        if not training:
            return None, None
        like = states[0]  # any (batch, ...) tensor: only its batch size is read
        dp = None if self.dropout == 0 else _dropout_mask(
            self.dropout, like, inputs.shape[-1], inputs.dtype, self.seed, f"dropout of '{self.name}'")
        rec = None if self.recurrent_dropout == 0 else _dropout_mask(
            self.recurrent_dropout, like, self.units, like.dtype, self.seed, f"recurrent dropout of '{self.name}'")
        return dp, rec

    def call(self, inputs, states, training=False):
        """One step, Keras's cell API: (inputs (batch, features), states) -> (output, new states)."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        dp, rec = self.dropout_masks(inputs, states, training)
        return self.step(self.project(inputs if dp is None else inputs * dp), states, rec)

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ops.zeros((batch_size, size), self.dtype) for size in sizes]

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


def _masked(h, mask):
    return h if mask is None else h * mask


class SimpleRNNCell(BaseCell):
    """The cell of SimpleRNN: `h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)`.

    Example:
        layer = layered.layers.RNN(layered.layers.SimpleRNNCell(16))
    """

    def step(self, projected, states, recurrent_mask=None):
        h = self.activation(projected + ops.matmul(_masked(states[0], recurrent_mask), self.recurrent_kernel))
        return h, [h]


class LSTMCell(BaseCell):
    """The cell of LSTM; gates i, f, c, o in the kernel's column blocks, as Keras.

    Example:
        layer = layered.layers.RNN(layered.layers.LSTMCell(16))
    """

    blocks = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_initial_value(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        u, init = self.units, self.bias_initializer

        def forget_gate_ones(shape, dtype=None):  # the forget gate starts open (Jozefowicz et al.)
            return np.concatenate([np.asarray(init((u,), dtype=dtype)), np.ones((u,), dtype),
                                   np.asarray(init((2 * u,), dtype=dtype))])
        return forget_gate_ones

    def step(self, projected, states, recurrent_mask=None):
        h_prev, c_prev = states
        u = self.units
        z = projected + ops.matmul(_masked(h_prev, recurrent_mask), self.recurrent_kernel)
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c = f * c_prev + i * self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(BaseCell):
    """The cell of GRU; gates z (update), r (reset), h (candidate) as Keras.

    With `reset_after=True` (the default) the bias has shape (2, 3 * units): an input bias
    and a recurrent one, and the reset gate multiplies `h_prev @ recurrent_kernel`.

    Example:
        layer = layered.layers.RNN(layered.layers.GRUCell(16))
    """

    blocks = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, reset_after=True,
                 **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def step(self, projected, states, recurrent_mask=None):
        h_prev = states[0]
        u = self.units
        h_rec = _masked(h_prev, recurrent_mask)
        if self.reset_after:
            inner = ops.matmul(h_rec, self.recurrent_kernel)
            if self.bias is not None:
                inner = inner + self.bias[1]
            z = self.recurrent_activation(projected[:, :u] + inner[:, :u])
            r = self.recurrent_activation(projected[:, u:2 * u] + inner[:, u:2 * u])
            candidate = self.activation(projected[:, 2 * u:] + r * inner[:, 2 * u:])
        else:
            inner = ops.matmul(h_rec, self.recurrent_kernel[:, :2 * u])
            z = self.recurrent_activation(projected[:, :u] + inner[:, :u])
            r = self.recurrent_activation(projected[:, u:2 * u] + inner[:, u:])
            candidate = self.activation(projected[:, 2 * u:] + ops.matmul(r * h_rec, self.recurrent_kernel[:, 2 * u:]))
        h = z * h_prev + (1.0 - z) * candidate
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the output of a cell to the next, and the
    states are all the cells' states in order (`RNN([cell1, cell2])` makes one).

    Example:
        cells = [layered.layers.LSTMCell(16), layered.layers.LSTMCell(8)]
        outputs = layered.layers.RNN(layered.layers.StackedRNNCells(cells))(inputs)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells layer '{self.name}': every cell needs a `call` method and a "
                                 f"`state_size`, got {cell!r}")
        self.cells = list(cells)

    @staticmethod
    def _sizes(cell):
        size = cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    @property
    def state_size(self):
        """Every cell's state sizes, flattened in cell order (the RNN carries a flat list)."""
        return [size for cell in self.cells for size in self._sizes(cell)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", None) or self._sizes(last)[0]

    def build(self, input_shape):
        for cell in self.cells:
            if not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], getattr(cell, "output_size", None) or self._sizes(cell)[0])
        self.built = True

    def call(self, inputs, states, training=False):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        new_states = []
        for cell in self.cells:
            count = len(self._sizes(cell))
            own, states = states[:count], states[count:]
            inputs, cell_states = cell(inputs, own, training=training)
            new_states += list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
        return inputs, new_states

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, size), self.dtype) for size in self.state_size]

    def get_config(self):
        from layered.saving.serialization import serialize_layer
        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config):
        from layered.saving.serialization import deserialize_layer
        config = dict(config)
        config["cells"] = [deserialize_layer(cell) for cell in config["cells"]]
        return cls(**config)
