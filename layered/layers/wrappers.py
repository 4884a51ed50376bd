"""Layers that wrap other layers: Bidirectional (an RNN both ways), TimeDistributed, the Wrapper
base class and Pipeline (a chain of layers as one)."""
from layered import ops
from layered.graph import build
from layered.models.layer import InputSpec, Layer

_MERGES = {
    "concat": lambda a, b: ops.concatenate([a, b], axis=-1),
    "sum": ops.add,
    "mul": ops.multiply,
    "ave": lambda a, b: (a + b) * 0.5,
}


def _prefix_paths(layer, wrapper_name):
    """Keras paths of a wrapped layer's weights: bidirectional/forward_lstm/lstm_cell/kernel."""
    for weight in layer.weights:
        weight.path = f"{wrapper_name}/{weight.path}"


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards and merges the two outputs.

    Args:
        layer: an RNN layer (LSTM, GRU, SimpleRNN, RNN); a fresh copy named `forward_<name>`
            runs forwards.
        merge_mode: "concat" (default), "sum", "mul", "ave", or None (a list of both outputs).
        backward_layer: the layer for the backward direction (default: a copy of `layer` with
            `go_backwards` flipped, named `backward_<name>`).
    Weights: the forward layer's, then the backward layer's. With `return_state` the call
    returns `[output, *forward_states, *backward_states]`. With `return_sequences`, masked
    steps output zeros in both directions (Keras sets `zero_output_for_mask` on both layers).

    Example:
        outputs = layered.layers.Bidirectional(layered.layers.LSTM(16))(inputs)   # (None, 32)
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional wraps a recurrent layer (with go_backwards), got {layer!r}")
        if merge_mode not in _MERGES and merge_mode is not None:
            raise ValueError(f"Bidirectional merge_mode must be one of {sorted(_MERGES)} or None, got {merge_mode!r}")
        if weights is not None:
            raise NotImplementedError("Bidirectional(weights=...) is not supported; call set_weights after building")
        super().__init__(**kwargs)
        config = layer.get_config()
        self.forward_layer = type(layer).from_config({**config, "name": "forward_" + _strip(layer.name, "forward_")})
        if backward_layer is None:
            backward_layer = type(layer).from_config({**config, "go_backwards": not layer.go_backwards,
                                                      "name": "backward_" + _strip(layer.name, "backward_")})
        elif backward_layer.go_backwards == layer.go_backwards or \
                backward_layer.return_sequences != layer.return_sequences or \
                backward_layer.return_state != layer.return_state:
            raise ValueError("Bidirectional: backward_layer must have the opposite go_backwards and the same "
                             "return_sequences and return_state as layer")
        self.backward_layer = backward_layer
        for direction in (self.forward_layer, self.backward_layer):
            # As Keras: with return_sequences, masked steps output zeros in both directions.
            if hasattr(direction, "zero_output_for_mask"):
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(input_shape)
                layer.built = True
                _prefix_paths(layer, self.name)
        self.built = True

    def call(self, inputs, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        options = {"mask": mask, "training": training}
        y_forward = self.forward_layer(inputs, initial_state=forward_state, **options)
        y_backward = self.backward_layer(inputs, initial_state=backward_state, **options)
        states = []
        if self.return_state:
            states = list(y_forward[1:]) + list(y_backward[1:])
            y_forward, y_backward = y_forward[0], y_backward[0]
        if self.return_sequences:  # the backward layer returns its steps last-first: align them
            y_backward = ops.flip(y_backward, 1)
        if self.merge_mode is None:
            output = [y_forward, y_backward]
        else:
            output = [_MERGES[self.merge_mode](y_forward, y_backward)]
        if self.return_state:
            return output + states
        return output[0] if len(output) == 1 else output

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            n_states = len(self.forward_layer._state_sizes) if hasattr(self.forward_layer, "_state_sizes") else 1
            return masks + [None] * (2 * n_states)
        return masks[0] if len(masks) == 1 else masks

    def get_config(self):
        from layered.saving.serialization import serialize_layer
        return {**super().get_config(), "layer": serialize_layer(self.forward_layer), "merge_mode": self.merge_mode,
                "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        from layered.saving.serialization import deserialize_layer
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"])
        return cls(**config)


class TimeDistributed(Layer):
    """Applies `layer` to every step of a (batch, time, ...) input.

    The steps are folded into the batch (one call of `layer` on (batch * time, ...)) when the
    shapes allow it; otherwise `layer` runs in a scan over the time axis.

    Example:
        outputs = layered.layers.TimeDistributed(layered.layers.Dense(8))(inputs)   # (None, 10, 8)
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed wraps a layer, got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build((input_shape[0],) + tuple(input_shape[2:]))
            self.layer.built = True
            _prefix_paths(self.layer, self.name)
        self.built = True

    def call(self, inputs, training=None):
        batch, steps = inputs.shape[:2]
        if None not in inputs.shape[2:]:
            outputs = self.layer(ops.reshape(inputs, (-1,) + inputs.shape[2:]), training=training)
            target = (batch, steps) + outputs.shape[1:]
            if None not in outputs.shape[1:] and target.count(None) <= 1:
                return ops.reshape(outputs, target)
            if None not in outputs.shape[1:] and len(target) == inputs.ndim:  # batch and time from the input
                return build.reshape(outputs, target, like=inputs)
        # Sizes that a reshape cannot recover: one call of the layer per step, in a scan.
        perm = (1, 0) + tuple(range(2, inputs.ndim))
        _, outputs = ops.scan(lambda carry, x: (carry, self.layer(x, training=training)), (),
                              ops.transpose(inputs, perm))
        return ops.transpose(outputs, (1, 0) + tuple(range(2, outputs.ndim)))

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        from layered.saving.serialization import serialize_layer
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config):
        from layered.saving.serialization import deserialize_layer
        return cls(**{**config, "layer": deserialize_layer(config["layer"])})



class Wrapper(Layer):
    """Base of layers that wrap one other layer (`self.layer`), built with the wrapper; a
    subclass writes `call` around `self.layer(...)`.

    Example:
        class Doubled(layered.layers.Wrapper):
            def call(self, inputs):
                return self.layer(inputs) * 2.0
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__} wraps a Layer, got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def get_config(self):
        from layered.saving.serialization import serialize_layer
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config):
        from layered.saving.serialization import deserialize_layer
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"])
        return cls(**config)


class Pipeline(Layer):
    """Applies `layers` one after another (a preprocessing chain kept as one layer); the
    `training` flag goes to each, and called directly on data it is True, as in Keras.

    Example:
        augment = layered.layers.Pipeline([layered.layers.RandomFlip(), layered.layers.RandomRotation(0.1)])
    """

    supports_masking = True

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)
        self.pipeline = self._pipeline_layers  # tracked: their weights are the pipeline's

    def _eager_call(self, args, kwargs):
        return super()._eager_call(args, {"training": True, **kwargs})

    def call(self, inputs, training=None):
        for layer in self._pipeline_layers:
            inputs = layer(inputs) if training is None else layer(inputs, training=training)
        return inputs

    @property
    def layers(self):
        return list(self._pipeline_layers)

    def get_config(self):
        from layered.saving.serialization import serialize_layer
        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config):
        from layered.saving.serialization import deserialize_layer
        config = dict(config)
        config["layers"] = [deserialize_layer(layer) for layer in config["layers"]]
        return cls(**config)
