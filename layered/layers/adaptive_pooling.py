"""Adaptive pooling (Keras 3's AdaptiveAveragePooling1D/2D/3D, AdaptiveMaxPooling1D/2D/3D): a
fixed output size whatever the input size. Output position i of an axis of n inputs and m
outputs pools inputs floor(i * n / m) up to ceil((i + 1) * n / m), as PyTorch and Keras do.

Both reductions split by axis, so each axis is pooled on its own: a mean is one matrix
product with fixed weights, a max a gather of every window (short windows repeat their last
element) and a max over it.
"""

import numpy as np

from layered import ops
from layered.convolution import check_data_format
from layered.models.layer import InputSpec, Layer


def _windows(size, target):
    """(start, stop) of each of the `target` windows over `size` inputs."""
    return [(i * size // target, -(-(i + 1) * size // target)) for i in range(target)]


class _AdaptivePooling(Layer):
    rank = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        sizes = (output_size,) * self.rank if isinstance(output_size, int) else tuple(output_size)
        if len(sizes) != self.rank or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(f"{kind} layer '{self.name}': output_size must be a positive int or {self.rank} "
                             f"positive ints, got {output_size!r}")
        self.output_size = sizes
        self.data_format = check_data_format(data_format, kind)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        x = inputs
        for axis, target in enumerate(self.output_size, start=1):
            size = x.shape[axis]
            if size is None:
                raise ValueError(f"{type(self).__name__} layer '{self.name}' needs known spatial sizes, received "
                                 f"input shape {inputs.shape}")
            x = self._pool_axis(x, axis, _windows(size, target))
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.output_size + (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


class _AdaptiveAverage(_AdaptivePooling):
    @staticmethod
    def _pool_axis(x, axis, windows):
        weights = np.zeros((x.shape[axis], len(windows)), "float32")
        for i, (start, stop) in enumerate(windows):
            weights[start:stop, i] = 1.0 / (stop - start)
        last = [a for a in range(x.ndim) if a != axis] + [axis]  # the pooled axis last, then back
        pooled = ops.matmul(ops.transpose(x, last), ops.convert_to_tensor(weights.astype(x.dtype)))
        return ops.transpose(pooled, np.argsort(last).tolist())


class _AdaptiveMax(_AdaptivePooling):
    @staticmethod
    def _pool_axis(x, axis, windows):
        width = max(stop - start for start, stop in windows)
        index = np.array([[min(start + j, stop - 1) for j in range(width)] for start, stop in windows], "int32")
        gathered = ops.take(x, ops.convert_to_tensor(index.reshape(-1)), axis=axis)
        split = x.shape[:axis] + (len(windows), width) + x.shape[axis + 1:]
        unknown = [d for d in split if d is None]
        if len(unknown) > 1:
            raise ValueError(f"adaptive max pooling needs known sizes besides the batch, got {x.shape}")
        gathered = ops.reshape(gathered, tuple(-1 if d is None else d for d in split))
        return ops.max(gathered, axis=axis + 1)


class AdaptiveAveragePooling1D(_AdaptiveAverage):
    """Means over `output_size` adaptive windows of the steps: (b, steps, c) -> (b, output_size, c).

    Example:
        layer = layered.layers.AdaptiveAveragePooling1D(4)
    """

    rank = 1


class AdaptiveAveragePooling2D(_AdaptiveAverage):
    """Means over adaptive windows: (b, h, w, c) -> (b, *output_size, c).

    Example:
        layer = layered.layers.AdaptiveAveragePooling2D((7, 7))
    """

    rank = 2


class AdaptiveAveragePooling3D(_AdaptiveAverage):
    """Means over adaptive windows of the three spatial axes."""

    rank = 3


class AdaptiveMaxPooling1D(_AdaptiveMax):
    """Maxima over `output_size` adaptive windows of the steps.

    Example:
        layer = layered.layers.AdaptiveMaxPooling1D(4)
    """

    rank = 1


class AdaptiveMaxPooling2D(_AdaptiveMax):
    """Maxima over adaptive windows: (b, h, w, c) -> (b, *output_size, c).

    Example:
        layer = layered.layers.AdaptiveMaxPooling2D((2, 2))
    """

    rank = 2


class AdaptiveMaxPooling3D(_AdaptiveMax):
    """Maxima over adaptive windows of the three spatial axes."""

    rank = 3


