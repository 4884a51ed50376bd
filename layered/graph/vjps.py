"""VJP rules, one per differentiable primitive, written in primitives.

A rule takes the node and the cotangent `g` of its output and returns one cotangent per
input (None where no gradient flows). Rules may return cotangents of the broadcast
output shape: `autodiff.grad` reduces them to each input's shape in one place.
Because the rules build graph nodes, gradients of gradients work.
"""
import itertools
import math

from layered.graph import build as b
from layered.graph.core import Dim, is_float
from layered.graph.primitives import PRIMITIVES
from layered.graph.scan import scan_vjp


def _rule(name):
    def register(fn):
        PRIMITIVES[name].vjp = fn
        return fn
    return register


def _out(node):
    return node.outputs[0]


# ---------------------------------------------------------------- elementwise unary

@_rule("neg")
def _(node, g):
    return [b.neg(g)]


@_rule("exp")
def _(node, g):
    return [b.mul(g, _out(node))]


@_rule("log")
def _(node, g):
    return [b.div(g, node.inputs[0])]


@_rule("log1p")
def _(node, g):
    return [b.div(g, b.add(node.inputs[0], 1.0))]


@_rule("sqrt")
def _(node, g):
    return [b.div(g, b.mul(_out(node), 2.0))]


@_rule("rsqrt")
def _(node, g):
    x, y = node.inputs[0], _out(node)
    return [b.mul(g, b.mul(b.div(y, x), -0.5))]


@_rule("tanh")
def _(node, g):
    return [b.mul(g, b.sub(1.0, b.square(_out(node))))]


@_rule("logistic")
def _(node, g):
    y = _out(node)
    return [b.mul(g, b.mul(y, b.sub(1.0, y)))]


@_rule("abs")
def _(node, g):
    return [b.mul(g, b.sign(node.inputs[0]))]


@_rule("sign")
def _(node, g):
    return [None]  # piecewise constant: zero almost everywhere


@_rule("square")
def _(node, g):
    return [b.mul(g, b.mul(node.inputs[0], 2.0))]


@_rule("reciprocal")
def _(node, g):
    return [b.neg(b.mul(g, b.square(_out(node))))]


@_rule("erf")
def _(node, g):
    x = node.inputs[0]
    return [b.mul(g, b.mul(b.exp(b.neg(b.square(x))), 2.0 / math.sqrt(math.pi)))]


@_rule("sin")
def _(node, g):
    return [b.mul(g, b.cos(node.inputs[0]))]


@_rule("cos")
def _(node, g):
    return [b.neg(b.mul(g, b.sin(node.inputs[0])))]


@_rule("floor")
def _(node, g):
    return [None]  # piecewise constant: zero almost everywhere (as Keras and JAX define it)


# ---------------------------------------------------------------- elementwise binary

@_rule("add")
def _(node, g):
    return [g, g]


@_rule("sub")
def _(node, g):
    return [g, b.neg(g)]


@_rule("mul")
def _(node, g):
    x, y = node.inputs
    return [b.mul(g, y), b.mul(g, x)]


@_rule("div")
def _(node, g):
    x, y = node.inputs
    gx = b.div(g, y)
    return [gx, b.neg(b.mul(gx, _out(node)))]


@_rule("pow")
def _(node, g):
    x, y = node.inputs
    gx = b.mul(g, b.mul(y, b.pow(x, b.sub(y, 1.0))))
    # d/dy x**y = x**y log x; defined as 0 at x == 0, where the limit is 0 for y > 0.
    safe_x = b.where(b.equal(x, 0.0), b.ones_like(x), x)
    gy = b.where(b.equal(x, 0.0), b.zeros_like(g), b.mul(g, b.mul(_out(node), b.log(safe_x))))
    return [gx, gy]


@_rule("atan2")
def _(node, g):
    y, x = node.inputs
    scale = b.div(g, b.add(b.square(x), b.square(y)))
    return [b.mul(scale, x), b.neg(b.mul(scale, y))]


def _choose_vjp(pick_first):
    # The gradient goes to the operand that was chosen; ties go to the second, so
    # relu = maximum(x, 0) has slope 0 at 0, as in Keras.
    def rule(node, g):
        x, y = node.inputs
        first = pick_first(x, y)
        zero = b.zeros_like(g)
        return [b.where(first, g, zero), b.where(first, zero, g)]
    return rule


PRIMITIVES["maximum"].vjp = _choose_vjp(b.greater)
PRIMITIVES["minimum"].vjp = _choose_vjp(b.less)


@_rule("where")
def _(node, g):
    cond = node.inputs[0]
    zero = b.zeros_like(g)
    return [None, b.where(cond, g, zero), b.where(cond, zero, g)]


# ---------------------------------------------------------------- reductions

def _expand_reduced(node, g):
    """Bring a reduction's cotangent back to the input's rank with size-1 reduced axes."""
    x = node.inputs[0]
    if node.attrs["keepdims"]:
        return g
    shape = tuple(1 if i in node.attrs["axes"] else d for i, d in enumerate(x.shape))
    return b.reshape(g, shape, like=None if shape.count(None) <= 1 else b.reduce_sum(x, node.attrs["axes"], True))


@_rule("reduce_sum")
def _(node, g):
    x = node.inputs[0]
    return [b.broadcast_to(_expand_reduced(node, g), x.shape, like=x)]


def _chooser_vjp(node, g):
    # The gradient is shared equally among the elements that attain the extremum.
    x = node.inputs[0]
    axes = node.attrs["axes"]
    picked = b.equal(x, b.broadcast_to(_expand_reduced(node, _out(node)), x.shape, like=x))
    count = b.reduce_sum(b.where(picked, b.ones_like(x), b.zeros_like(x)), axes, keepdims=True)
    share = b.broadcast_to(b.div(_expand_reduced(node, g), count), x.shape, like=x)
    return [b.where(picked, share, b.zeros_like(x))]


PRIMITIVES["reduce_max"].vjp = _chooser_vjp
PRIMITIVES["reduce_min"].vjp = _chooser_vjp


# ---------------------------------------------------------------- structure

@_rule("reshape")
def _(node, g):
    x = node.inputs[0]
    return [b.reshape(g, x.shape, like=x if None in x.shape else None), None]


@_rule("transpose")
def _(node, g):
    perm = node.attrs["perm"]
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return [b.transpose(g, inverse)]


@_rule("broadcast_to")
def _(node, g):
    return [g, None]  # autodiff sums the broadcast axes away


@_rule("slice")
def _(node, g):
    x = node.inputs[0]
    low, high, interior = [], [], []
    for d, start, stop, step in zip(x.shape, node.attrs["starts"], node.attrs["stops"], node.attrs["steps"]):
        if d is None:
            low.append(0), high.append(0), interior.append(0)
            continue
        n = len(range(start, min(stop, d), step))
        last = start + (n - 1) * step if n else start
        low.append(start), high.append(d - last - 1 if n else d - start), interior.append(step - 1)
    return [b.pad(g, low, high, interior)]


@_rule("concatenate")
def _(node, g):
    axis = node.attrs["axis"]
    grads, offset = [], 0
    for x in node.inputs:
        size = x.shape[axis]
        if size is None:
            raise ValueError(f"gradient of concatenate along axis {axis} needs its size; got {x.shape}")
        starts = [0] * x.ndim
        stops = list(g.shape)
        starts[axis], stops[axis] = offset, offset + size
        grads.append(b.slice(g, starts, stops))
        offset += size
    return grads


@_rule("pad")
def _(node, g):
    x = node.inputs[0]
    low, interior = node.attrs["low"], node.attrs["interior"]
    stops = [None if d is None else lo + d + (d - 1) * it for d, lo, it in zip(x.shape, low, interior)]
    starts = [0 if d is None else lo for d, lo in zip(x.shape, low)]
    steps = [1 if d is None else it + 1 for d, it in zip(x.shape, interior)]
    g = b.slice(g, starts, stops, steps)
    # An axis of unknown size cannot be sliced by position: gather x's elements from it instead.
    for axis, (d, lo, hi, it) in enumerate(zip(x.shape, low, node.attrs["high"], interior)):
        if d is None and (lo, hi, it) != (0, 0, 0):
            g = b.take(g, _run_time_positions(x, axis, lo, it + 1), axis)
    return [g]


def _run_time_positions(x, axis, start, step):
    """int32 [start, start + step, ...], one per element of `x` along `axis` (size known at run time)."""
    count = b.ones_like(b.dims_reference([(0, Dim(x, axis))], 1))
    index = b.cast(b.cumsum(b.cast(count, "float32"), axis=0), "int32")  # 1, 2, ..., n
    return (index - 1) * step + start


@_rule("take")
def _(node, g):
    x, indices = node.inputs
    return [b.scatter_add(b.zeros_like(x), indices, g, node.attrs["axis"]), None]


@_rule("scatter_add")
def _(node, g):
    _, indices, _ = node.inputs
    return [g, None, b.take(g, indices, node.attrs["axis"])]


@_rule("matmul")
def _(node, g):
    a, m = node.inputs
    return [b.matmul(g, b.swap_last_axes(m)), b.matmul(b.swap_last_axes(a), g)]


@_rule("cumsum")
def _(node, g):
    return [b.cumsum(g, node.attrs["axis"], not node.attrs["reverse"])]


@_rule("cast")
def _(node, g):
    x = node.inputs[0]
    return [b.cast(g, x.dtype) if is_float(x.dtype) else None]


@_rule("stop_gradient")
def _(node, g):
    return [None]


# ---------------------------------------------------------------- convolution and pooling
# conv is bilinear in (x, w); conv_backprop_input and conv_backprop_filter are its two
# adjoints, so all three VJPs are written with these three primitives:
#   <conv(x, w), g> = <x, backprop_input(g, w)> = <w, backprop_filter(x, g)>.

def _conv_attrs(node):
    return {k: node.attrs[k] for k in ("strides", "padding", "rhs_dilation", "feature_group_count")}


def _like(x):
    """`x` as the shape reference of a backprop when its spatial sizes are unknown."""
    return x if None in x.shape[1:] else None


@_rule("conv")
def _(node, g):
    x, w = node.inputs
    attrs = _conv_attrs(node)
    return [b.conv_backprop_input(g, w, x.shape, like=_like(x), **attrs),
            b.conv_backprop_filter(x, g, w.shape[:-2], **attrs)]


@_rule("conv_backprop_input")
def _(node, h):
    g, w = node.inputs[:2]
    attrs = _conv_attrs(node)
    return [b.conv(h, w, **attrs), b.conv_backprop_filter(h, g, w.shape[:-2], **attrs), None]


@_rule("conv_backprop_filter")
def _(node, h):
    x, g = node.inputs
    attrs = _conv_attrs(node)
    return [b.conv_backprop_input(g, h, x.shape, like=_like(x), **attrs), b.conv(x, h, **attrs)]


def _pool_attrs(node):
    return {k: node.attrs[k] for k in ("window", "strides", "padding")}


@_rule("max_pool")
def _(node, g):
    x = node.inputs[0]
    return [b.max_pool_backprop(x, _out(node), g, **_pool_attrs(node))]


@_rule("max_pool_backprop")
def _(node, h):
    # Linear in g (the routing is piecewise constant in x): each window reads h back at the
    # element its cotangent was routed to.
    x, y, _ = node.inputs
    return [None, None, _read_at_max(x, y, h, **_pool_attrs(node))]


def _read_at_max(x, y, h, window, strides, padding):
    """For each pooling window, `h` at the window's first element equal to the max `y`."""
    if None in y.shape[1:]:
        raise ValueError(f"the second derivative of max_pool needs known spatial sizes, got {y.shape}")
    low = (0,) + tuple(lo for lo, _ in padding) + (0,)
    high = (0,) + tuple(hi for _, hi in padding) + (0,)
    padded = any(low) or any(high)
    xp, hp = (b.pad(x, low, high), b.pad(h, low, high)) if padded else (x, h)
    real = b.pad(b.ones_like(x, "bool"), low, high) if padded else None  # padding is never the max
    channels = x.shape[-1]
    taken = total = None
    for offset in itertools.product(*(range(k) for k in window)):
        starts = (0,) + offset + (0,)
        stops = (None,) + tuple(o + s * (m - 1) + 1 for o, s, m in zip(offset, strides, y.shape[1:-1])) + (channels,)
        steps = (1,) + tuple(strides) + (1,)
        hit = b.equal(b.slice(xp, starts, stops, steps), y)
        if real is not None:
            hit = b.logical_and(hit, b.slice(real, starts, stops, steps))
        if taken is not None:
            hit = b.logical_and(hit, b.logical_not(taken))
        taken = hit if taken is None else b.logical_or(taken, hit)
        term = b.where(hit, b.slice(hp, starts, stops, steps), 0.0)
        total = term if total is None else b.add(total, term)
    return total


@_rule("avg_pool")
def _(node, g):
    x = node.inputs[0]
    return [b.avg_pool_backprop(g, x.shape, like=_like(x), **_pool_attrs(node))]


@_rule("avg_pool_backprop")
def _(node, h):
    return [b.avg_pool(h, **_pool_attrs(node)), None]


# ---------------------------------------------------------------- loops

PRIMITIVES["scan"].vjp = scan_vjp  # a reverse scan over the body's VJP (scan.py)
