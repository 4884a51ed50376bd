"""Weight regularizers by Keras 3 name: penalties added to the training loss."""
import numpy as np

from layered import ops
from layered.registry import lookup


class Regularizer:
    """Base class: `regularizer(weight)` returns a scalar penalty (a graph tensor)."""

    def __call__(self, x):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x^2)`.

    Example:
        layered.layers.Dense(8, kernel_regularizer=layered.regularizers.L1L2(l1=1e-5, l2=1e-4))
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.sum(ops.square(x)) * self.l2
            penalty = term if penalty is None else penalty + term
        return penalty if penalty is not None else ops.sum(x) * 0.0

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """`l1 * sum(|x|)` (Keras default l1=0.01)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """`l2 * sum(x^2)` (Keras default l2=0.01)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2D weight towards orthogonality: `factor` times half
    the mean absolute cosine similarity between distinct rows (`mode="rows"`) or columns.

    Example:
        layered.layers.Dense(8, kernel_regularizer=layered.regularizers.OrthogonalRegularizer(0.01))
    """

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"mode must be 'rows' or 'columns', got {mode!r}")
        self.factor, self.mode = float(factor), mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(f"OrthogonalRegularizer needs a rank-2 weight, got shape {x.shape}")
        axis = 1 if self.mode == "rows" else 0
        unit = x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12))
        product = ops.matmul(unit, ops.transpose(unit)) if axis == 1 else ops.matmul(ops.transpose(unit), unit)
        size = x.shape[1 - axis]
        off_diagonal = product * (1.0 - np.eye(size, dtype=x.dtype))
        pairs = size * (size - 1.0) / 2.0
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras 3's lowercase names for the same classes.
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
                "L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer}


def get(identifier):
    """A regularizer from a name ('l1', 'l2', 'l1_l2'), a config dict, an object or a callable."""
    if identifier is None or isinstance(identifier, Regularizer) or callable(identifier) and \
            not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return lookup(REGULARIZERS, identifier, "regularizer")()


def deserialize(config, custom_objects=None):
    """A regularizer from `serialize`'s `{"class_name": ..., "config": ...}` dict.

    Example:
        layered.regularizers.deserialize({"class_name": "L2", "config": {"l2": 0.1}})
    """
    from layered.saving.keras_objects import deserialize_entry
    return deserialize_entry(config, {**REGULARIZERS, **(custom_objects or {})}, "regularizer", custom_objects)


def serialize(regularizer):
    if regularizer is None:
        return None
    from layered.saving.keras_objects import serialize_entry
    return serialize_entry(regularizer)
