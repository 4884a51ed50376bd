"""A layered graph as a TensorFlow GraphDef, for TensorBoard's Graphs tab.

One NodeDef per graph node, named `<scope>/<Op>` (`sequential/dense/MatMul`), so each
layer becomes one collapsible box and the `gradients/...` and `optimizer/...` scopes of
a train step sit beside the layers. Leaves become nodes too: placeholders
(`Placeholder`), variables (`VarHandleOp`, placed in the scope of the layer that reads
them: `dense/kernel` read in `sequential/dense` becomes `sequential/dense/kernel`) and
constants (`Const`, which TensorBoard draws as small icons on their consumers). Every
node carries `T` or `dtype` and `_output_shapes`; a primitive's static attributes
(axes, perm, ...) are listed too. Variable updates of a compiled function become
`AssignVariableOp` nodes.
"""
import numbers
import re
import weakref

import numpy as np

from layered import random, tree
from layered.graph import passes
from layered.graph.core import Constant, Placeholder, Variable, collect_assignments
from layered.graph.graph import Graph, leaves
from layered.summary import proto
from layered.summary.events import data_type, tensor_proto, tensor_shape

_OP_NAMES = {"matmul": "MatMul", "argmax": "ArgMax", "argmin": "ArgMin"}
_SMALL_CONSTANT = 16  # constants up to this many elements carry their value


def op_name(primitive_name):
    """A primitive's name as a TensorFlow-style op name: 'reduce_sum' -> 'ReduceSum'."""
    return _OP_NAMES.get(primitive_name) or "".join(part.capitalize() for part in primitive_name.split("_"))


# ---------------------------------------------------------------- what to export

def _is_model(obj):
    return callable(obj) and hasattr(obj, "weights") and hasattr(obj, "layers")


def inference_graph(model):
    """The forward graph of `model` (training=False) on placeholders shaped like its inputs."""
    functional = getattr(model, "_functional", None)
    if functional is not None:
        names = model.input_names or [f"input_{i}" for i in range(len(functional.input_tensors))]
        placeholders = [Placeholder(t.shape, t.dtype, name=name)
                        for t, name in zip(functional.input_tensors, names)]
        structured = tree.pack_like(functional.inputs, placeholders)
    else:
        shape = getattr(model, "_build_shape", None)
        if shape is None:
            raise ValueError(f"model '{model.name}' has no known input shape yet: call it, build it or fit it "
                             "before exporting its graph")
        if all(d is None or isinstance(d, int) for d in shape):
            structured = Placeholder((None,) + tuple(shape[1:]), model.dtype, name="input")
        else:
            structured = [Placeholder((None,) + tuple(s[1:]), model.dtype, name=f"input_{i}")
                          for i, s in enumerate(shape)]
        placeholders = tree.flatten(structured)
    with random.seed_stream(), collect_assignments():
        outputs = tree.flatten(model(structured, training=False))
    known = {p.id for p in placeholders}
    reads = [t for t in leaves(outputs) if isinstance(t, (Placeholder, Variable)) and t.id not in known]
    return passes.optimize(Graph(placeholders + reads, outputs))


def _graph_and_updates(source):
    """(Graph, [(variable, new value tensor)]) for a Graph, a compiled function or a model."""
    if isinstance(source, Graph):
        return source, []
    graph = getattr(source, "graph", None)
    if isinstance(graph, Graph):  # a compiled Function: its new values follow its outputs
        updates = getattr(source, "updates", [])
        updated = getattr(source, "variables", [])[:len(updates)]
        new_values = graph.outputs[len(getattr(source, "outputs", [])):]
        return graph, list(zip(updated, new_values))
    if _is_model(source):
        return inference_graph(source), []
    raise TypeError(f"cannot export {source!r} as a graph: pass a layered Graph, a compiled function "
                    "or a model")


# ---------------------------------------------------------------- naming

def _clean(name):
    """A valid NodeDef name: TensorFlow's characters only, no empty scope parts."""
    name = re.sub(r"[^A-Za-z0-9_.\-/>]", "_", name)
    name = "/".join(part for part in name.split("/") if part)
    return name if name and name[0] not in "_-/>" else f"n{name}"


def _scoped(scope, leaf):
    return f"{scope}/{leaf}" if scope else leaf


def _variable_name(variable, consumer_scopes):
    """The variable's path, moved into the scope where its owner runs: 'dense/kernel' read in
    'sequential/dense' becomes 'sequential/dense/kernel'; 'adam/kernel/momentum' read in
    'optimizer/adam' becomes 'optimizer/adam/kernel/momentum'."""
    path = getattr(variable, "path", None) or variable.name
    parts = path.split("/")
    for k in range(len(parts) - 1, 0, -1):  # the longest owner prefix some consumer's scope ends with
        owner = "/".join(parts[:k])
        matches = [s for s in consumer_scopes if s == owner or s.endswith("/" + owner)]
        if matches:
            return min(matches, key=len)[:-len(owner)] + path
    return path


class _Names:
    """Unique node names, TensorFlow style: 'MatMul', 'MatMul_1', ..."""

    def __init__(self):
        self.used = set()

    def take(self, name):
        name = _clean(name)
        unique, k = name, 0
        while unique in self.used:
            k += 1
            unique = f"{name}_{k}"
        self.used.add(unique)
        return unique


def _resolve_scope_clashes(names):
    """Rename any node whose name is also another node's scope (TensorBoard would show it as
    'A/(A)'): 'a' beside 'a/b' becomes 'a_1'."""
    used = set(names.values())
    prefixes = {n[:i] for n in used for i, c in enumerate(n) if c == "/"}
    for key, name in names.items():
        if name in prefixes:
            k, new = 1, f"{name}_1"
            while new in used or new in prefixes:
                k += 1
                new = f"{name}_{k}"
            used.add(new)
            names[key] = new


# ---------------------------------------------------------------- AttrValue

def _attr_list_shapes(shapes):
    return proto.message(1, b"".join(proto.message(7, tensor_shape(s)) for s in shapes))


def _attr_value(key, value):
    """AttrValue bytes for a primitive's static attribute, or None when it has no good form."""
    if isinstance(value, (bool, np.bool_)):
        return proto.uint(5, int(value))
    if isinstance(value, numbers.Integral):
        return proto.uint(3, int(value))
    if isinstance(value, numbers.Real):
        return proto.float32(4, float(value))
    if isinstance(value, str):
        if key == "dtype" and data_type(value):
            return proto.uint(6, data_type(value))
        return proto.string(2, value)
    if isinstance(value, (tuple, list)) and all(v is None or isinstance(v, numbers.Integral) for v in value):
        return proto.message(1, proto.packed_varints(3, [-1 if v is None else int(v) for v in value]))
    if value is None:
        return None
    return proto.string(2, repr(value)[:256])


def _node_def(name, op, inputs=(), attrs=()):
    out = proto.string(1, name) + proto.string(2, op)
    out += b"".join(proto.string(3, i) for i in inputs)
    for key, value in sorted(attrs):  # map entries in key order, as deterministic serialization has them
        out += proto.message(5, proto.string(1, key) + proto.message(2, value))
    return out


def _leaf_attrs(tensor):
    attrs = [("dtype", proto.uint(6, data_type(tensor.dtype))),
             ("_output_shapes", _attr_list_shapes([tensor.shape]))]
    if isinstance(tensor, Constant):
        if tensor.value.size <= _SMALL_CONSTANT:
            attrs.append(("value", proto.message(8, tensor_proto(tensor.value))))
    else:
        attrs.append(("shape", proto.message(7, tensor_shape(tensor.shape))))
    return attrs


# ---------------------------------------------------------------- GraphDef

_encoded = weakref.WeakKeyDictionary()  # Graph or compiled function -> its GraphDef bytes


def graph_def(source):
    """Serialized GraphDef bytes of a layered `Graph`, a compiled function (its graph plus
    `AssignVariableOp` nodes for its updates) or a model (its inference graph).

    Graphs never change once built, so the bytes of a graph or function are kept while it
    lives: a model fitted again exports its (unchanged) train step at no cost.

    Example:
        event_bytes = graph_def(model._steps.train_graph())
    """
    if _is_model(source):
        return _encode(*_graph_and_updates(source))
    try:
        return _encoded[source]
    except (KeyError, TypeError):  # not seen yet, or not weakly referenceable
        pass
    data = _encode(*_graph_and_updates(source))
    try:
        _encoded[source] = data
    except TypeError:
        pass
    return data


def _encode(graph, updates):
    input_ids = {t.id for t in graph.inputs}
    leaf_tensors = list(graph.inputs) + [t for t in leaves(graph.outputs, graph.nodes) if t.id not in input_ids]
    consumer_scopes = {}
    for node in graph.nodes:
        for x in node.inputs:
            if x.node is None:
                consumer_scopes.setdefault(x.id, []).append(node.scope or "")

    taken, names = _Names(), {}
    for t in leaf_tensors:
        scopes = consumer_scopes.get(t.id, [])
        if isinstance(t, Variable):
            base = _variable_name(t, scopes)
        elif isinstance(t, Constant):
            base = t.name or _scoped(min(scopes, key=len) if scopes else "", "Const")
        else:
            base = t.name or "Placeholder"
        names[t.id] = taken.take(base)
    for node in graph.nodes:
        names[("node", node.id)] = taken.take(_scoped(node.scope, op_name(node.primitive.name)))
    for k, (variable, value) in enumerate(updates):
        scope = value.node.scope if value.node is not None else ""
        names[("assign", k)] = taken.take(_scoped(scope, "AssignVariableOp"))
    _resolve_scope_clashes(names)

    def ref(tensor):
        if tensor.node is None:
            return names[tensor.id]
        base = names[("node", tensor.node.id)]
        return base if tensor.index == 0 else f"{base}:{tensor.index}"

    nodes = []
    for t in leaf_tensors:
        op = "VarHandleOp" if isinstance(t, Variable) else "Const" if isinstance(t, Constant) else "Placeholder"
        nodes.append(_node_def(names[t.id], op, (), _leaf_attrs(t)))
    for node in graph.nodes:
        attrs = [("T", proto.uint(6, data_type(node.outputs[0].dtype))),
                 ("_output_shapes", _attr_list_shapes([o.shape for o in node.outputs]))]
        for key, value in node.attrs.items():
            encoded = None if key in ("T", "_output_shapes") else _attr_value(key, value)
            if encoded is not None:
                attrs.append((key, encoded))
        nodes.append(_node_def(names[("node", node.id)], op_name(node.primitive.name),
                               [ref(x) for x in node.inputs], attrs))
    for k, (variable, value) in enumerate(updates):
        if variable.id in names:
            nodes.append(_node_def(names[("assign", k)], "AssignVariableOp", [names[variable.id], ref(value)],
                                   [("dtype", proto.uint(6, data_type(variable.dtype)))]))
    return b"".join(proto.message(1, n) for n in nodes)
