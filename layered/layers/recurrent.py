"""Recurrent layers: SimpleRNN, LSTM, GRU and the generic RNN(cell) (cells: recurrent_cells.py).

Every recurrent layer is one `ops.scan` over the time axis: the loop is a primitive whose
body is the cell's step, so a sequence of any length is one graph node, differentiated as
a reverse scan. The built-in cells compute their input projection (`x @ kernel + bias`)
for all steps at once before the loop; only the recurrent part runs per step.

Masks (from `Embedding(mask_zero=True)` or `Masking`) keep the state at masked steps, and
the output there repeats the previous one, as in Keras. `unroll` is accepted and ignored:
the loop is never unrolled into the graph.
"""
from layered import ops
from layered.graph import build
from layered.graph.core import ShapeError, Tensor
from layered.layers.recurrent_cells import BaseCell, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from layered.models.layer import InputSpec, Layer, check_mask, snake_case


# ---------------------------------------------------------------- the layer over a cell

class RNN(Layer):
    """Runs a cell over the time axis of (batch, time, features) inputs: `keras.layers.RNN`.

    Args:
        cell: a cell (SimpleRNNCell, LSTMCell, GRUCell, or any layer with `call(inputs,
            states, training)` returning `(output, new_states)` and a `state_size`), or a
            list of cells, run as `StackedRNNCells`.
        return_sequences: return every step's output (batch, time, units), not just the last.
        return_state: also return the final states: `[output, *states]`.
        go_backwards: process the sequence from the end (and return the outputs reversed).
        stateful: not supported (raises).
        unroll: accepted and ignored; the loop is a scan primitive, never unrolled.
        zero_output_for_mask: masked steps output zeros instead of repeating the last output.
    Call arguments: `inputs`, `initial_state` (a list of (batch, size) tensors), `mask`
    (batch, time) booleans, `training`.

    Example:
        outputs = layered.layers.RNN(layered.layers.LSTMCell(32))(inputs)
    """

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if stateful:
            raise NotImplementedError(f"{type(self).__name__}: stateful=True is not supported (the graph is pure: "
                                      "pass the last states back as initial_state instead)")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), False, bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=3)

    @property
    def _state_sizes(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs a known feature dimension, "
                             f"got input shape {input_shape}")
        if not self.cell.built:
            self.cell.build((input_shape[0],) + tuple(input_shape[2:]))
            self.cell.built = True
            for weight in self.cell.weights:  # Keras paths: lstm/lstm_cell/kernel
                weight.path = f"{self.name}/{weight.path}"
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=False):
        states = self._initial_states(sequences, initial_state)
        x = ops.transpose(sequences, (1, 0, 2))  # time-major: the scan steps over the first axis
        fused = isinstance(self.cell, BaseCell)
        if fused:  # dropout and the input projection of every step at once, outside the loop
            dp, rec = self.cell.dropout_masks(sequences, states, training)
            x = self.cell.project(x if dp is None else x * dp)
            step = lambda x_t, s: self.cell.step(x_t, s, rec)  # noqa: E731
        else:
            step = lambda x_t, s: self.cell(x_t, s, training=training)  # noqa: E731
        # A built-in cell's output is its first state; another cell's last output is carried too.
        carry = states if fused else (states, self._zero_output(states))
        if isinstance(mask, (list, tuple)):
            mask = mask[0]  # the masks of [sequences, *initial_state]: the sequences' one
        if mask is not None:
            check_mask(self, "the mask", mask, tuple(sequences.shape[:2]), exact_rank=True)
        time_mask = None if mask is None else ops.transpose(mask, (1, 0))
        last, ys = ops.scan(self._body(step, fused), carry, x if time_mask is None else (x, time_mask),
                            reverse=self.go_backwards)
        final_states, output = (last, last[0]) if fused else last
        if self.return_sequences:
            output = ops.transpose(ops.flip(ys, 0) if self.go_backwards else ys, (1, 0, 2))
        if self.return_state:
            return [output] + list(final_states)
        return output

    def _body(self, step, fused):
        def body(carry, inputs):
            states, previous = (carry, carry[0]) if fused else carry
            x_t, keep = inputs if isinstance(inputs, tuple) else (inputs, None)
            output, new_states = step(x_t, states)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if keep is not None:  # masked steps keep the states and repeat the previous output
                keep = ops.expand_dims(keep, -1)
                new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states)]
                output = ops.where(keep, output, ops.zeros_like(output) if self.zero_output_for_mask else previous)
            new_carry = new_states if fused else (new_states, output)
            return new_carry, (output if self.return_sequences else None)
        return body

    def _zero_output(self, states):
        size = getattr(self.cell, "output_size", None) or self._state_sizes[0]
        return ops.broadcast_to(ops.zeros((), states[0].dtype), (None, size), like=states[0])

    def _initial_states(self, sequences, initial_state):
        sizes = self._state_sizes
        if initial_state is None:
            # (batch, size) zeros; only the batch size is read from the inputs.
            like = ops.sum(build.slice(sequences, (0, 0, 0), (None, None, 1)), axis=1)
            return [ops.broadcast_to(ops.zeros((), self.dtype), (None, size), like=like) for size in sizes]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != len(sizes):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) has {len(sizes)} states, "
                             f"initial_state has {len(states)}")
        for state, size in zip(states, sizes):
            if not isinstance(state, Tensor) or state.ndim != 2 or state.shape[-1] not in (None, size):
                raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}): an initial state must have shape "
                                 f"(batch, {size}), got {getattr(state, 'shape', state)}")
        return [ops.cast(s, self.dtype) for s in states]

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_sizes)
        return output_mask

    def get_config(self):
        from layered.saving.serialization import serialize_layer
        return {**super().get_config(), "cell": serialize_layer(self.cell), **self._loop_config()}

    def _loop_config(self):
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": False, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}

    @classmethod
    def from_config(cls, config):
        from layered.saving.serialization import deserialize_layer
        config = dict(config)
        config["cell"] = deserialize_layer(config["cell"])
        return cls(**config)


# ---------------------------------------------------------------- the Keras layers

class _CellLayer(RNN):
    """An RNN over a built-in cell made from the layer's own arguments (SimpleRNN, LSTM, GRU)."""

    cell_class = None
    _loop_args = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")
    _layer_args = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape", "batch_size")

    def __init__(self, units, **kwargs):
        if kwargs.pop("activity_regularizer", None) is not None:
            raise NotImplementedError(f"{type(self).__name__}: activity_regularizer is not supported yet")
        kwargs.pop("use_cudnn", None)
        loop = {k: kwargs.pop(k) for k in self._loop_args if k in kwargs}
        layer = {k: kwargs.pop(k) for k in self._layer_args if k in kwargs}
        cell = self.cell_class(units, name=snake_case(self.cell_class.__name__), dtype=layer.get("dtype"),
                               trainable=layer.get("trainable", True), **kwargs)
        super().__init__(cell, **loop, **layer)

    def get_config(self):
        cell = {k: v for k, v in self.cell.get_config().items() if k not in ("name", "trainable", "dtype")}
        return {**Layer.get_config(self), **cell, "activity_regularizer": None, **self._loop_config()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _cell_properties(cls, *names):
    """Expose the cell's settings on the layer (`lstm.units`), as Keras layers do."""
    for name in names:
        setattr(cls, name, property(lambda self, name=name: getattr(self.cell, name), doc=f"The cell's {name}."))


_cell_properties(_CellLayer, "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                 "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                 "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")


class SimpleRNN(_CellLayer):
    """A fully connected RNN: `keras.layers.SimpleRNN`.

    Weights: kernel (features, units), recurrent_kernel (units, units), bias (units,).

    Example:
        outputs = layered.layers.SimpleRNN(4)(layered.Input(shape=(10, 8)))   # (None, 4)
    """

    cell_class = SimpleRNNCell


class LSTM(_CellLayer):
    """Long short-term memory: `keras.layers.LSTM`.

    Weights: kernel (features, 4 units), recurrent_kernel (units, 4 units), bias (4 units,),
    gate blocks i, f, c, o; `unit_forget_bias=True` starts the forget-gate bias at one.
    States: [h, c].

    Example:
        outputs, h, c = layered.layers.LSTM(32, return_state=True)(inputs)
    """

    cell_class = LSTMCell


_cell_properties(LSTM, "recurrent_activation", "unit_forget_bias")


class GRU(_CellLayer):
    """Gated recurrent unit: `keras.layers.GRU`.

    Weights: kernel (features, 3 units), recurrent_kernel (units, 3 units), bias (2, 3 units)
    with `reset_after=True` (the default) or (3 units,); gate blocks z, r, h.

    Example:
        outputs = layered.layers.GRU(32, return_sequences=True)(inputs)
    """

    cell_class = GRUCell


_cell_properties(GRU, "recurrent_activation", "reset_after")
