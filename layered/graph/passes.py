"""Graph passes run before any backend sees a graph.

Each pass returns a new `Graph` over the same inputs; nodes of the old graph are never
modified (user code may still hold them). `optimize` runs them all.
"""
import numpy as np

from layered.graph.core import Constant
from layered.graph.graph import Graph, toposort
from layered.graph.primitives import bind
from layered.graph.scan import optimize_scans

# Folding these would freeze one random draw (or a shape-only reference) into the graph.
_NEVER_FOLD = ("random_uniform", "random_normal")
# A folded constant may be at most this many elements larger than its inputs, so that
# zeros_like(x) of a big shape stays a cheap broadcast instead of a large stored array.
_FOLD_GROWTH_LIMIT = 64


def _rebuild(node, inputs):
    """The node's output on new inputs (the tuple of outputs for a multiple-result node)."""
    if all(a is b for a, b in zip(inputs, node.inputs)):
        return node.outputs if node.primitive.multiple_results else node.outputs[0]
    return bind(node.primitive, inputs, scope=node.scope, **node.attrs)


def rewrite(graph, visit):
    """Rebuild `graph` in topological order; `visit(node, inputs)` may return a
    replacement for the node's output (a tuple of them for a multiple-result node), or None
    to keep the node (on the new inputs)."""
    mapping = {}
    for node in graph.nodes:
        inputs = [mapping.get(x.id, x) for x in node.inputs]
        new = visit(node, inputs)
        new = _rebuild(node, inputs) if new is None else new
        if node.primitive.multiple_results:
            mapping.update(zip((out.id for out in node.outputs), new))
        else:
            mapping[node.outputs[0].id] = new
    return Graph(graph.inputs, [mapping.get(t.id, t) for t in graph.outputs])


def eliminate_dead_code(graph):
    """Keep only the nodes the outputs depend on (what `Graph` derives from its outputs)."""
    return Graph(graph.inputs, graph.outputs)


# ---------------------------------------------------------------- algebraic no-ops

def _is_scalar_constant(t, value):
    return isinstance(t, Constant) and t.value.size <= 1 and bool(np.all(t.value == value))


def _same_aval(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def _simplify_node(node, inputs):
    name, out = node.primitive.name, node.outputs[0]
    if name in ("mul", "add", "sub", "div", "pow"):
        x, y = inputs
        neutral = {"mul": 1, "div": 1, "pow": 1, "add": 0, "sub": 0}[name]
        if _is_scalar_constant(y, neutral) and _same_aval(x, out):
            return x
        if name in ("mul", "add") and _is_scalar_constant(x, neutral) and _same_aval(y, out):
            return y
    if name in ("reshape", "broadcast_to", "cast", "stop_gradient") and _same_aval(inputs[0], out) \
            and None not in out.shape:
        return inputs[0]
    if name == "transpose" and node.attrs["perm"] == tuple(range(out.ndim)):
        return inputs[0]
    if name == "reshape" and inputs[0].node is not None and inputs[0].node.primitive.name == "reshape" \
            and len(inputs) == 1 and len(inputs[0].node.inputs) == 1:
        source = inputs[0].node.inputs[0]  # reshape of a reshape: one reshape, or none
        if _same_aval(source, out) and None not in out.shape:
            return source
        return bind(node.primitive, [source], scope=node.scope, **node.attrs)
    return None


def simplify(graph):
    """Remove algebraic no-ops: x*1, x+0, x-0, x/1, x**1, identity reshapes/casts/transposes."""
    return rewrite(graph, _simplify_node)


# ---------------------------------------------------------------- common subexpressions

def _constant_key(c):
    if c.value.size > 16:
        return ("constant-id", c.id)
    return ("constant", c.dtype, c.shape, c.value.tobytes())


def eliminate_common_subexpressions(graph):
    """Merge nodes that apply the same primitive with the same attributes to the same inputs,
    and small constants of equal value."""
    seen, constants = {}, {}

    def canonical(t):
        if isinstance(t, Constant):
            return constants.setdefault(_constant_key(t), t)
        return t

    def visit(node, inputs):
        inputs[:] = [canonical(t) for t in inputs]
        key = (node.primitive.name, tuple(t.id for t in inputs), tuple(sorted(node.attrs.items())))
        if key in seen:
            return seen[key]
        seen[key] = _rebuild(node, inputs)
        return seen[key]

    return rewrite(graph, visit)


# ---------------------------------------------------------------- constant folding

def _foldable(node, inputs, constant_ids):
    if node.primitive.name in _NEVER_FOLD or node.primitive.multiple_results \
            or not all(t.id in constant_ids for t in inputs):
        return False
    out = node.outputs[0]
    if None in out.shape:
        return False
    input_size = max([int(np.prod(t.shape)) for t in inputs if None not in t.shape] + [1])
    return int(np.prod(out.shape)) <= input_size * _FOLD_GROWTH_LIMIT


def fold_constants(graph, evaluate):
    """Replace subgraphs that read only constants by their values.

    `evaluate(graph)` runs a graph without inputs and returns NumPy arrays; the folded
    frontier is evaluated in one call.
    """
    constant_ids = {t.id for t in graph.constants()}
    folded = []
    for node in graph.nodes:
        if _foldable(node, node.inputs, constant_ids):
            constant_ids.add(node.outputs[0].id)
            folded.append(node)
    if not folded:
        return graph
    folded_ids = {n.outputs[0].id for n in folded}
    frontier = {t.id: t for t in graph.outputs if t.id in folded_ids}
    for node in graph.nodes:
        if node.outputs[0].id not in folded_ids:
            frontier.update({x.id: x for x in node.inputs if x.id in folded_ids})
    if not frontier:
        return graph
    tensors = list(frontier.values())
    values = evaluate(Graph([], tensors))
    replacement = {t.id: Constant(np.asarray(v), dtype=t.dtype) for t, v in zip(tensors, values)}

    def visit(node, inputs):
        return replacement.get(node.outputs[0].id)

    return rewrite(graph, visit)


def optimize(graph, evaluate=None):
    """All passes: no-op removal, constant folding (when `evaluate` is given), CSE, DCE;
    scans are pruned to the outputs their readers use and their bodies optimised alike."""
    graph = optimize_scans(graph, lambda body: optimize(body, evaluate))
    graph = simplify(graph)
    if evaluate is not None:
        graph = simplify(fold_constants(graph, evaluate))
    graph = eliminate_common_subexpressions(graph)
    return eliminate_dead_code(graph)


__all__ = ["rewrite", "simplify", "fold_constants", "eliminate_common_subexpressions",
           "eliminate_dead_code", "optimize", "toposort"]
