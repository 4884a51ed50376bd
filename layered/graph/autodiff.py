"""Symbolic reverse-mode differentiation on the graph.

`grad(y, xs)` walks the nodes between `xs` and `y` in reverse topological order, asks
each primitive's VJP rule for its inputs' cotangents, and returns new graph tensors.
Broadcasting is undone here, in `unbroadcast`, and nowhere else.
"""
import contextlib

from layered.graph import build as b
from layered.graph import vjps  # noqa: F401  (registers the VJP rules)
from layered.graph.core import Tensor, is_float, name_scope
from layered.graph.graph import toposort


class NotDifferentiableError(TypeError):
    """A non-differentiable primitive lies on a path that a gradient must cross."""


def _diff_positions(node):
    prim = node.primitive
    if not prim.differentiable or prim.diff_inputs is None:
        return range(len(node.inputs))  # non-differentiable nodes keep their edges so we can name them
    return prim.diff_inputs


def _needed_nodes(ys, xs, nodes):
    """Nodes that lie on a differentiable path from some x to one of `ys`."""
    reaches_y = {y.id for y in ys}
    for node in reversed(nodes):
        if any(out.id in reaches_y for out in node.outputs):
            reaches_y.update(node.inputs[i].id for i in _diff_positions(node))
    from_x = {x.id for x in xs}
    needed = []
    for node in nodes:
        if any(node.inputs[i].id in from_x for i in _diff_positions(node)):
            from_x.update(out.id for out in node.outputs)
            if any(out.id in reaches_y for out in node.outputs):
                needed.append(node)
    return needed, from_x & reaches_y


def unbroadcast(g, x):
    """Sum `g` over the axes along which `x` was broadcast, giving it `x`'s shape."""
    if g.shape == x.shape:
        return g if g.dtype == x.dtype else b.cast(g, x.dtype)
    lead = g.ndim - x.ndim
    axes = list(range(lead))
    axes += [lead + i for i, d in enumerate(x.shape) if d == 1 and g.shape[lead + i] != 1]
    if axes:
        g = b.reduce_sum(g, axes, keepdims=False)
    if g.shape != x.shape:
        g = b.reshape(g, x.shape, like=x if None in x.shape else None)
    return g if g.dtype == x.dtype else b.cast(g, x.dtype)


def grad(y, xs, output_gradient=None):
    """Gradients of `y` with respect to each tensor in `xs`, as new graph tensors.

    `y` must be a scalar unless `output_gradient` (its cotangent) is given. A tensor of
    `xs` that does not influence `y` gets zeros.

    Example:
        x = layered.placeholder((3,))
        [dx] = layered.ops.grad(layered.ops.sum(x * x), [x])   # 2 * x
    """
    if output_gradient is None:
        if y.shape != ():
            raise ValueError(f"grad needs a scalar output or an output_gradient; got shape {y.shape}")
        output_gradient = b.ones_like(y)
    return vjp([y], xs, [output_gradient])


def vjp(ys, xs, cotangents):
    """The vector-Jacobian product of several outputs: the gradients with respect to `xs` of
    sum_i <ys[i], cotangents[i]>, as new graph tensors; a None cotangent means zero.

    Example (the VJP of a body with two outputs, as the scan rule builds it):
        dx, dw = vjp([new_h, y], [x, w], [g_h, g_y])
    """
    for x in xs:
        if not isinstance(x, Tensor):
            raise TypeError(f"grad: {x!r} is not a graph tensor")
        if not is_float(x.dtype):
            raise TypeError(f"grad: cannot differentiate with respect to {x!r} of dtype {x.dtype}")
    seeded = [(y, g) for y, g in zip(ys, cotangents) if g is not None]
    nodes = toposort([y for y, _ in seeded])
    needed, live = _needed_nodes([y for y, _ in seeded], xs, nodes)
    for node in needed:
        if not node.primitive.differentiable:
            where = f" in '{node.scope}'" if node.scope else ""
            raise NotDifferentiableError(
                f"primitive '{node.primitive.name}'{where} is not differentiable and lies between "
                f"the inputs and the output; wrap its input in stop_gradient or use where() for masks")

    cotangents = {}
    for y, g in seeded:
        cotangents.setdefault(y.id, []).append(g)
    for node in reversed(needed):
        contributions = [cotangents.pop(out.id, None) for out in node.outputs]
        if not any(contributions):
            continue
        # Gradient nodes sit under the forward node's scope, inside whatever scope `grad` runs
        # in ("gradients/dense/..."), so a graph viewer groups them per layer.
        with name_scope(node.scope) if node.scope else contextlib.nullcontext():
            gs = [_sum(c) if c else None for c in contributions]
            input_grads = node.primitive.vjp(node, gs if node.primitive.multiple_results else gs[0])
            for i in _diff_positions(node):
                x, gx = node.inputs[i], input_grads[i]
                if gx is None or x.id not in live:
                    continue
                cotangents.setdefault(x.id, []).append(unbroadcast(gx, x))
    results = []
    for x in xs:
        contributions = cotangents.get(x.id)
        results.append(_sum(contributions) if contributions else b.zeros_like(x))
    return results


def _sum(terms):
    total = terms[0]
    for term in terms[1:]:
        total = b.add(total, term)
    return total
