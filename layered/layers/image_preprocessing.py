"""Image preprocessing layers inside the model: CenterCrop, Resizing, and the training-only RandomFlip
and RandomCrop (the other augmentations: image_augmentation.py)."""
import numpy as np

from layered import ops
from layered.graph import build
from layered.layers.regularization import _seed_and_salt
from layered.models.layer import Layer

_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def image_axes(layer, ndim):
    """(height axis, width axis) of a batched (rank 4) or single (rank 3) image."""
    if ndim not in (3, 4):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}' takes images of rank 4 (batch, height, width, "
                         f"channels) or rank 3, got rank {ndim}")
    return (ndim - 3, ndim - 2) if layer.data_format == "channels_last" else (ndim - 2, ndim - 1)


def image_data_format(layer, data_format):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': data_format must be 'channels_last' or "
                         f"'channels_first', got {data_format!r}")
    return data_format


def _with_image_size(layer, input_shape):
    """`input_shape` with its height and width set to the layer's `height` and `width`."""
    shape = list(input_shape)
    for axis, target in zip(image_axes(layer, len(shape)), (layer.height, layer.width)):
        shape[axis] = target
    return tuple(shape)


class RandomFlip(Layer):
    """Flips each image left-right and/or top-bottom with probability 1/2, in training only
    ('horizontal_and_vertical' flips both axes on one draw, as Keras does).

    Example:
        layer = layered.layers.RandomFlip("horizontal")
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in _FLIP_MODES:
            raise ValueError(f"RandomFlip layer '{self.name}': mode must be one of {_FLIP_MODES}, got {mode!r}")
        self.mode, self.seed = mode, seed
        self.data_format = image_data_format(self, data_format)

    def _eager_call(self, args, kwargs):
        # Keras flips when the layer is called directly on data (training defaults to True
        # there); inside a model, fit passes training=True and evaluate/predict False.
        return super()._eager_call(args, {"training": True, **kwargs})

    def call(self, inputs, training=None):
        height, width = image_axes(self, inputs.ndim)
        x = ops.cast(inputs, self.dtype)
        if not training:
            return x
        axes = {"horizontal": (width,), "vertical": (height,), "horizontal_and_vertical": (width, height)}[self.mode]
        flipped = x
        for axis in axes:
            flipped = ops.flip(flipped, axis)
        seed, salt = _seed_and_salt(self)
        shape = (None,) + (1,) * (x.ndim - 1) if x.ndim == 4 else (1, 1, 1)
        like = x if x.ndim == 4 and x.shape[0] is None else None
        shape = tuple(x.shape[0] if d is None and like is None else d for d in shape)
        draws = build.random_uniform(seed, shape, x.dtype, salt=salt, like=like)
        return ops.where(draws <= 0.5, flipped, x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "seed": self.seed, "mode": self.mode}


class CenterCrop(Layer):
    """Crops the central `height` x `width` window of each image (the extra rows and columns
    split as (size - target) // 2 before, the rest after).

    Inputs smaller than the target are resized by Keras; layered raises an error instead.
    Example:
        layer = layered.layers.CenterCrop(24, 24)   # (b, 32, 32, 3) -> (b, 24, 24, 3)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        if self.height < 1 or self.width < 1:
            raise ValueError(f"CenterCrop layer '{self.name}': height and width must be positive, got "
                             f"({height}, {width})")
        self.data_format = image_data_format(self, data_format)

    def call(self, inputs):
        axes = image_axes(self, inputs.ndim)
        index = [slice(None)] * inputs.ndim
        for axis, target in zip(axes, (self.height, self.width)):
            size = inputs.shape[axis]
            if size is None:
                raise ValueError(f"CenterCrop layer '{self.name}' needs known image sizes, received input shape "
                                 f"{inputs.shape}")
            if size < target:
                raise NotImplementedError(f"CenterCrop layer '{self.name}': input shape {inputs.shape} is smaller "
                                          f"than the crop ({self.height}, {self.width}); resizing is not supported")
            start = (size - target) // 2
            index[axis] = slice(start, start + target)
        return ops.cast(inputs, self.dtype)[tuple(index)]

    def compute_output_shape(self, input_shape):
        return _with_image_size(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height, "width": self.width}


def _resize_matrix(size, target, interpolation):
    """(target, size) weights mapping an axis of `size` samples to `target` ones, with
    half-pixel centres as Keras (jax.image.resize, no antialiasing) places them."""
    centres = (np.arange(target) + 0.5) * (size / target)
    matrix = np.zeros((target, size), "float32")
    if interpolation == "nearest":
        matrix[np.arange(target), np.minimum(np.floor(centres).astype(int), size - 1)] = 1.0
        return matrix
    source = np.clip(centres - 0.5, 0.0, size - 1.0)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, size - 1)
    weight = (source - low).astype("float32")
    np.add.at(matrix, (np.arange(target), low), 1.0 - weight)
    np.add.at(matrix, (np.arange(target), high), weight)
    return matrix


class Resizing(Layer):
    """Resizes images to (height, width) with 'bilinear' (default) or 'nearest' interpolation,
    as Keras does without antialiasing: each axis is one matrix product with fixed weights.

    Example:
        layer = layered.layers.Resizing(64, 64)   # (b, 180, 180, 3) -> (b, 64, 64, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        if interpolation not in ("bilinear", "nearest"):
            raise NotImplementedError(f"Resizing layer '{self.name}': interpolation {interpolation!r} is not "
                                      "supported ('bilinear' and 'nearest' are)")
        if crop_to_aspect_ratio or pad_to_aspect_ratio or antialias:
            raise NotImplementedError(f"Resizing layer '{self.name}': crop_to_aspect_ratio, pad_to_aspect_ratio "
                                      "and antialias are not supported")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, float(fill_value)
        self.crop_to_aspect_ratio = self.pad_to_aspect_ratio = self.antialias = False
        self.data_format = image_data_format(self, data_format)

    def call(self, inputs):
        axes = image_axes(self, inputs.ndim)
        x = ops.cast(inputs, self.dtype)
        for axis, target in zip(axes, (self.height, self.width)):
            size = x.shape[axis]
            if size is None:
                raise ValueError(f"Resizing layer '{self.name}' needs known image sizes, received input shape "
                                 f"{inputs.shape}")
            if size == target and self.interpolation == "bilinear":
                continue
            weights = ops.convert_to_tensor(_resize_matrix(size, target, self.interpolation).T)
            last = [a for a in range(x.ndim) if a != axis] + [axis]  # the resized axis last, then back
            x = ops.transpose(ops.matmul(ops.transpose(x, last), weights), np.argsort(last).tolist())
        return x

    def compute_output_shape(self, input_shape):
        return _with_image_size(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": False, "pad_to_aspect_ratio": False,
                "fill_mode": self.fill_mode, "fill_value": self.fill_value, "antialias": False,
                "data_format": self.data_format}


class RandomCrop(Layer):
    """Crops a random `height` x `width` window (one position for the whole batch) in
    training. As in Keras 3, inference (training=False) passes the images through uncropped,
    so layers after it must accept either size; building a model crops the centre.

    Example:
        layer = layered.layers.RandomCrop(28, 28)   # (b, 32, 32, 3) -> (b, 28, 28, 3) in training
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width, self.seed = int(height), int(width), seed
        self.data_format = image_data_format(self, data_format)

    def _eager_call(self, args, kwargs):
        return super()._eager_call(args, {"training": True, **kwargs})  # as RandomFlip

    def call(self, inputs, training=None):
        axes = image_axes(self, inputs.ndim)
        x = ops.cast(inputs, self.dtype)
        if training is False:
            return x
        sizes = [x.shape[a] for a in axes]
        if None in sizes:
            raise ValueError(f"RandomCrop layer '{self.name}' needs known image sizes, received input shape "
                             f"{inputs.shape}")
        if sizes == [self.height, self.width]:
            return x
        if sizes[0] < self.height or sizes[1] < self.width:
            raise NotImplementedError(f"RandomCrop layer '{self.name}': input shape {inputs.shape} is smaller than "
                                      f"the crop ({self.height}, {self.width}); resizing is not supported")
        if training is None:  # building a model: the output shape, from the centre
            return CenterCrop(self.height, self.width, data_format=self.data_format, dtype=self.dtype).call(x)
        if sizes[0] == self.height or sizes[1] == self.width:
            raise NotImplementedError(f"RandomCrop layer '{self.name}': Keras resizes when an image side equals "
                                      f"the crop side; input shape {inputs.shape}, crop ({self.height}, {self.width})")
        seed, salt = _seed_and_salt(self)
        for step, (axis, size, target) in enumerate(zip(axes, sizes, (self.height, self.width))):
            draw = build.random_uniform(seed, (), "float32", salt=salt + 31 * step)
            start = ops.cast(ops.floor(draw * float(size - target + 1)), "int32")
            x = ops.take(x, ops.convert_to_tensor(np.arange(target, dtype="int32")) + start, axis=axis)
        return x

    def compute_output_shape(self, input_shape):
        return _with_image_size(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height, "width": self.width,
                "seed": self.seed}
