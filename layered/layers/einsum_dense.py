"""EinsumDense: a dense layer whose contraction is an einsum equation.

The contraction is written with transposes, reshapes and one (broadcasting) matmul, so it
needs no einsum primitive: the input's free axes stay leading, its contracted axes are
merged into one, the kernel becomes a (contracted, produced) matrix, and the product is
split back into the produced axes and put in the output's order.
"""
import math
import re
import string

from layered import activations, constraints, initializers, ops, regularizers
from layered.graph import build
from layered.graph.core import ShapeError
from layered.models.layer import Layer


class EinsumDense(Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: 'ab,bc->ac' style, input spec first, the kernel's second; the input and
            output may start or end with '...' (the same axes in both).
        output_shape: the output's shape without the batch axis (an int for one axis);
            None for a size taken from the input.
        activation: applied last (default linear).
        bias_axes: output letters that get a bias (None: no bias).
    Example:
        layer = layered.layers.EinsumDense("abc,cde->abde", output_shape=(None, 8, 16), bias_axes="de")
        # (batch, steps, 64) -> (batch, steps, 8, 16), kernel (64, 8, 16), bias (8, 16)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, **kwargs):
        for unused in ("lora_alpha", "gptq_unpacked_column_size", "quantization_config", "activity_regularizer"):
            if kwargs.pop(unused, None) is not None:
                raise NotImplementedError(f"EinsumDense: {unused} is not supported")
        super().__init__(**kwargs)
        if lora_rank is not None:
            raise NotImplementedError(f"EinsumDense layer '{self.name}': lora_rank is not supported")
        self.equation = equation
        self._specs = _parse(equation, self.name)
        self.output_shape_arg = (output_shape,) if isinstance(output_shape, int) or output_shape is None \
            else tuple(output_shape)
        self.bias_axes = bias_axes
        if bias_axes is not None:
            missing = [c for c in bias_axes if c not in self._specs[0][2]]
            if missing:
                raise ValueError(f"EinsumDense layer '{self.name}': bias axes {''.join(missing)!r} are not in the "
                                 f"output spec of {equation!r}")
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer, self.bias_regularizer = regularizers.get(kernel_regularizer), regularizers.get(
            bias_regularizer)
        self.kernel_constraint, self.bias_constraint = constraints.get(kernel_constraint), constraints.get(
            bias_constraint)

    # ------------------------------------------------------------ geometry

    def _geometry(self, input_shape):
        """(input letters, kernel letters, output letters, {letter: size}) with the '...'
        replaced by letters of their own."""
        (x_spec, w_spec, y_spec), ellipsis = self._specs
        elided = len(input_shape) - len(x_spec)
        if elided < 0 or (elided > 0 and ellipsis is None) or (ellipsis is None and elided != 0):
            raise ShapeError(f"EinsumDense layer '{self.name}': input shape {tuple(input_shape)} does not fit the "
                             f"equation {self.equation!r}")
        filler = "".join(c for c in string.ascii_uppercase if c not in self.equation)[:elided]
        if ellipsis == "left":
            x_spec, y_spec = filler + x_spec, filler + y_spec
        elif ellipsis == "right":
            x_spec, y_spec = x_spec + filler, y_spec + filler
        sizes = dict(zip(x_spec, input_shape))
        given = self._given_output(y_spec, filler, ellipsis, input_shape)
        for letter, size in zip(y_spec, given):
            if letter in sizes:
                if size is not None and sizes[letter] is not None and size != sizes[letter]:
                    raise ShapeError(f"EinsumDense layer '{self.name}': output axis '{letter}' has size {size} in "
                                     f"output_shape but {sizes[letter]} in the input shape {tuple(input_shape)}")
            elif letter in w_spec:
                if size is None:
                    raise ValueError(f"EinsumDense layer '{self.name}': output axis '{letter}' needs a size in "
                                     f"output_shape {self.output_shape_arg}")
                sizes[letter] = size
            else:
                raise ValueError(f"EinsumDense layer '{self.name}': output axis '{letter}' of {self.equation!r} is "
                                 "in neither the input nor the kernel spec")
        for letter in w_spec:
            if letter not in sizes:
                raise ValueError(f"EinsumDense layer '{self.name}': kernel axis '{letter}' of {self.equation!r} is "
                                 "in neither the input nor the output spec")
        return x_spec, w_spec, y_spec, sizes

    def _given_output(self, y_spec, filler, ellipsis, input_shape):
        """The output sizes output_shape names, lined up with `y_spec` (None where unnamed)."""
        given = list(self.output_shape_arg)
        if ellipsis == "left":
            # output_shape covers the output's own letters after the elided axes.
            own = len(y_spec) - len(filler)
            return [None] * len(filler) + ([None] * own + given)[len(given):] if own else [None] * len(filler)
        named = len(y_spec) - 1 - (len(filler) if ellipsis == "right" else 0)
        if len(given) != named:
            raise ValueError(f"EinsumDense layer '{self.name}': output_shape {self.output_shape_arg} must have "
                             f"{named} entries (the output axes after the batch) for {self.equation!r}")
        return [None] + given + [None] * (len(y_spec) - 1 - named)

    def build(self, input_shape):
        x_spec, w_spec, y_spec, sizes = self._geometry(input_shape)
        kernel_shape = tuple(sizes[c] for c in w_spec)
        if None in kernel_shape:
            raise ValueError(f"EinsumDense layer '{self.name}': the kernel axes need known sizes, got kernel shape "
                             f"{kernel_shape} from input shape {tuple(input_shape)}")
        self.kernel = self.add_weight(shape=kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.bias = None
        if self.bias_axes:
            first = min(y_spec.index(c) for c in self.bias_axes)
            bias_shape = tuple(sizes[c] if c in self.bias_axes else 1 for c in y_spec[first:])
            self.bias = self.add_weight(shape=bias_shape, initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")
        self.built = True

    def compute_output_shape(self, input_shape):
        _, _, y_spec, sizes = self._geometry(input_shape)
        return tuple(sizes[c] for c in y_spec)

    # ------------------------------------------------------------ the contraction

    def call(self, inputs):
        x_spec, w_spec, y_spec, sizes = self._geometry(inputs.shape)
        x, w = inputs, self.kernel
        # Letters only one operand has and the output lacks are summed away first.
        x, x_spec = _sum_out(x, x_spec, set(w_spec) | set(y_spec))
        w, w_spec = _sum_out(w, w_spec, set(x_spec) | set(y_spec))
        shared = [c for c in x_spec if c in w_spec and c in y_spec]
        contracted = [c for c in x_spec if c in w_spec and c not in y_spec]
        free_x = [c for c in x_spec if c not in w_spec]
        free_w = [c for c in w_spec if c not in x_spec]
        if not free_x:
            raise ValueError(f"EinsumDense layer '{self.name}': {self.equation!r} leaves no input axis in the output")
        k = math.prod(sizes[c] for c in contracted)
        n = math.prod(sizes[c] for c in free_w)
        # x: (shared..., free_x..., k); the unknown sizes (the batch) stay in place.
        order = shared + free_x + contracted
        x = ops.transpose(x, [x_spec.index(c) for c in order])
        x = _reshape(x, tuple(sizes[c] for c in shared + free_x) + (k,))
        # kernel: (shared..., 1 per free_x axis..., k, n), so the matmul broadcasts over free_x.
        w = ops.transpose(w, [w_spec.index(c) for c in shared + contracted + free_w])
        w = build.reshape(w, tuple(sizes[c] for c in shared) + (1,) * (len(free_x) - 1) + (k, n))
        y = ops.matmul(x, w)
        y = _reshape(y, tuple(sizes[c] for c in shared + free_x + free_w))
        have = shared + free_x + free_w
        y = ops.transpose(y, [have.index(c) for c in y_spec])
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def get_config(self):
        return {**super().get_config(), "output_shape": self.output_shape_arg, "equation": self.equation,
                "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint), "activity_regularizer": None,
                "quantization_config": None}


def _parse(equation, name):
    """((input, kernel, output) letters without '...', where '...' stood: 'left', 'right' or None)."""
    patterns = ((r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", None),
                (r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)", "left"),
                (r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.", "right"))
    for pattern, ellipsis in patterns:
        match = re.fullmatch(pattern, str(equation).replace(" ", ""))
        if match:
            return match.groups(), ellipsis
    raise ValueError(f"EinsumDense layer '{name}': invalid equation {equation!r}; it must look like 'ab,bc->ac', "
                     "'...b,bc->...c' or 'ab...,bc->ac...'")


def _sum_out(x, spec, keep):
    axes = tuple(i for i, c in enumerate(spec) if c not in keep)
    if not axes:
        return x, spec
    return ops.sum(x, axis=axes), "".join(c for c in spec if c in keep)


def _reshape(x, shape):
    """Reshape where several sizes may be unknown: they sit at the same leading positions in
    `x` and in `shape`, so a tensor of the target rank built from `x` supplies them."""
    if shape.count(None) <= 1:
        return build.reshape(x, tuple(-1 if d is None else d for d in shape))
    like = build.stop_gradient(x)
    while like.ndim < len(shape):
        like = ops.expand_dims(like, -1)
    while like.ndim > len(shape):
        like = ops.sum(like, axis=-1)
    return build.reshape(x, shape, like=like)
