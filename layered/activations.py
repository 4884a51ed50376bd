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
    return ops.where(x > 0.0, x, x * negative_slope)


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
    # exp of min(x, 0): the unselected branch never overflows, so its gradient stays finite.
    return ops.where(x > 0.0, x, (ops.exp(ops.minimum(x, 0.0)) - 1.0) * alpha)


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def selu(x):
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return x / (ops.abs(x) + 1.0)


def silu(x):
    return x * ops.sigmoid(x)


swish = silu


def hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6.
    return ops.clip(x + 3.0, 0.0, 6.0) / 6.0


def hard_silu(x):
    return x * hard_sigmoid(x)


def exponential(x):
    return ops.exp(x)


ACTIVATIONS = {
    "linear": linear, "relu": relu, "leaky_relu": leaky_relu, "sigmoid": sigmoid, "tanh": tanh,
    "softmax": softmax, "log_softmax": log_softmax, "gelu": gelu, "elu": elu, "selu": selu,
    "softplus": softplus, "softsign": softsign, "silu": silu, "swish": swish,
    "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu, "hard_swish": hard_silu, "exponential": exponential,
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


