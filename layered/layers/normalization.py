"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization."""
from layered import constraints, initializers, ops, regularizers
from layered.graph.core import ShapeError
from layered.graph.primitives import normalize_axes
from layered.models.layer import InputSpec, Layer, check_mask


class _ScaleAndCentre(Layer):
    """Shared by the normalizations with a learned `gamma` (scale) and `beta` (centre)."""

    def __init__(self, center=True, scale=True, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_gamma_and_beta(self, shape, gamma=True, beta=True):
        """gamma then beta: the order Keras creates (and lists) them in."""
        self.gamma = self.beta = None
        if gamma:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if beta:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


def _along(weight, axes, ndim):
    """`weight` (sized like the input on `axes`) reshaped to broadcast against a rank-`ndim` input."""
    if weight is None or list(axes) == list(range(ndim - len(axes), ndim)):
        return weight  # trailing axes broadcast as they are
    shape = [1] * ndim
    for axis, size in zip(axes, weight.shape):
        shape[axis] = size
    return ops.reshape(weight, tuple(shape))


def _known_sizes(layer, input_shape, axes):
    sizes = tuple(input_shape[a] for a in axes)
    if None in sizes:
        raise ShapeError(f"Layer '{layer.name}' ({type(layer).__name__}) needs known sizes on the normalized "
                         f"axes {list(axes)}, received input shape {tuple(input_shape)}")
    return sizes


def _scale_and_centre(inputs, mean, variance, epsilon, gamma, beta):
    """(inputs - mean) / sqrt(variance + epsilon), times `gamma` and plus `beta` where they are
    not None (all broadcastable to the inputs)."""
    factor = ops.rsqrt(variance + epsilon)
    if gamma is not None:
        factor = factor * gamma
    outputs = (inputs - mean) * factor
    return outputs if beta is None else outputs + beta


class BatchNormalization(_ScaleAndCentre):
    """Normalizes each feature (along `axis`) by the batch's mean and variance in training and by
    moving averages of them at inference, then scales by `gamma` and shifts by `beta`.

    In training (`training=True`, as `fit` calls it) the moving statistics are updated once per
    step: `moving = moving * momentum + batch_statistic * (1 - momentum)`. A layer set to
    `trainable = False` runs in inference mode, as in Keras.

    Example:
        layer = layered.layers.BatchNormalization(momentum=0.9)
    """

    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = bool(synchronized)  # one device: nothing to synchronize

    def build(self, input_shape):
        ndim = len(input_shape)
        axis = normalize_axes(self.axis, ndim)[0]
        (size,) = _known_sizes(self, input_shape, [axis])
        self._add_gamma_and_beta((size,), self.scale, self.center)
        self.moving_mean = self.add_weight(shape=(size,), initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=(size,), initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self.input_spec = InputSpec(ndim=ndim, axes={axis: size})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        ndim = inputs.ndim
        axis = normalize_axes(self.axis, ndim)[0]
        reduced = tuple(a for a in range(ndim) if a != axis)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            check_mask(self, "the mask", mask, tuple(inputs.shape[:mask.ndim]))
        if training and self.trainable:
            mean, variance = _masked_moments(inputs, reduced, mask)
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        mean, variance, gamma, beta = (_along(w, [axis], ndim) for w in (mean, variance, self.gamma, self.beta))
        return _scale_and_centre(inputs, mean, variance, self.epsilon, gamma, beta)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "synchronized": self.synchronized}


def _masked_moments(inputs, axes, mask):
    """Mean and variance over `axes` (kept out of the result); with a mask (the input's shape
    without its last axes), only the unmasked positions count."""
    if mask is None:
        return ops.moments(inputs, axes)
    weights = ops.cast(mask, inputs.dtype)
    while weights.ndim < inputs.ndim:
        weights = ops.expand_dims(weights, -1)
    count = ops.sum(weights * ops.ones_like(inputs), axes) + 1e-7  # 1e-7: an all-masked batch stays finite
    mean = ops.sum(weights * inputs, axes) / count
    centred = inputs - _along(mean, [a for a in range(inputs.ndim) if a not in axes], inputs.ndim)
    return mean, ops.sum(weights * ops.square(centred), axes) / count


class LayerNormalization(_ScaleAndCentre):
    """Normalizes each sample over `axis` (default the last) to zero mean and unit variance,
    then scales by `gamma` and shifts by `beta` (both shaped like the normalized axes).

    With `rms_scaling=True` it only rescales (no centring, no `beta`), by the standard
    deviation as Keras 3 does: `x * rsqrt(variance(x) + epsilon) * gamma`.

    Example:
        layer = layered.layers.LayerNormalization(epsilon=1e-6)
    """

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        if not isinstance(axis, (int, list, tuple)):
            raise TypeError(f"LayerNormalization axis must be an int or a list of ints, got {axis!r}")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon, self.rms_scaling = float(epsilon), bool(rms_scaling)

    def _axes(self, ndim):
        return list(normalize_axes(self.axis, ndim))

    def build(self, input_shape):
        if isinstance(self.axis, int):
            self.axis = [self.axis]  # Keras keeps (and saves) a list once built
        axes = self._axes(len(input_shape))
        sizes = _known_sizes(self, input_shape, axes)
        self._add_gamma_and_beta(sizes, self.scale or self.rms_scaling, self.center and not self.rms_scaling)
        self.built = True

    def call(self, inputs):
        ndim = inputs.ndim
        axes = self._axes(ndim)
        gamma, beta = _along(self.gamma, axes, ndim), _along(self.beta, axes, ndim)
        mean, variance = ops.moments(inputs, axes, keepdims=True)
        if self.rms_scaling:  # Keras 3 divides the uncentred input by the standard deviation
            factor = ops.rsqrt(variance + self.epsilon)
            return inputs * factor if gamma is None else inputs * factor * gamma
        return _scale_and_centre(inputs, mean, variance, self.epsilon, gamma, beta)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "rms_scaling": self.rms_scaling}


class GroupNormalization(_ScaleAndCentre):
    """Splits the channels (`axis`) into `groups` and normalizes each sample over each group
    (its channels and every other non-batch axis), then scales and shifts per channel.

    `groups=-1` makes one group per channel (instance normalization); `groups=1` normalizes
    over all channels together.

    Example:
        layer = layered.layers.GroupNormalization(groups=4)
    """

    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        self.groups, self.axis, self.epsilon = int(groups), int(axis), float(epsilon)

    def build(self, input_shape):
        ndim = len(input_shape)
        axis = normalize_axes(self.axis, ndim)[0]
        (channels,) = _known_sizes(self, input_shape, [axis])
        if self.groups == -1:
            self.groups = channels
        if not 1 <= self.groups <= channels or channels % self.groups:
            raise ValueError(f"Layer '{self.name}' (GroupNormalization): the {channels} channels of input shape "
                             f"{tuple(input_shape)} cannot be split into {self.groups} equal groups")
        self._add_gamma_and_beta((channels,), self.scale, self.center)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        ndim = inputs.ndim
        axis = normalize_axes(self.axis, ndim)[0]
        # Moments per channel over the other non-batch axes, then averaged over each group: every
        # channel counts as many values, so this is the group's mean (and, centred, its variance),
        # and no reshape touches axes of unknown size.
        mean = self._group_average(self._per_channel_mean(inputs, axis), axis)
        centred = inputs - mean
        variance = self._group_average(self._per_channel_mean(ops.square(centred), axis), axis)
        normalized = centred * ops.rsqrt(variance + self.epsilon)
        gamma, beta = _along(self.gamma, [axis], ndim), _along(self.beta, [axis], ndim)
        if gamma is not None:
            normalized = normalized * gamma
        return normalized if beta is None else normalized + beta

    @staticmethod
    def _per_channel_mean(x, axis):
        others = tuple(a for a in range(1, x.ndim) if a != axis)
        return ops.mean(x, others, keepdims=True) if others else x

    def _group_average(self, per_channel, axis):
        """(b, 1, ..., c, ..., 1) values per channel -> each group's mean, repeated per channel."""
        shape = per_channel.shape
        grouped = ops.reshape(per_channel, shape[:axis] + (self.groups, shape[axis] // self.groups) + shape[axis + 1:])
        averaged = ops.mean(grouped, axis + 1, keepdims=True)
        return ops.reshape(ops.broadcast_to(averaged, grouped.shape, like=grouped), shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along `axis` (an int or a list of ints).

    Example:
        layer = layered.layers.UnitNormalization()
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs):
        # Squared norms below 1e-12 count as 1e-12, as Keras bounds them.
        return ops.normalize(inputs, self.axis, epsilon=1e-6)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Root-mean-square normalization: `x / sqrt(mean(x^2 over axis) + epsilon) * scale`,
    without centring; the weight `scale` (initialised to ones) has the sizes of `axis`.

    Example:
        layer = layered.layers.RMSNormalization(epsilon=1e-6)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon = float(epsilon)

    def _axes(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if not -len(input_shape) <= axis < len(input_shape):
                raise ShapeError(f"Layer '{self.name}' (RMSNormalization): axis {axis} is out of bounds for input "
                                 f"shape {tuple(input_shape)}")
        return sorted(axes)

    def build(self, input_shape):
        axes = self._axes(input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"Layer '{self.name}' (RMSNormalization) needs known sizes on axis {self.axis}, got "
                             f"input shape {tuple(input_shape)}")
        self.axis = axes  # Keras keeps the axes as a sorted list once built
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.built = True

    def call(self, inputs):
        axes = tuple(a % inputs.ndim for a in self._axes(inputs.shape))
        rms = ops.rsqrt(ops.mean(ops.square(inputs), axis=axes, keepdims=True) + self.epsilon)
        broadcast = tuple(inputs.shape[a] if a in axes else 1 for a in range(inputs.ndim))
        return inputs * rms * ops.reshape(self.scale, broadcast)

    def compute_output_shape(self, input_shape):
        self._axes(input_shape)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
