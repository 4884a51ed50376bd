"""Merging layers: combine a list of inputs into one (Add, Concatenate, ...)."""
import functools

from layered import ops
from layered.graph.core import ShapeError
from layered.graph.primitives import broadcast_shapes
from layered.models.layer import Layer


class Merge(Layer):
    """Base of the elementwise merges: checks the inputs and folds `combine` over them."""

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or \
                not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of at least "
                             f"2 inputs, got {input_shape}")
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        return functools.reduce(self.combine, inputs)

    def compute_output_shape(self, input_shape):
        try:
            return broadcast_shapes(*input_shape)
        except ShapeError:
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}) got inputs of incompatible shapes "
                             f"{' and '.join(map(str, input_shape))}") from None


class Add(Merge):
    """Sums its inputs elementwise. Example: `layered.layers.Add()([x1, x2])`."""
    combine = staticmethod(ops.add)


class Subtract(Merge):
    """Subtracts the second input from the first."""
    combine = staticmethod(ops.subtract)

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' (Subtract) takes exactly 2 inputs, got {len(input_shape)}")


class Multiply(Merge):
    """Multiplies its inputs elementwise."""
    combine = staticmethod(ops.multiply)


class Maximum(Merge):
    """The elementwise maximum of its inputs."""
    combine = staticmethod(ops.maximum)


class Minimum(Merge):
    """The elementwise minimum of its inputs."""
    combine = staticmethod(ops.minimum)


class Average(Merge):
    """The elementwise mean of its inputs."""

    def call(self, inputs):
        return functools.reduce(ops.add, inputs) * (1.0 / len(inputs))


class Concatenate(Layer):
    """Joins its inputs along `axis` (default the last one).

    Example:
        merged = layered.layers.Concatenate()([a, b])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 1 or \
                not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' (Concatenate) must be called on a list of inputs, "
                             f"got {input_shape}")
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        ranks = {len(s) for s in input_shape}
        axis = self.axis % next(iter(ranks)) if len(ranks) == 1 else None
        mismatch = axis is None or any(
            len({s[i] for s in input_shape if s[i] is not None}) > 1
            for i in range(len(input_shape[0])) if i != axis)
        if mismatch:
            raise ShapeError(f"Layer '{self.name}' (Concatenate) needs inputs that match except on axis "
                             f"{self.axis}, got {' and '.join(map(str, input_shape))}")
        sizes = [s[axis] for s in input_shape]
        out = list(next((s for s in input_shape if None not in s), input_shape[0]))
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
