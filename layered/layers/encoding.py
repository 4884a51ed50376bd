"""Categorical preprocessing layers: CategoryEncoding and Discretization."""
from layered import ops
from layered.graph import build
from layered.models.layer import Layer

_MODES = ("one_hot", "multi_hot", "count")


def _encode(layer, indices, mode, depth, count_weights=None):
    """Integer indices as one-hot, multi-hot or count vectors of `depth` (Keras's rules: a
    trailing axis of size 1 is dropped for one-hot; multi-hot and count reduce the axis before
    the last, or the only axis of a rank-1 input). Out-of-range indices give zeros."""
    if indices.dtype not in ("int32", "int64"):
        indices = ops.cast(indices, "int32")
    if indices.ndim == 0:
        indices = ops.reshape(indices, (1,))
    if mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = ops.squeeze(indices, -1)
        return build.one_hot(indices, depth, dtype=layer.dtype)
    encoded = build.one_hot(indices, depth, dtype=layer.dtype)
    axis = 1 if indices.ndim > 1 else 0
    if mode == "multi_hot":
        return ops.max(encoded, axis=axis)
    if count_weights is not None:
        encoded = encoded * ops.expand_dims(ops.cast(count_weights, layer.dtype), -1)
    return ops.sum(encoded, axis=axis)


def _encoded_shape(input_shape, mode, depth):
    input_shape = tuple(input_shape)
    if not input_shape:
        return (depth,)
    if mode == "one_hot" and len(input_shape) > 1 and input_shape[-1] == 1:
        return input_shape[:-1] + (depth,)
    if mode == "one_hot":
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


class CategoryEncoding(Layer):
    """Encodes integer category indices in [0, num_tokens) as vectors of length `num_tokens`.

    Args:
        num_tokens: the number of categories.
        output_mode: 'multi_hot' (default; 1 where a category occurs in the sample, 'binary'
            is the same), 'one_hot' (one vector per index) or 'count' (occurrences, or the
            sums of `count_weights` passed to the call).
    Example:
        layer = layered.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
        layer(np.array([[0, 1], [2, 2]]))   # [[1, 1, 0, 0], [0, 0, 1, 0]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise ValueError(f"CategoryEncoding layer '{self.name}': output_mode must be one of {_MODES}, got "
                             f"{output_mode!r}")
        if num_tokens is None or int(num_tokens) < 1:
            raise ValueError(f"CategoryEncoding layer '{self.name}': num_tokens must be an int >= 1, got {num_tokens}")
        if sparse:
            raise NotImplementedError(f"CategoryEncoding layer '{self.name}': sparse outputs are not supported")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"CategoryEncoding layer '{self.name}': count_weights is only for output_mode='count'")
        return _encode(self, inputs, self.output_mode, self.num_tokens, count_weights)

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


class Discretization(Layer):
    """Buckets numbers by `bin_boundaries`: with boundaries [0., 1., 2.] the buckets are
    (-inf, 0), [0, 1), [1, 2), [2, inf), numbered 0..3.

    Args:
        bin_boundaries: sorted boundaries (required: `adapt` is not supported).
        output_mode: 'int' (the bucket index, int32), or 'one_hot', 'multi_hot', 'count' over
            the len(bin_boundaries) + 1 buckets.
    Example:
        layer = layered.layers.Discretization(bin_boundaries=[0.0, 1.0])
        layer(np.array([[-0.5, 0.5, 1.5]]))   # [[0, 1, 2]]
    """

    def __init__(self, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, dtype=None, name=None,
                 bin_boundaries=None, **kwargs):
        if dtype is None:
            dtype = "int32" if output_mode == "int" else None
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int",) + _MODES:
            raise ValueError(f"Discretization layer '{self.name}': output_mode must be 'int' or one of {_MODES}, "
                             f"got {output_mode!r}")
        if bin_boundaries is None:
            raise NotImplementedError(f"Discretization layer '{self.name}': give bin_boundaries; learning them "
                                      "with num_bins and adapt() is not supported")
        if num_bins is not None:
            raise ValueError(f"Discretization layer '{self.name}': give either num_bins or bin_boundaries, not both")
        if sparse:
            raise NotImplementedError(f"Discretization layer '{self.name}': sparse outputs are not supported")
        boundaries = [float(b) for b in bin_boundaries]
        if boundaries != sorted(boundaries):
            raise ValueError(f"Discretization layer '{self.name}': bin_boundaries must be sorted, got "
                             f"{bin_boundaries}")
        self.bin_boundaries, self.num_bins, self.epsilon = boundaries, None, float(epsilon)
        self.output_mode, self.sparse = output_mode, False

    def adapt(self, data, steps=None):
        raise NotImplementedError(f"Discretization layer '{self.name}': adapt() is not supported; give "
                                  "bin_boundaries")

    def _autocast(self, t):
        return t  # the inputs are numbers to bucket, whatever the output dtype

    def call(self, inputs):
        # Bucketing is a step function: no gradient flows through it.
        x = ops.stop_gradient(ops.cast(inputs, "float32") if inputs.dtype not in ("float32", "float64") else inputs)
        # The bucket index is the number of boundaries at or below x.
        index = ops.zeros_like(x, dtype="int32")
        for boundary in self.bin_boundaries:
            index = index + ops.cast(x >= boundary, "int32")
        if self.output_mode == "int":
            return index if self.dtype == "int32" else ops.cast(index, self.dtype)
        return _encode(self, index, self.output_mode, len(self.bin_boundaries) + 1)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return _encoded_shape(input_shape, self.output_mode, len(self.bin_boundaries) + 1)

    def get_config(self):
        config = super().get_config()
        del config["trainable"]  # Keras saves no trainable flag for Discretization
        return {**config, "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": False}
