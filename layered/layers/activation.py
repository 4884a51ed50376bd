"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax (Keras 3 arguments and defaults)."""
from layered import constraints, initializers, ops, regularizers
from layered.models.layer import InputSpec, Layer, check_mask

# What a masked position of a Softmax input becomes before the exponential (Keras's number).
_LARGE_NEGATIVE = -1e9


class _Elementwise(Layer):
    """An activation layer: the output has the input's shape and mask."""

    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """Rectified linear unit with Keras's options.

    `x` above `threshold` passes (capped at `max_value`); below it the output is
    `negative_slope * (x - threshold)`.

    Args:
        max_value: the largest output (None: no cap); must be >= 0.
        negative_slope: the slope below the threshold; must be >= 0.
        threshold: where the unit switches on.
    Example:
        layer = layered.layers.ReLU(max_value=6.0)   # relu6
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for what, value in (("max_value", max_value), ("negative_slope", negative_slope), ("threshold", threshold)):
            if value is not None and value < 0:
                raise ValueError(f"ReLU layer '{self.name}': {what} must be >= 0, got {value}")
        if negative_slope is None or threshold is None:
            raise ValueError(f"ReLU layer '{self.name}': negative_slope and threshold cannot be None")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def call(self, inputs):
        x = inputs
        if self.threshold != 0.0:
            y = ops.where(x > self.threshold, x, ops.zeros_like(x))
        else:
            y = ops.relu(x)
        if self.max_value is not None:
            y = ops.clip(y, 0.0, self.max_value)
        if self.negative_slope != 0.0:
            # Keras subtracts slope * relu(threshold - x): zero above the threshold.
            y = y - ops.relu(self.threshold - x) * self.negative_slope
        return y

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """`x` for x >= 0, `negative_slope * x` below (Keras 3's default slope is 0.3).

    Example:
        layer = layered.layers.LeakyReLU(negative_slope=0.1)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # the Keras 2 name, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU layer '{self.name}': negative_slope must be a number >= 0, "
                             f"got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return ops.where(inputs >= 0.0, inputs, inputs * self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope: `max(x, 0) - alpha * max(-x, 0)`.

    The weight `alpha` has the input's shape without the batch axis, with size 1 on the
    `shared_axes` (e.g. shared_axes=[1, 2] shares one slope per channel of an image).

    Example:
        layer = layered.layers.PReLU(shared_axes=[1, 2])
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [int(shared_axes)] if isinstance(shared_axes, int) else [int(a) for a in shared_axes]
            if any(a < 1 for a in self.shared_axes):
                raise ValueError(f"PReLU layer '{self.name}': shared_axes are axes after the batch axis (>= 1), "
                                 f"got {shared_axes}")

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis > len(shape):
                raise ValueError(f"PReLU layer '{self.name}': shared axis {axis} is not an axis of input shape "
                                 f"{tuple(input_shape)}")
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"PReLU layer '{self.name}' needs known sizes on the axes it does not share, got input "
                             f"shape {tuple(input_shape)}")
        self.alpha = self.add_weight(shape=shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
                                     name="alpha")
        shared = set(self.shared_axes or ())
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared})
        self.built = True

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint), "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: `x` for x > 0, `alpha * (exp(x) - 1)` below.

    Example:
        layer = layered.layers.ELU(alpha=1.0)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        # exp of min(x, 0): the unselected branch never overflows, so its gradient stays finite.
        return ops.where(inputs > 0.0, inputs, (ops.exp(ops.minimum(inputs, 0.0)) - 1.0) * self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Softmax over `axis` (an int or a tuple of axes).

    With a mask (a boolean tensor that broadcasts to the input, passed as `mask=` or carried
    by the input), masked positions are left out: they get probability 0 and the others
    sum to 1.

    Example:
        probabilities = layered.layers.Softmax()(scores, mask=valid)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs, mask=None):
        if mask is not None:
            check_mask(self, "the mask", mask, inputs.shape)
            if mask.dtype != "bool":
                mask = mask > 0.5
            inputs = ops.where(mask, inputs, _LARGE_NEGATIVE)
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=tuple(self.axis), keepdims=True))
        else:
            outputs = ops.softmax(inputs, self.axis[0] if isinstance(self.axis, list) else self.axis)
        if mask is not None:
            outputs = ops.where(mask, outputs, 0.0)
        return outputs

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
