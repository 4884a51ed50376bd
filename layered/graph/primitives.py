"""The primitive table: every operation a backend must implement.

Each primitive has a shape/dtype rule (run when the graph is built and again when a
backend specialises it to concrete shapes), says whether it is differentiable and
which inputs carry gradients, and gets its VJP rule in `vjps.py`. The thin wrappers
below (`add`, `matmul`, ...) are how the rest of layered builds nodes.
"""
from dataclasses import dataclass, field
import numbers
from typing import Callable

import numpy as np

from layered.graph.core import Node, ShapeError, current_scope


@dataclass(eq=False)
class Primitive:
    name: str
    shape_rule: Callable  # (*input avals, **attrs) -> (shape, dtype)
    differentiable: bool = True
    diff_inputs: tuple = None  # positions that carry gradients; None means all
    vjp: Callable = field(default=None, repr=False)  # set in vjps.py
    # A primitive with several outputs (scan): its shape rule returns a list of (shape, dtype),
    # `bind` returns the tuple of output tensors, its kernel a list of arrays and its VJP rule
    # gets one cotangent per output (None where none flows).
    multiple_results: bool = False

    def __repr__(self):
        return f"<Primitive {self.name}>"


PRIMITIVES = {}


def _register(name, shape_rule, **kwargs):
    prim = Primitive(name, shape_rule, **kwargs)
    PRIMITIVES[name] = prim
    return prim


def bind(prim, inputs, scope=None, **attrs):
    """Add a node applying `prim` to `inputs`; returns its output tensor (the tuple of them
    for a primitive with `multiple_results`)."""
    scope = current_scope() if scope is None else scope
    try:
        aval = prim.shape_rule(*inputs, **attrs)
    except ShapeError as err:
        where = f"in '{scope}': " if scope else ""
        raise ShapeError(f"{where}{prim.name}: {err}") from None
    if prim.multiple_results:
        return Node(prim, inputs, attrs, aval, scope).outputs
    return Node(prim, inputs, attrs, [aval], scope).outputs[0]


# ---------------------------------------------------------------- shape helpers

def broadcast_shapes(*shapes):
    """NumPy broadcasting over shapes that may hold None (unknown) dimensions."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    result = []
    for dims in zip(*padded):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ShapeError(f"shapes {' and '.join(str(tuple(s)) for s in shapes)} do not broadcast")
        if known:
            result.append(known.pop())
        elif None in dims:
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def _same_dtype(*tensors):
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        raise ShapeError(f"dtypes {' and '.join(t.dtype for t in tensors)} differ; cast one first")
    return dtypes.pop()


def normalize_axes(axes, ndim):
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, numbers.Integral):
        axes = (axes,)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ShapeError(f"axis {a} is out of range for rank {ndim}")
        out.append(a % ndim)
    return tuple(sorted(set(out)))


def _fill_unknown(shape, like):
    """Replace None in a target shape by the matching dimension of `like`."""
    if like is None:
        return tuple(shape)
    if len(like.shape) != len(shape):
        raise ShapeError(f"target shape {tuple(shape)} and reference shape {like.shape} differ in rank")
    return tuple(l if s is None else s for s, l in zip(shape, like.shape))


# ---------------------------------------------------------------- shape rules

def _unary_rule(x):
    return x.shape, x.dtype


def _binary_rule(x, y):
    return broadcast_shapes(x.shape, y.shape), _same_dtype(x, y)


def _compare_rule(x, y):
    _same_dtype(x, y)
    return broadcast_shapes(x.shape, y.shape), "bool"


def _logical_rule(*xs):
    return broadcast_shapes(*(x.shape for x in xs)), "bool"


def _where_rule(cond, x, y):
    if cond.dtype != "bool":
        raise ShapeError(f"condition must be bool, got {cond.dtype}")
    return broadcast_shapes(cond.shape, x.shape, y.shape), _same_dtype(x, y)


def _reduce_rule(x, axes, keepdims):
    if keepdims:
        shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    else:
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return shape, x.dtype


def _arg_reduce_rule(x, axis):
    return tuple(d for i, d in enumerate(x.shape) if i != axis), "int32"


def _reshape_rule(x, like=None, *, shape):
    shape = _fill_unknown(shape, like)
    if shape.count(-1) > 1:
        raise ShapeError(f"at most one -1 allowed in {shape}")
    known_in = None not in x.shape
    size_in = int(np.prod(x.shape)) if known_in else None
    if -1 in shape:
        rest = [d for d in shape if d != -1]
        if known_in and None not in rest:
            rest_size = int(np.prod(rest))
            if rest_size == 0 or size_in % rest_size:
                raise ShapeError(f"cannot reshape {x.shape} into {shape}")
            shape = tuple(size_in // rest_size if d == -1 else d for d in shape)
        else:
            shape = tuple(None if d == -1 else d for d in shape)
    if known_in and None not in shape and int(np.prod(shape)) != size_in:
        raise ShapeError(f"cannot reshape {x.shape} into {shape}")
    return shape, x.dtype


def _transpose_rule(x, perm):
    if sorted(perm) != list(range(x.ndim)):
        raise ShapeError(f"{perm} is not a permutation of the axes of shape {x.shape}")
    return tuple(x.shape[p] for p in perm), x.dtype


def _broadcast_to_rule(x, like=None, *, shape):
    shape = _fill_unknown(shape, like)
    if len(shape) < x.ndim:
        raise ShapeError(f"cannot broadcast {x.shape} to the lower rank {shape}")
    for have, want in zip(x.shape[::-1], shape[::-1]):
        if have not in (1, None) and want is not None and have != want:
            raise ShapeError(f"cannot broadcast {x.shape} to {shape}")
    return shape, x.dtype


def _slice_rule(x, starts, stops, steps):
    shape = []
    for d, start, stop, step in zip(x.shape, starts, stops, steps):
        if d is None:
            shape.append(None)  # only full slices are allowed on unknown dimensions
        else:
            shape.append(len(range(start, d if stop is None else min(stop, d), step)))
    return tuple(shape), x.dtype


def _concatenate_rule(*xs, axis):
    dtype = _same_dtype(*xs)
    first = xs[0].shape
    for x in xs[1:]:
        if len(x.shape) != len(first) or any(
                a != b and None not in (a, b) for i, (a, b) in enumerate(zip(first, x.shape)) if i != axis):
            raise ShapeError(f"cannot concatenate shapes {first} and {x.shape} along axis {axis}")
    sizes = [x.shape[axis] for x in xs]
    total = None if None in sizes else sum(sizes)
    shape = tuple(total if i == axis else next((x.shape[i] for x in xs if x.shape[i] is not None), None)
                  for i in range(len(first)))
    return shape, dtype


def _pad_rule(x, low, high, interior):
    shape = tuple(None if d is None else lo + hi + d + max(d - 1, 0) * it
                  for d, lo, hi, it in zip(x.shape, low, high, interior))
    return shape, x.dtype


def _take_rule(x, indices, axis):
    if indices.dtype not in ("int32", "int64", "uint8", "int16", "uint32"):
        raise ShapeError(f"indices must be integers, got {indices.dtype}")
    return x.shape[:axis] + indices.shape + x.shape[axis + 1:], x.dtype


def _scatter_add_rule(operand, indices, updates, axis):
    expected = operand.shape[:axis] + indices.shape + operand.shape[axis + 1:]
    broadcast_shapes(expected, updates.shape)
    return operand.shape, _same_dtype(operand, updates)


def _one_hot_rule(indices, depth, dtype):
    return indices.shape + (depth,), dtype


def _matmul_rule(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ShapeError(f"matmul needs rank >= 2 operands, got {a.shape} and {b.shape}")
    n, k1 = a.shape[-2:]
    k2, m = b.shape[-2:]
    if k1 is not None and k2 is not None and k1 != k2:
        raise ShapeError(f"contracting dimensions differ: {a.shape} @ {b.shape}")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return batch + (n, m), _same_dtype(a, b)


def _cumsum_rule(x, axis, reverse):
    if not 0 <= axis < max(x.ndim, 1):
        raise ShapeError(f"axis {axis} is out of range for shape {x.shape}")
    return x.shape, x.dtype


def _argsort_rule(x, axis):
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"axis {axis} is out of range for shape {x.shape}")
    return x.shape, "int32"


def _cast_rule(x, dtype):
    return x.shape, dtype


def _random_rule(seed, like=None, *, shape, dtype, salt):
    return _fill_unknown(shape, like), dtype


# ---------------------------------------------------------------- the table

# sin, cos and floor serve the learning-rate schedules (cosine decay, staircases); none of
# them can be composed from the other primitives.
UNARY = ("neg", "exp", "log", "log1p", "sqrt", "rsqrt", "tanh", "logistic", "abs",
         "sign", "square", "reciprocal", "erf", "sin", "cos", "floor")
# atan2 gives arctan, arcsin and arccos, which no composition of the others reaches.
BINARY = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2")
COMPARE = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")

for _name in UNARY:
    _register(_name, _unary_rule)
for _name in BINARY:
    _register(_name, _binary_rule)
for _name in COMPARE:
    _register(_name, _compare_rule, differentiable=False)
_register("logical_and", _logical_rule, differentiable=False)
_register("logical_or", _logical_rule, differentiable=False)
_register("logical_not", _logical_rule, differentiable=False)
_register("where", _where_rule, diff_inputs=(1, 2))
for _name in ("reduce_sum", "reduce_max", "reduce_min"):
    _register(_name, _reduce_rule)
_register("argmax", _arg_reduce_rule, differentiable=False)
_register("argmin", _arg_reduce_rule, differentiable=False)
_register("reshape", _reshape_rule, diff_inputs=(0,))
_register("transpose", _transpose_rule)
_register("broadcast_to", _broadcast_to_rule, diff_inputs=(0,))
_register("slice", _slice_rule)
_register("concatenate", _concatenate_rule)
_register("pad", _pad_rule)
_register("take", _take_rule, diff_inputs=(0,))
_register("scatter_add", _scatter_add_rule, diff_inputs=(0, 2))
_register("one_hot", _one_hot_rule, differentiable=False)
_register("matmul", _matmul_rule)
# cumsum is linear (its VJP is the reverse cumsum) and O(n) where a triangular matmul is
# O(n^2) and needs a known length; argsort (stable, ascending) gives sort, top_k and
# take_along_axis-based selections, which no composition does in O(n log n).
_register("cumsum", _cumsum_rule)
_register("argsort", _argsort_rule, differentiable=False)
_register("cast", _cast_rule)
_register("stop_gradient", _unary_rule, diff_inputs=())
_register("random_uniform", _random_rule, differentiable=False)
_register("random_normal", _random_rule, differentiable=False)

# Convolution and pooling (shape rules in windows.py). The backprops are primitives of their
# own: im2col/col2im kernels are far faster than any composition, and their VJPs close over
# the same few primitives, so second derivatives work.
from layered.graph import windows as _windows  # noqa: E402

_register("conv", _windows.conv_rule)
_register("conv_backprop_input", _windows.conv_backprop_input_rule, diff_inputs=(0, 1))
_register("conv_backprop_filter", _windows.conv_backprop_filter_rule)
_register("max_pool", _windows.pool_rule)
_register("max_pool_backprop", _windows.max_pool_backprop_rule, diff_inputs=(2,))
_register("avg_pool", _windows.pool_rule)
_register("avg_pool_backprop", _windows.avg_pool_backprop_rule, diff_inputs=(0,))

# scan runs a body subgraph once per step of its sequences: recurrent layers need a loop that
# neither unrolls into the graph nor leaves it; its rules live in scan.py.
from layered.graph.scan import scan_rule as _scan_rule  # noqa: E402
_register("scan", _scan_rule, multiple_results=True)

# Primitives whose `shape` attribute a backend replaces by the concrete output shape.
SHAPE_ATTR_PRIMITIVES = ("reshape", "broadcast_to", "random_uniform", "random_normal",
                         "conv_backprop_input", "avg_pool_backprop")
