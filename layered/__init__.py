"""layered: a Keras-style deep-learning library on a symbolic graph.

The Keras 3 API (`Input`, `Sequential`, `Model`, `layers`, `losses`, `metrics`,
`optimizers`, `callbacks`) over a graph of primitives that a backend compiles; the
low-level API (`Variable`, `constant`, `placeholder`, `function`) underneath.
"""
from layered import models as models  # noqa: I001  (before layers: the layers import the Layer base)
from layered import (activations as activations, callbacks as callbacks, config as config,  # noqa: F401
                     constraints as constraints, datasets as datasets, distribution as distribution,
                     initializers as initializers, layers as layers,
                     losses as losses, metrics as metrics, ops as ops, optimizers as optimizers, random as random,
                     regularizers as regularizers, saving as saving, summary as summary, utils as utils)
from layered.graph import Constant, Placeholder, Tensor as Tensor, Variable as Variable, name_scope as name_scope
from layered.layers.core import Input as Input
from layered.models import Layer as Layer, Model as Model, Sequential as Sequential
from layered.training.function import function as function

__version__ = "0.1.0"


def constant(value, dtype=None, name=None):
    """A constant tensor holding `value` (Python floats become float32)."""
    return Constant(value, dtype=dtype, name=name)


def placeholder(shape, dtype="float32", name=None):
    """An input tensor fed when a compiled function is called; None marks unknown dimensions."""
    return Placeholder(shape, dtype=dtype, name=name)
