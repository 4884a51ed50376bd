"""Activation functions, by Keras 3 name, each a composition of ops."""

from layered import ops
from layered.registry import lookup


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with an optional slope below `threshold` and a cap at `max_value`."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    y = ops.where(x > threshold, x, (x - threshold) * negative_slope if negative_slope else ops.zeros_like(x))
    return y if max_value is None else ops.minimum(y, max_value)


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope)


def sigmoid(x):
    return ops.sigmoid(x)


def tanh(x):
    return ops.tanh(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis)


def gelu(x, approximate=False):
    return ops.gelu(x, approximate)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha)


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def silu(x):
    return ops.silu(x)


swish = silu


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def hard_silu(x):
    return ops.hard_silu(x)


hard_swish = hard_silu


def celu(x, alpha=1.0):
    return ops.celu(x, alpha)


def glu(x, axis=-1):
    return ops.glu(x, axis)


def hard_shrink(x, threshold=0.5):
    return ops.hard_shrink(x, threshold)


def hard_tanh(x):
    return ops.hard_tanh(x)


def log_sigmoid(x):
    return ops.log_sigmoid(x)


def mish(x):
    return ops.mish(x)


def relu6(x):
    return ops.relu6(x)


def soft_shrink(x, threshold=0.5):
    return ops.soft_shrink(x, threshold)


def sparse_plus(x):
    return ops.sparse_plus(x)


def sparse_sigmoid(x):
    return ops.sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    return ops.sparsemax(x, axis)


def squareplus(x, b=4):
    return ops.squareplus(x, b)


def tanh_shrink(x):
    return ops.tanh_shrink(x)


def threshold(x, threshold, default_value):
    return ops.threshold(x, threshold, default_value)


def exponential(x):
    return ops.exp(x)


ACTIVATIONS = {
    "linear": linear, "relu": relu, "leaky_relu": leaky_relu, "sigmoid": sigmoid, "tanh": tanh,
    "softmax": softmax, "log_softmax": log_softmax, "gelu": gelu, "elu": elu, "selu": selu,
    "softplus": softplus, "softsign": softsign, "silu": silu, "swish": swish,
    "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu, "hard_swish": hard_swish, "exponential": exponential,
    "celu": celu, "glu": glu, "hard_shrink": hard_shrink, "hard_tanh": hard_tanh, "log_sigmoid": log_sigmoid,
    "mish": mish, "relu6": relu6, "soft_shrink": soft_shrink, "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid, "sparsemax": sparsemax, "squareplus": squareplus, "tanh_shrink": tanh_shrink,
    "threshold": threshold,
}


def get(identifier):
    """An activation from a name, a callable, or None (linear).

    Example:
        layered.activations.get("relu")
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    return lookup(ACTIVATIONS, identifier, "activation")


def serialize(activation):
    for name, fn in ACTIVATIONS.items():
        if fn is activation:
            return name
    return getattr(activation, "__name__", str(activation))




def deserialize(config, custom_objects=None):
    """An activation from its serialized form: a name, or a Keras-style {"class_name": ..., "config": ...}
    dict naming a function; `custom_objects` maps extra names to callables.

    Example:
        layered.activations.deserialize("mish")
    """
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
        if isinstance(config, dict):
            config = config.get("name")
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    return get(config)
