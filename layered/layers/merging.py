"""Merging layers: combine a list of inputs into one (Add, Concatenate, Dot, ...)."""
import functools

from layered import ops
from layered.graph.core import ShapeError
from layered.graph.primitives import broadcast_shapes
from layered.models.layer import Layer


class Merge(Layer):
    """Base of the elementwise merges: checks the inputs and folds `combine` over them.

    Masks (Keras rules): the output is masked where any input is unmasked (a logical or), and
    only when every input carries a mask.
    """

    supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or \
                not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of at least "
                             f"2 inputs, got {input_shape}")
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        return functools.reduce(self.combine, inputs)

    def compute_mask(self, inputs, mask=None):
        if mask is None or any(m is None for m in mask):
            return None
        return functools.reduce(ops.logical_or, mask)

    def compute_output_shape(self, input_shape):
        try:
            return broadcast_shapes(*input_shape)
        except ShapeError:
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}) got inputs of incompatible shapes "
                             f"{' and '.join(map(str, input_shape))}") from None


class Add(Merge):
    """Sums its inputs elementwise. Example: `layered.layers.Add()([x1, x2])`."""
    combine = staticmethod(ops.add)


class Subtract(Merge):
    """Subtracts the second input from the first."""
    combine = staticmethod(ops.subtract)

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' (Subtract) takes exactly 2 inputs, got {len(input_shape)}")


class Multiply(Merge):
    """Multiplies its inputs elementwise; a masked step of one input counts as 1."""
    combine = staticmethod(ops.multiply)

    def call(self, inputs, mask=None):
        masks = mask or [None] * len(inputs)
        inputs = [x if m is None else ops.where(ops.expand_dims(m, -1), x, 1.0) for x, m in zip(inputs, masks)]
        return functools.reduce(self.combine, inputs)


class _MaskedExtremum(Merge):
    """Maximum and Minimum: a masked step of one input takes the other input's value there."""

    def call(self, inputs, mask=None):
        masks = mask or [None] * len(inputs)
        output, output_mask = inputs[0], _steps(masks[0])
        for x, m in zip(inputs[1:], masks[1:]):
            m = _steps(m)
            if m is not None:
                x = ops.where(m, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            output_mask = None if m is None or output_mask is None else ops.logical_or(output_mask, m)
            output = self.combine(output, x)
        return output


def _steps(mask):
    """A (batch, steps) mask as (batch, steps, 1), to select whole feature vectors."""
    return None if mask is None else ops.expand_dims(mask, -1)


class Maximum(_MaskedExtremum):
    """The elementwise maximum of its inputs."""
    combine = staticmethod(ops.maximum)


class Minimum(_MaskedExtremum):
    """The elementwise minimum of its inputs."""
    combine = staticmethod(ops.minimum)


class Average(Merge):
    """The elementwise mean of its inputs."""

    def call(self, inputs):
        return functools.reduce(ops.add, inputs) * (1.0 / len(inputs))


class Concatenate(Layer):
    """Joins its inputs along `axis` (default the last one). Masked inputs give a mask that
    is True where any input's step is (an input without a mask counts as unmasked).

    Example:
        merged = layered.layers.Concatenate()([a, b])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 1 or \
                not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' (Concatenate) must be called on a list of inputs, "
                             f"got {input_shape}")
        self.compute_output_shape(input_shape)
        self.built = True

    supports_masking = True

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """As Keras: each input's mask spread over its features (all True where an input has
        none), concatenated along `axis`, then reduced with `any` over the last axis."""
        if mask is None or all(m is None for m in mask):
            return None
        spread = []
        for x, m in zip(inputs, mask):
            if m is None:
                spread.append(ops.ones_like(x, dtype="bool"))
            elif m.ndim < x.ndim:
                spread.append(ops.broadcast_to(ops.expand_dims(m, -1), x.shape, like=x))
            else:
                spread.append(m)
        # A mask is data: no gradient runs through it (nor through the `like` tensors above).
        return ops.stop_gradient(ops.any(ops.concatenate(spread, axis=self.axis), axis=-1))

    def compute_output_shape(self, input_shape):
        ranks = {len(s) for s in input_shape}
        axis = self.axis % next(iter(ranks)) if len(ranks) == 1 else None
        mismatch = axis is None or any(
            len({s[i] for s in input_shape if s[i] is not None}) > 1
            for i in range(len(input_shape[0])) if i != axis)
        if mismatch:
            raise ShapeError(f"Layer '{self.name}' (Concatenate) needs inputs that match except on axis "
                             f"{self.axis}, got {' and '.join(map(str, input_shape))}")
        sizes = [s[axis] for s in input_shape]
        out = list(next((s for s in input_shape if None not in s), input_shape[0]))
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """`Add()(inputs)`: the elementwise sum."""
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`Subtract()(inputs)`: the first of two inputs minus the second."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """`Multiply()(inputs)`: the elementwise product."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """`Average()(inputs)`: the elementwise mean."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """`Maximum()(inputs)`: the elementwise maximum."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """`Minimum()(inputs)`: the elementwise minimum."""
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """`Dot(axes, normalize)(inputs)`: the dot product of two inputs along `axes`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


class Dot(Layer):
    """The dot product of two samples along `axes`: an int (the same axis of both inputs) or a
    pair (one axis each); the batch axis is never contracted.

    (batch, n) . (batch, n) along 1 gives (batch, 1); (batch, t, d) . (batch, s, d) along 2
    gives (batch, t, s). With `normalize=True` both inputs are first scaled to unit L2 norm
    along their axes, so the result is their cosine similarity.

    Example:
        similarity = layered.layers.Dot(axes=1, normalize=True)([a, b])
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, int) else tuple(axes)
        if len(pair) != 2:
            raise ValueError(f"Dot axes must be an int or a pair of ints, got {axes!r}")
        self.axes = axes if isinstance(axes, int) else pair  # as given, as Keras saves it
        self._axis_pair = tuple(int(a) for a in pair)
        self.normalize = bool(normalize)

    def _checked_axes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
                not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' (Dot) must be called on a list of 2 inputs, got {input_shape}")
        axes = []
        for shape, axis in zip(input_shape, self._axis_pair):
            if len(shape) < 2 or not -len(shape) < axis < len(shape) or axis % len(shape) == 0:
                raise ShapeError(f"Layer '{self.name}' (Dot): axis {axis} is not a non-batch axis of input shape "
                                 f"{shape}")
            axes.append(axis % len(shape))
        (a, b), (i, j) = input_shape, axes
        if a[i] is not None and b[j] is not None and a[i] != b[j]:
            raise ShapeError(f"Layer '{self.name}' (Dot): dimension {i} of {a} and dimension {j} of {b} "
                             f"differ ({a[i]} != {b[j]})")
        if a[0] is not None and b[0] is not None and a[0] != b[0]:
            raise ShapeError(f"Layer '{self.name}' (Dot): batch sizes of {a} and {b} differ")
        return axes

    def build(self, input_shape):
        self._checked_axes(input_shape)
        self.built = True

    def call(self, inputs):
        x, y = inputs
        i, j = self._checked_axes([x.shape, y.shape])
        if self.normalize:
            x, y = ops.normalize(x, i), ops.normalize(y, j)
        # Bring the contracted axis of x last and that of y next to the batch, flatten the other
        # axes, and contract with one batched matmul: (b, m, k) @ (b, k, n).
        x_rest = [a for a in range(1, x.ndim) if a != i]
        y_rest = [a for a in range(1, y.ndim) if a != j]
        x = ops.reshape(ops.transpose(x, [0] + x_rest + [i]), (-1, _prod(x.shape, x_rest), x.shape[i]))
        y = ops.reshape(ops.transpose(y, [0, j] + y_rest), (-1, y.shape[j], _prod(y.shape, y_rest)))
        return ops.reshape(ops.matmul(x, y), self.compute_output_shape([inputs[0].shape, inputs[1].shape]))

    def compute_output_shape(self, input_shape):
        i, j = self._checked_axes(input_shape)
        a, b = input_shape
        shape = (a[0],) + tuple(d for k, d in enumerate(a) if k not in (0, i)) + tuple(
            d for k, d in enumerate(b) if k not in (0, j))
        return shape if len(shape) > 1 else shape + (1,)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _prod(shape, axes):
    sizes = [shape[a] for a in axes]
    if None in sizes:
        raise ShapeError(f"Dot needs known sizes on the axes it does not contract, got shape {shape}")
    return functools.reduce(lambda p, s: p * s, sizes, 1)
