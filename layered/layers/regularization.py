"""Regularization layers: Dropout and its spatial, Gaussian and alpha variants, GaussianNoise,
ActivityRegularization."""
import math

from layered import ops, random, regularizers
from layered.graph import build
from layered.models.layer import InputSpec, Layer


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs in training and scales the rest by 1/(1-rate).

    Example:
        layer = layered.layers.Dropout(0.5)
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        seed, salt = random.next_seed(f"Dropout layer '{self.name}'")
        shape = inputs.shape if self.noise_shape is None else tuple(
            d if n is None else n for n, d in zip(self.noise_shape, inputs.shape))
        if self.seed is not None:
            salt += 1_000_003 * int(self.seed)  # a seeded layer draws its own stream
        like = inputs if None in shape else None  # unknown sizes (the batch) come from the input
        keep = build.random_uniform(seed, shape, inputs.dtype, salt=salt, like=like) >= self.rate
        return ops.where(keep, inputs * (1.0 / (1.0 - self.rate)), ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


def _seed_and_salt(layer):
    """(seed tensor, salt) for a random op of `layer`; a seeded layer draws its own stream."""
    seed, salt = random.next_seed(f"{type(layer).__name__} layer '{layer.name}'")
    if layer.seed is not None:
        salt += 1_000_003 * int(layer.seed)
    return seed, salt


def _channels_last(data_format):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format == "channels_last"


class SpatialDropout1D(Dropout):
    """Dropout of whole channels: one keep/drop draw per (sample, channel) of a (batch, steps,
    channels) input, shared by every step.

    Example:
        layer = layered.layers.SpatialDropout1D(0.2)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, noise_shape=(None, 1, None), seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"], config["trainable"]  # Keras saves neither for the spatial dropouts
        return config


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps of a 4D input: one draw per (sample, channel).

    Example:
        layer = layered.layers.SpatialDropout2D(0.2)
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        last = _channels_last(data_format)
        super().__init__(rate, noise_shape=(None, 1, 1, None) if last else (None, None, 1, 1), seed=seed, **kwargs)
        self.data_format = "channels_last" if last else "channels_first"
        self.input_spec = InputSpec(ndim=4)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"], config["trainable"]
        return {**config, "data_format": self.data_format}


class SpatialDropout3D(Dropout):
    """Dropout of whole feature volumes of a 5D input: one draw per (sample, channel).

    Example:
        layer = layered.layers.SpatialDropout3D(0.2)
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        last = _channels_last(data_format)
        super().__init__(rate, noise_shape=(None, 1, 1, 1, None) if last else (None, None, 1, 1, 1), seed=seed,
                         **kwargs)
        self.data_format = "channels_last" if last else "channels_first"
        self.input_spec = InputSpec(ndim=5)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"], config["trainable"]
        return {**config, "data_format": self.data_format}


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of SELU activations: in training a dropped
    input becomes SELU's negative saturation value, then an affine map restores the
    statistics. The identity at inference.

    Example:
        layer = layered.layers.AlphaDropout(0.1)
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"AlphaDropout layer '{self.name}': rate must be in [0, 1], got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        saturation = -1.6732632423543772 * 1.0507009873554805  # -alpha * scale of SELU
        keep_prob = 1.0 - self.rate
        a = (keep_prob * (1.0 + self.rate * saturation ** 2)) ** -0.5
        b = -a * saturation * self.rate
        seed, salt = _seed_and_salt(self)
        shape = inputs.shape if self.noise_shape is None else tuple(
            d if n is None else n for n, d in zip(self.noise_shape, inputs.shape))
        like = inputs if None in shape else None
        keep = build.random_uniform(seed, shape, inputs.dtype, salt=salt, like=like) >= self.rate
        return ops.where(keep, inputs, saturation) * a + b

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` in training only.

    Example:
        layer = layered.layers.GaussianNoise(0.1)
    """

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if stddev < 0:
            raise ValueError(f"GaussianNoise stddev must be non-negative, got {stddev}")
        self.stddev, self.seed = float(stddev), seed

    def call(self, inputs, training=None):
        if not training or self.stddev == 0.0:
            return inputs
        seed, salt = _seed_and_salt(self)
        like = inputs if None in inputs.shape else None
        return inputs + build.random_normal(seed, inputs.shape, inputs.dtype, salt=salt, like=like) * self.stddev

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` in training only.

    Example:
        layer = layered.layers.GaussianDropout(0.2)
    """

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"GaussianDropout rate must be in [0, 1), got {rate}")
        self.rate, self.seed = float(rate), seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        seed, salt = _seed_and_salt(self)
        like = inputs if None in inputs.shape else None
        noise = build.random_normal(seed, inputs.shape, inputs.dtype, salt=salt, like=like)
        return inputs * (noise * math.sqrt(self.rate / (1.0 - self.rate)) + 1.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class ActivityRegularization(Layer):
    """Passes its input through and adds `(l1 * sum|x| + l2 * sum x^2) / batch_size` to the loss
    (divided by the batch size as current Keras 3 does, so the strength does not grow with it).

    Example:
        layer = layered.layers.ActivityRegularization(l2=1e-3)
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs):
        penalty = regularizers.L1L2(l1=self.l1, l2=self.l2)(inputs)
        if inputs.ndim > 0:
            penalty = penalty / _batch_size(inputs)
        self.add_loss(penalty)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


def _batch_size(x):
    """The size of `x`'s first axis as a float scalar (computed when the graph runs if unknown)."""
    if x.shape[0] is not None:
        return float(x.shape[0])
    per_sample = ops.sum(x, axis=tuple(range(1, x.ndim))) if x.ndim > 1 else x
    return ops.sum(ops.ones_like(ops.stop_gradient(per_sample)))
