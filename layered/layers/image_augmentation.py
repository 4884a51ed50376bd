"""Training-only image augmentations: RandomRotation, RandomTranslation, RandomZoom (a random
resampling per image) and RandomContrast, RandomBrightness (a random colour change per image).
Each passes its input through at inference."""
import math

import numpy as np

from layered import ops
from layered.convolution import axis_positions
from layered.graph import build
from layered.layers.image_preprocessing import image_axes, image_data_format
from layered.layers.regularization import _seed_and_salt
from layered.models.layer import Layer


# ------------------------------------------------------------ geometric augmentation

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _range(layer, factor, what, symmetric=True):
    """A factor as (lower, upper): a number f means (-f, f) (or (0, f) when not symmetric)."""
    if isinstance(factor, (int, float)):
        pair = (-float(factor), float(factor)) if symmetric else (0.0, float(factor))
    else:
        pair = tuple(float(f) for f in factor)
    if len(pair) != 2 or pair[0] > pair[1]:
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': {what} must be a number or a "
                         f"(lower, upper) pair with lower <= upper, got {factor!r}")
    return pair


def _fold(index, size, mode):
    """Integer coordinates (float tensor) brought inside [0, size) by the fill mode."""
    if mode == "nearest" or mode == "constant":
        return ops.clip(index, 0.0, size - 1.0)
    period = size if mode == "wrap" else 2 * size  # reflect: d c b a | a b c d | d c b a
    folded = index - ops.floor(index / period) * period
    if mode == "wrap":
        return folded
    return ops.where(folded < size, folded, period - 1 - folded)


class _Affine(Layer):
    """Base of RandomRotation, RandomTranslation and RandomZoom: in training each image is
    resampled through a random per-image map of output to input coordinates (around the
    image centre), with bilinear or nearest interpolation and Keras's fill modes; at
    inference the images pass unchanged."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"{type(self).__name__} layer '{self.name}': fill_mode must be one of {_FILL_MODES}, "
                             f"got {fill_mode!r}")
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"{type(self).__name__} layer '{self.name}': interpolation must be 'bilinear' or "
                             f"'nearest', got {interpolation!r}")
        self.fill_mode, self.interpolation, self.seed = fill_mode, interpolation, seed
        self.fill_value = float(fill_value)
        self.data_format = image_data_format(self, data_format)
        if self.data_format != "channels_last":
            raise NotImplementedError(f"{type(self).__name__} layer '{self.name}': channels_first is not supported")

    def _eager_call(self, args, kwargs):
        return super()._eager_call(args, {"training": True, **kwargs})  # as RandomFlip

    def _uniform(self, like, low, high):
        """A (batch, 1, 1) draw per image, uniform in [low, high)."""
        seed, salt = _seed_and_salt(self)
        self._draws = getattr(self, "_draws", 0) + 1
        shape = (like.shape[0], 1, 1)
        ref = like if like.shape[0] is None else None
        draw = build.random_uniform(seed, shape, "float32", salt=salt + 7919 * self._draws, like=ref)
        return draw * (high - low) + low

    def call(self, inputs, training=None):
        image_axes(self, inputs.ndim)
        x = ops.cast(inputs, self.dtype)
        if not training:
            return x
        single = x.ndim == 3
        if single:
            x = ops.expand_dims(x, 0)
        height, width = x.shape[1], x.shape[2]
        if height is None or width is None:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' needs known image sizes, received input "
                             f"shape {inputs.shape}")
        self._draws = 0
        like = ops.sum(build.slice(x, (0, 0, 0, 0), (None, 1, 1, 1)), axis=-1)  # (batch, 1, 1)
        rows = ops.convert_to_tensor(np.arange(height, dtype="float32").reshape(1, height, 1) - (height - 1) / 2)
        cols = ops.convert_to_tensor(np.arange(width, dtype="float32").reshape(1, 1, width) - (width - 1) / 2)
        source_rows, source_cols = self._source(like, rows, cols, height, width)
        out = self._sample(x, source_rows + (height - 1) / 2, source_cols + (width - 1) / 2)
        return out[0] if single else out

    def _sample(self, images, rows, cols):
        """images (batch, H, W, C) read at float coordinates rows, cols (batch, H, W)."""
        batch, height, width, channels = images.shape
        flat = ops.reshape(images, (-1, channels))
        first = ops.reshape(axis_positions(images, 0) * (height * width), (-1, 1, 1))
        if self.interpolation == "nearest":
            corners = [(ops.floor(rows + 0.5), ops.floor(cols + 0.5), None)]
        else:
            top, left = ops.floor(rows), ops.floor(cols)
            dy, dx = rows - top, cols - left
            corners = [(top, left, (1.0 - dy) * (1.0 - dx)), (top, left + 1.0, (1.0 - dy) * dx),
                       (top + 1.0, left, dy * (1.0 - dx)), (top + 1.0, left + 1.0, dy * dx)]
        out = None
        for r, c, weight in corners:
            inside = ops.logical_and(ops.logical_and(r >= 0.0, r <= height - 1.0),
                                     ops.logical_and(c >= 0.0, c <= width - 1.0))
            r, c = _fold(r, height, self.fill_mode), _fold(c, width, self.fill_mode)
            index = first + ops.cast(r, "int32") * width + ops.cast(c, "int32")
            value = ops.take(flat, index, axis=0)  # (batch, H, W, C)
            if self.fill_mode == "constant":
                value = ops.where(ops.expand_dims(inside, -1), value, self.fill_value)
            value = value if weight is None else value * ops.expand_dims(weight, -1)
            out = value if out is None else out + value
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value, "data_format": self.data_format}


class RandomRotation(_Affine):
    """Rotates each image by a random angle in `factor` * 2 pi (a number f: [-f, f]), in
    training only; positive angles turn counter-clockwise.

    Example:
        layer = layered.layers.RandomRotation(0.1)   # up to +-36 degrees
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self._factor = _range(self, factor, "factor")
        self.factor = self._factor  # Keras saves the (lower, upper) pair
        self.value_range = tuple(value_range)

    def _source(self, like, rows, cols, height, width):
        angle = self._uniform(like, self._factor[0] * 2 * math.pi, self._factor[1] * 2 * math.pi)
        cos, sin = ops.cos(angle), ops.sin(angle)
        # The output pixel at (row, col) reads the input turned back by the angle.
        return cos * rows + sin * cols, cos * cols - sin * rows

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomTranslation(_Affine):
    """Shifts each image by a random fraction of its height (`height_factor`) and width
    (`width_factor`), in training only; positive shifts move the content down and right.

    Example:
        layer = layered.layers.RandomTranslation(0.1, 0.1)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self._rows = height_factor, _range(self, height_factor, "height_factor")
        self.width_factor, self._cols = width_factor, _range(self, width_factor, "width_factor")

    def _source(self, like, rows, cols, height, width):
        down = self._uniform(like, *self._rows) * height
        right = self._uniform(like, *self._cols) * width
        return rows - down, cols - right

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomZoom(_Affine):
    """Zooms each image by a random factor, in training only: `height_factor` (and
    `width_factor`, default the same draw) are fractions, positive zooming out and negative
    zooming in (0.2: the image shows up to 20% more or less of its content).

    Example:
        layer = layered.layers.RandomZoom(0.1)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self._rows = height_factor, _range(self, height_factor, "height_factor")
        self.width_factor = width_factor
        self._cols = None if width_factor is None else _range(self, width_factor, "width_factor")

    def _source(self, like, rows, cols, height, width):
        zoom_rows = self._uniform(like, 1.0 + self._rows[0], 1.0 + self._rows[1])
        zoom_cols = zoom_rows if self._cols is None else self._uniform(like, 1.0 + self._cols[0], 1.0 + self._cols[1])
        return rows * zoom_rows, cols * zoom_cols

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


# ------------------------------------------------------------ colour augmentation

class _PerImage(Layer):
    """Base of RandomContrast and RandomBrightness: one uniform draw per image in
    [low, high), applied in training only; results clipped to `value_range`."""

    _bounds = (0.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        low, high = self._bounds
        pair = self._pair(factor) if isinstance(factor, (int, float)) else tuple(factor)
        if len(pair) != 2 or not all(low <= f <= high for f in pair):
            raise ValueError(f"{type(self).__name__} layer '{self.name}': factor must be a number or a pair of "
                             f"numbers in [{low:g}, {high:g}], got {factor!r}")
        if len(value_range) != 2 or value_range[0] >= value_range[1]:
            raise ValueError(f"{type(self).__name__} layer '{self.name}': value_range must be (low, high) with "
                             f"low < high, got {value_range!r}")
        self.factor, self.value_range, self.seed = pair, tuple(value_range), seed
        self.data_format = image_data_format(self, data_format)

    def _eager_call(self, args, kwargs):
        return super()._eager_call(args, {"training": True, **kwargs})  # as RandomFlip

    def _draw(self, x, low, high):
        seed, salt = _seed_and_salt(self)
        if x.ndim == 3:
            return build.random_uniform(seed, (1, 1, 1), x.dtype, salt=salt) * (high - low) + low
        like = x if x.shape[0] is None else None
        shape = (x.shape[0], 1, 1, 1)
        return build.random_uniform(seed, shape, x.dtype, salt=salt, like=like) * (high - low) + low

    def call(self, inputs, training=None):
        image_axes(self, inputs.ndim)
        x = ops.cast(inputs, self.dtype)
        if not training:
            return x
        return ops.clip(self._adjust(x), float(self.value_range[0]), float(self.value_range[1]))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed}


class RandomContrast(_PerImage):
    """Scales each image's deviation from its per-channel mean by a random factor in
    [1 - factor[0], 1 + factor[1]] (a number f is stored as (0, f), as Keras 3 does), in
    training only.

    Example:
        layer = layered.layers.RandomContrast(0.2)
    """

    @staticmethod
    def _pair(factor):
        return (0, factor)

    def _adjust(self, x):
        height, width = image_axes(self, x.ndim)
        mean = ops.mean(x, axis=(height, width), keepdims=True)
        return (x - mean) * self._draw(x, 1.0 - self.factor[0], 1.0 + self.factor[1]) + mean


class RandomBrightness(_PerImage):
    """Adds to each image a random offset of factor * (value_range[1] - value_range[0]) with
    factor drawn in [factor[0], factor[1]] (a number f means (-f, f)), in training only.

    Example:
        layer = layered.layers.RandomBrightness(0.2)
    """

    _bounds = (-1.0, 1.0)

    @staticmethod
    def _pair(factor):
        return (-abs(factor), abs(factor))

    def _adjust(self, x):
        span = float(self.value_range[1] - self.value_range[0])
        return x + self._draw(x, self.factor[0], self.factor[1]) * span
