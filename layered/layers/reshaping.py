"""Reshaping layers: Flatten, Reshape."""
import math

from layered import ops
from layered.graph import build
from layered.models.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).

    Example:
        layer = layered.layers.Flatten()
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format

    def call(self, inputs):
        if inputs.ndim == 1:
            return ops.expand_dims(inputs, -1)
        return build.reshape(inputs, self.compute_output_shape(inputs.shape))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept; one -1 is inferred).

    Example:
        layer = layered.layers.Reshape((8, 8))
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        return build.reshape(inputs, self.compute_output_shape(inputs.shape))

    def compute_output_shape(self, input_shape):
        target = self.target_shape
        known = input_shape[1:]
        if -1 in target:
            if None in known:
                raise ValueError(f"Layer '{self.name}' (Reshape) cannot infer -1 in {target} from input "
                                 f"shape {input_shape}: it has unknown dimensions")
            size, rest = math.prod(known), math.prod(d for d in target if d != -1)
            if size % rest:
                raise ValueError(f"Layer '{self.name}' (Reshape): input shape {input_shape} does not fit "
                                 f"target shape {target}")
            target = tuple(size // rest if d == -1 else d for d in target)
        elif None not in known and math.prod(known) != math.prod(target):
            raise ValueError(f"Layer '{self.name}' (Reshape): input shape {input_shape} has "
                             f"{math.prod(known)} values per sample, target shape {target} has {math.prod(target)}")
        return (input_shape[0],) + target

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}

