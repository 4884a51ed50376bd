"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, zero padding, cropping,
upsampling, Masking."""
import math

from layered import ops
from layered.convolution import crop_axis, upsample_axis
from layered.graph import build
from layered.models.layer import InputSpec, Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).

    Example:
        layer = layered.layers.Flatten()
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format, _ = _spatial_axes(data_format, 0)

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



class Permute(Layer):
    """Permutes the non-batch axes: `dims` is a permutation of 1..rank-1 (the batch axis stays).

    Example:
        layer = layered.layers.Permute((2, 1))  # (batch, 10, 64) -> (batch, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute dims must be a permutation of 1..{len(self.dims)} (axis 0 is the batch), "
                             f"got {dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a (batch, features) input `n` times: (batch, n, features).

    Example:
        layer = layered.layers.RepeatVector(3)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _pairs(value, count, what):
    """Normalise an int, `count` ints (symmetric) or `count` (before, after) pairs to pairs."""
    if isinstance(value, int):
        return ((value, value),) * count
    value = tuple(value)
    if count == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (value,)
    if len(value) == count and all(isinstance(v, int) for v in value):
        return tuple((v, v) for v in value)
    if len(value) == count and all(len(tuple(v)) == 2 for v in value):
        return tuple(tuple(int(x) for x in v) for v in value)
    raise ValueError(f"{what} must be an int, {count} ints or {count} (before, after) pairs, got {value!r}")


def _spatial_axes(data_format, spatial):
    """The spatial axes of a (batch, ..., channels) or (batch, channels, ...) input."""
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    first = 1 if data_format == "channels_last" else 2
    return data_format, tuple(range(first, first + spatial))


class _Spatial(Layer):
    """Base of the padding, cropping and upsampling layers: per-axis amounts on the spatial axes."""

    spatial = 1

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format, self.axes = _spatial_axes(data_format, self.spatial)
        self.input_spec = InputSpec(ndim=self.spatial + 2)

    def get_config(self):
        config = super().get_config()
        return {**config, "data_format": self.data_format} if self.spatial > 1 else config


class ZeroPadding1D(_Spatial):
    """Pads the steps axis of a (batch, steps, channels) input with zeros: `padding` is an int or
    a (before, after) pair.

    Example:
        layer = layered.layers.ZeroPadding1D((1, 2))  # (batch, 5, c) -> (batch, 8, c)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, 1, "ZeroPadding1D padding")[0]

    def _widths(self, ndim):
        widths = [(0, 0)] * ndim
        for axis, pair in zip(self.axes, _as_pairs(self.padding, self.spatial)):
            widths[axis] = pair
        return widths

    def call(self, inputs):
        return ops.pad(inputs, self._widths(inputs.ndim))

    def compute_output_shape(self, input_shape):
        return tuple(None if d is None else d + lo + hi for d, (lo, hi) in zip(input_shape, self._widths(
            len(input_shape))))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding2D(ZeroPadding1D):
    """Pads the two spatial axes with zeros: `padding` is an int, (pad_h, pad_w) or
    ((top, bottom), (left, right)).

    Example:
        layer = layered.layers.ZeroPadding2D(1)  # (batch, 28, 28, c) -> (batch, 30, 30, c)
    """

    spatial = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        _Spatial.__init__(self, data_format=data_format, **kwargs)
        self.padding = _pairs(padding, 2, "ZeroPadding2D padding")


class ZeroPadding3D(ZeroPadding1D):
    """Pads the three spatial axes with zeros: `padding` is an int, three ints or three
    (before, after) pairs.

    Example:
        layer = layered.layers.ZeroPadding3D(1)  # (batch, 8, 8, 8, c) -> (batch, 10, 10, 10, c)
    """

    spatial = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        _Spatial.__init__(self, data_format=data_format, **kwargs)
        self.padding = _pairs(padding, 3, "ZeroPadding3D padding")


def _as_pairs(amounts, spatial):
    return (amounts,) if spatial == 1 else amounts


class Cropping1D(_Spatial):
    """Removes `cropping` = (before, after) steps (or an int for both) from a (batch, steps,
    channels) input.

    Example:
        layer = layered.layers.Cropping1D((1, 2))  # (batch, 10, c) -> (batch, 7, c)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 1, "Cropping1D cropping")[0]

    def call(self, inputs):
        for axis, (lo, hi) in zip(self.axes, _as_pairs(self.cropping, self.spatial)):
            inputs = crop_axis(inputs, axis, lo, hi)  # also on axes of unknown size
        return inputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (lo, hi) in zip(self.axes, _as_pairs(self.cropping, self.spatial)):
            if shape[axis] is not None:
                if lo + hi >= shape[axis]:
                    raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): cropping {self.cropping} "
                                     f"leaves nothing of input shape {tuple(input_shape)}")
                shape[axis] -= lo + hi
        return tuple(shape)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # cropping everything is an error when built
        self.built = True

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Cropping1D):
    """Removes rows and columns: `cropping` is an int, (crop_h, crop_w) or
    ((top, bottom), (left, right)).

    Example:
        layer = layered.layers.Cropping2D(((2, 2), (4, 4)))  # (batch, 28, 28, c) -> (batch, 24, 20, c)
    """

    spatial = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        _Spatial.__init__(self, data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, 2, "Cropping2D cropping")


class Cropping3D(Cropping1D):
    """Removes slices from the three spatial axes: `cropping` is an int, three ints or three
    (before, after) pairs.

    Example:
        layer = layered.layers.Cropping3D(1)  # (batch, 8, 8, 8, c) -> (batch, 6, 6, 6, c)
    """

    spatial = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        _Spatial.__init__(self, data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, 3, "Cropping3D cropping")


class UpSampling1D(_Spatial):
    """Repeats each step `size` times along the steps axis (nearest neighbour).

    Example:
        layer = layered.layers.UpSampling1D(2)  # (batch, 5, c) -> (batch, 10, c)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def _sizes(self):
        return (self.size,) if self.spatial == 1 else self.size

    def call(self, inputs):
        for axis, size in zip(self.axes, self._sizes()):
            inputs = upsample_axis(inputs, axis, size)  # also on axes of unknown size
        return inputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, size in zip(self.axes, self._sizes()):
            shape[axis] = None if shape[axis] is None else shape[axis] * size
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(UpSampling1D):
    """Repeats rows and columns: `size` is an int or (rows, cols); only 'nearest' interpolation.

    Example:
        layer = layered.layers.UpSampling2D((2, 2))  # (batch, 7, 7, c) -> (batch, 14, 14, c)
    """

    spatial = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        _Spatial.__init__(self, data_format=data_format, **kwargs)
        if interpolation != "nearest":
            raise NotImplementedError(f"UpSampling2D supports interpolation='nearest' only, got {interpolation!r}")
        self.size = (int(size), int(size)) if isinstance(size, int) else tuple(int(s) for s in size)
        self.interpolation = interpolation

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(UpSampling1D):
    """Repeats each of the three spatial axes: `size` is an int or three ints (nearest).

    Example:
        layer = layered.layers.UpSampling3D(2)  # (batch, 4, 4, 4, c) -> (batch, 8, 8, 8, c)
    """

    spatial = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        _Spatial.__init__(self, data_format=data_format, **kwargs)
        self.size = (int(size),) * 3 if isinstance(size, int) else tuple(int(s) for s in size)
        if len(self.size) != 3:
            raise ValueError(f"UpSampling3D layer '{self.name}': size must be an int or 3 ints, got {size!r}")


class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`: they are zeroed and the
    output carries a (batch, steps) mask that downstream layers receive.

    Example:
        layer = layered.layers.Masking(mask_value=0.0)
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        # The mask is data, not a function to differentiate: cut it from the gradient, so a
        # layer that multiplies by it (attention, pooling) does not reach the comparison.
        return ops.stop_gradient(ops.any(ops.not_equal(inputs, self.mask_value), axis=-1))

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        # `where`, not a product with the cast mask: the gradient flows to the kept steps only
        # and never through the (non-differentiable) comparison.
        return ops.where(keep, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
