"""Regularization layers: Dropout."""
from layered import ops, random
from layered.graph import build
from layered.models.layer import Layer


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
