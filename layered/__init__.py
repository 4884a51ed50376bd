"""layered: a Keras-style deep-learning library on a symbolic graph.

The low-level API (this issue's layer): `Variable`, `constant`, `placeholder`,
`layered.ops`, `function` and `optimizers.<Name>().minimize`.
"""
from layered import config as config, ops as ops, optimizers as optimizers
from layered.graph import Constant, Placeholder, Tensor as Tensor, Variable as Variable, name_scope as name_scope
from layered.training.function import function as function

__version__ = "0.1.0"


def constant(value, dtype=None, name=None):
    """A constant tensor holding `value` (Python floats become float32)."""
    return Constant(value, dtype=dtype, name=name)


def placeholder(shape, dtype="float32", name=None):
    """An input tensor fed when a compiled function is called; None marks unknown dimensions."""
    return Placeholder(shape, dtype=dtype, name=name)
