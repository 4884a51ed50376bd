"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and their global versions
(channels_last)."""
from layered import ops
from layered.convolution import average_pool, check_data_format, max_pool, padding_pairs, per_axis
from layered.graph import build
from layered.graph.core import ShapeError
from layered.graph.windows import output_size
from layered.models.layer import InputSpec, Layer, check_mask


class _Pooling(Layer):
    rank = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.pool_size = per_axis(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else per_axis(strides, self.rank, "strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{kind}: padding must be 'valid' or 'same', got {padding!r}")
        self.data_format = check_data_format(data_format, kind)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        return self._pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}) is incompatible with its input: expected "
                             f"rank {self.rank + 2}, received input shape {tuple(input_shape)}")
        spatial = tuple(input_shape[1:-1])
        pads = padding_pairs(self.padding, spatial, self.pool_size, self.strides)
        sizes = tuple(output_size(d, k, s, p) for d, k, s, p in zip(spatial, self.pool_size, self.strides, pads))
        if any(m is not None and m < 1 for m in sizes):
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}): pool_size {self.pool_size} is larger "
                             f"than the input with padding='valid'; received input shape {tuple(input_shape)}")
        return (input_shape[0],) + sizes + (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class _MaxPooling(_Pooling):
    @staticmethod
    def _pool(*args):
        return max_pool(*args)


class _AveragePooling(_Pooling):
    @staticmethod
    def _pool(*args):
        return average_pool(*args)


class MaxPooling1D(_MaxPooling):
    """Max over windows of `pool_size` steps (strides default to pool_size).

    Example:
        layer = layered.layers.MaxPooling1D(2)   # (b, 10, c) -> (b, 5, c)
    """

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_MaxPooling):
    """Max over `pool_size` windows of the height and width (strides default to pool_size).
    Gradients go to the first maximal element of each window (row-major) when several tie.

    Example:
        layer = layered.layers.MaxPooling2D()   # (b, 26, 26, c) -> (b, 13, 13, c)
    """

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_MaxPooling):
    """Max over `pool_size` windows of three spatial axes.

    Example:
        layer = layered.layers.MaxPooling3D()   # (b, 4, 4, 4, c) -> (b, 2, 2, 2, c)
    """

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_AveragePooling):
    """Mean over windows of `pool_size` steps; with 'same' padding the padding is left out of the mean.

    Example:
        layer = layered.layers.AveragePooling1D(2)   # (b, 10, c) -> (b, 5, c)
    """

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_AveragePooling):
    """Mean over `pool_size` windows of the height and width.

    Example:
        layer = layered.layers.AveragePooling2D()   # (b, 8, 8, c) -> (b, 4, 4, c)
    """

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_AveragePooling):
    """Mean over `pool_size` windows of three spatial axes.

    Example:
        layer = layered.layers.AveragePooling3D()   # (b, 4, 4, 4, c) -> (b, 2, 2, 2, c)
    """

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ---------------------------------------------------------------- global pooling

class _GlobalPooling(Layer):
    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, type(self).__name__)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        return tuple(range(1, self.rank + 1))

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0],) + (1,) * self.rank + (input_shape[-1],)
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class _GlobalMax(_GlobalPooling):
    def call(self, inputs):
        return ops.max(inputs, self._axes(), keepdims=self.keepdims)


class _GlobalAverage(_GlobalPooling):
    def call(self, inputs):
        return ops.mean(inputs, self._axes(), keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalMax):
    """Max over the steps axis: (b, steps, c) -> (b, c) (or (b, 1, c) with keepdims).

    Example:
        layer = layered.layers.GlobalMaxPooling1D()
    """

    rank = 1


class GlobalMaxPooling2D(_GlobalMax):
    """Max over height and width: (b, h, w, c) -> (b, c) (or (b, 1, 1, c) with keepdims).

    Example:
        layer = layered.layers.GlobalMaxPooling2D()
    """

    rank = 2


class GlobalMaxPooling3D(_GlobalMax):
    """Max over the three spatial axes: (b, d, h, w, c) -> (b, c)."""

    rank = 3


class GlobalAveragePooling1D(_GlobalAverage):
    """Mean over the steps axis: (b, steps, c) -> (b, c). Masked steps (from an
    Embedding with mask_zero, say) are left out of the mean.

    Example:
        layer = layered.layers.GlobalAveragePooling1D()
    """

    rank = 1
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        check_mask(self, "the mask", mask, tuple(inputs.shape[:2]), exact_rank=True)
        weights = ops.expand_dims(build.cast(mask, inputs.dtype), -1)
        total = ops.sum(inputs * weights, axis=1, keepdims=self.keepdims)
        count = ops.sum(weights, axis=1, keepdims=self.keepdims)
        return total / build.maximum(count, 1.0)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalAverage):
    """Mean over height and width: (b, h, w, c) -> (b, c) (or (b, 1, 1, c) with keepdims).

    Example:
        layer = layered.layers.GlobalAveragePooling2D()
    """

    rank = 2


class GlobalAveragePooling3D(_GlobalAverage):
    """Mean over the three spatial axes: (b, d, h, w, c) -> (b, c)."""

    rank = 3
