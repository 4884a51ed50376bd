"""Embedding: integer indices -> rows of a learned table."""
import warnings

import numpy as np

from layered import constraints, initializers, ops, regularizers
from layered.models.layer import Layer


class Embedding(Layer):
    """Maps each integer index in `[0, input_dim)` to a learned vector of size `output_dim`.

    Output shape: the input shape plus a last axis of `output_dim`. With `mask_zero=True`
    index 0 is padding: the output carries a mask (`inputs != 0`) that downstream layers
    receive (so `input_dim` should count the padding index too).

    Example:
        layer = layered.layers.Embedding(1000, 64, mask_zero=True)
        vectors = layer(layered.Input(shape=(20,), dtype="int32"))  # (None, 20, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, **kwargs):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Embedding: the argument `input_length` is deprecated (as in Keras 3) and ignored",
                          stacklevel=2)
        if kwargs.pop("activity_regularizer", None) is not None or lora_rank is not None:
            raise NotImplementedError("Embedding: activity_regularizer and lora_rank are not supported yet")
        super().__init__(**kwargs)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError(f"Embedding input_dim and output_dim must be positive, got {input_dim}, {output_dim}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")
        self.built = True
        if self._initial_weights is not None:
            self.set_weights([np.asarray(w) for w in self._initial_weights])
            self._initial_weights = None

    def call(self, inputs):
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")  # float-declared inputs hold whole numbers
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "activity_regularizer": None, "mask_zero": self.mask_zero}
