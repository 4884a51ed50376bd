"""Preprocessing layers that live inside the model: Rescaling and Normalization (with `adapt`)."""
import numpy as np

from layered import ops
from layered.graph.core import ShapeError
from layered.graph.primitives import normalize_axes
from layered.models.layer import Layer

EPSILON = 1e-7  # Keras's backend epsilon: the smallest spread Normalization divides by


def _config_value(value):
    """A scale, offset, mean or variance as JSON can hold it (a number or nested lists)."""
    if value is None:
        return None
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array.tolist()


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`: `Rescaling(1 / 255)` maps pixel values to [0, 1].

    Example:
        layered.layers.Rescaling(scale=1 / 127.5, offset=-1)  # [0, 255] -> [-1, 1]
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        dtype = self.dtype
        scale = ops.convert_to_tensor(np.asarray(self.scale, dtype))
        offset = ops.convert_to_tensor(np.asarray(self.offset, dtype))
        return ops.cast(inputs, dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": _config_value(self.scale), "offset": _config_value(self.offset)}


class Normalization(Layer):
    """Shifts and scales the inputs to zero mean and unit variance per feature.

    The statistics are either given (`mean`, `variance`) or learned from data before
    training with `layer.adapt(data)`, which stores them in the non-trainable weights
    `mean`, `variance` and `count` (Keras's order). Features are the sizes on `axis`
    (default the last axis; `None` means one mean and variance for everything). The output
    is `(x - mean) / max(sqrt(variance), epsilon)`; `invert=True` maps back.

    Example:
        norm = layered.layers.Normalization()
        norm.adapt(x_train)
        model = layered.Sequential([layered.Input((13,)), norm, layered.layers.Dense(1)])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        self.axis = (int(axis),) if isinstance(axis, (int, np.integer)) else tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"Layer '{self.name}' (Normalization): pass both `mean` and `variance` or neither, "
                             f"got mean={mean!r}, variance={variance!r}")
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)

    def build(self, input_shape):
        ndim = len(input_shape)
        keep = normalize_axes(self.axis, ndim) if self.axis else ()
        for a in keep:
            if input_shape[a] is None:
                raise ShapeError(f"Layer '{self.name}' (Normalization) needs a known size on axis {a}, "
                                 f"received input shape {tuple(input_shape)}")
        self._keep = tuple(keep)
        self._broadcast_shape = tuple(input_shape[a] if a in keep else 1 for a in range(ndim))
        shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones", trainable=False,
                                                  name="variance")
            self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False,
                                         name="count")
        self.built = True

    def adapt(self, data):
        """Set the mean and variance from `data` (an array, or an iterable of array batches)."""
        if self.input_mean is not None:
            raise ValueError(f"Layer '{self.name}' (Normalization) was given its mean and variance; "
                             "adapt learns them only for a layer created without them")
        batches = [np.asarray(data)] if hasattr(data, "shape") else [np.asarray(b) for b in data]
        if not batches:
            raise ValueError(f"Layer '{self.name}' (Normalization): adapt got no data")
        if not self.built:
            self.build((None,) + batches[0].shape[1:])
        reduce = tuple(a for a in range(batches[0].ndim) if a not in self._keep)
        # Welford-style merge of per-batch moments in float64: batches need not fit in memory at once.
        total, mean, m2 = 0, 0.0, 0.0
        for batch in batches:
            batch = batch.astype(np.float64)
            n = int(np.prod([batch.shape[a] for a in reduce]))
            if n == 0:
                continue
            b_mean = batch.mean(axis=reduce)
            b_m2 = ((batch - b_mean.reshape(self._broadcast_shape)) ** 2).sum(axis=reduce)
            delta = b_mean - mean
            combined = total + n
            mean = mean + delta * (n / combined)
            m2 = m2 + b_m2 + delta ** 2 * (total * n / combined)
            total = combined
        if total == 0:
            raise ValueError(f"Layer '{self.name}' (Normalization): adapt got no samples")
        self.adapt_mean.assign(np.asarray(mean, self.adapt_mean.dtype).reshape(self.adapt_mean.shape))
        self.adapt_variance.assign(np.asarray(m2 / total, self.adapt_variance.dtype).reshape(self.adapt_variance.shape))

    def _statistics(self):
        if self.input_mean is None:
            return ops.reshape(self.adapt_mean, self._broadcast_shape), \
                ops.reshape(self.adapt_variance, self._broadcast_shape)
        dtype = self.dtype
        return tuple(ops.convert_to_tensor(np.broadcast_to(np.asarray(v, dtype), self._broadcast_shape).copy())
                     for v in (self.input_mean, self.input_variance))

    def call(self, inputs):
        inputs = ops.cast(inputs, self.dtype)
        mean, variance = self._statistics()
        spread = ops.maximum(ops.sqrt(variance), EPSILON)
        return mean + inputs * spread if self.invert else (inputs - mean) / spread

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": _config_value(self.input_mean), "variance": _config_value(self.input_variance)}
