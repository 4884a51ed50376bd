"""The inference graph as an ONNX model (opset 18), built with `onnx.helper`.

Each layered primitive maps to one or a few ONNX operators through the `RULES` table
(`onnx_rules.py`); a node in scope `model/conv2d` becomes nodes named `model/conv2d/Conv`,
so the layers stay visible in Netron and in profiles. Weights are initializers named after
their paths (`conv2d/kernel`). Layered is channels-last and ONNX convolution and pooling
are channels-first, so those rules wrap their operator in two Transposes (runtimes fold
adjacent ones). The batch dimension is the symbolic `batch`; shapes that depend on it
(`reshape` and `broadcast_to` with a `like` input) are computed at run time from `Shape`.

`scan` becomes an ONNX `Scan` whose body is the converted body graph; loop invariants
(weights, masks) are read from the outer scope by name, as ONNX subgraphs allow.

The `onnx` package is imported here only, when an export runs.
"""
import numpy as np

import layered
from layered.export.graph import UnsupportedPrimitiveError, layer_of, random_node
from layered.export.onnx_rules import RULES as RULES, UNSUPPORTED as UNSUPPORTED, value_info

OPSET = 18  # ReduceMax/ReduceMin take their axes as an input from 18 on, like ReduceSum


def _import_onnx():
    try:
        import onnx
    except ImportError as err:
        raise ImportError("exporting to ONNX needs the 'onnx' package, which is not installed; "
                          "install it with: pip install 'layered[onnx]'") from err
    return onnx


# ---------------------------------------------------------------- building one graph

class _Names:
    """Unique names shared by a model and its subgraphs (ONNX names are one namespace)."""

    def __init__(self):
        self.used = set()

    def unique(self, base):
        name, k = base, 0
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name


class _Emitter:
    """Collects the nodes of one ONNX graph (the model's, or a Scan body) and maps layered
    tensors to ONNX value names; a body falls back on its parent for outer-scope values."""

    def __init__(self, onnx, names, initializers, parent=None):
        self.onnx, self.names, self.initializers, self.parent = onnx, names, initializers, parent
        self.nodes = []
        self.env = {}
        self.scope = ""

    def op(self, op_type, inputs, outputs=1, **attrs):
        """Add a node in the current scope; returns its output name (a list if outputs > 1)."""
        base = f"{self.scope}/{op_type}" if self.scope else op_type
        name = self.names.unique(base)
        out = [self.names.unique(f"{name}:{i}") for i in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), out, name=name, **attrs))
        return out[0] if outputs == 1 else out

    def const(self, value, hint="const"):
        """An initializer holding `value` (visible in every subgraph)."""
        name = self.names.unique(f"{self.scope}/{hint}" if self.scope else hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def ints(self, values, hint="shape"):
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), hint)

    def subgraph(self):
        """An emitter for a loop body: same names and initializers, outer values by name."""
        return _Emitter(self.onnx, self.names, self.initializers, parent=self)

    def name_of(self, tensor):
        from layered.graph.core import Constant

        if tensor.id in self.env:
            return self.env[tensor.id]
        if isinstance(tensor, Constant):
            self.env[tensor.id] = self.const(tensor.value, tensor.name or "const")
            return self.env[tensor.id]
        if self.parent is not None:
            return self.parent.name_of(tensor)
        raise ValueError(f"the exported graph reads {tensor!r}, which is not one of its inputs")

    def convert(self, nodes):
        for node in nodes:
            rule = RULES.get(node.primitive.name)
            if rule is None:
                raise unsupported(node)
            self.scope = node.scope
            result = rule(self, node, [self.name_of(x) for x in node.inputs])
            results = result if isinstance(result, (list, tuple)) else [result]
            for tensor, value in zip(node.outputs, results):
                self.env[tensor.id] = value


def unsupported(node):
    """The error for a node without an ONNX rule: names the primitive, the layer and why."""
    name = node.primitive.name
    reason = UNSUPPORTED.get(name, "no ONNX mapping is defined for it")
    return UnsupportedPrimitiveError(f"cannot export primitive '{name}' of layer '{layer_of(node)}' "
                                     f"(scope '{node.scope}') to ONNX: {reason}")


# ---------------------------------------------------------------- the model

def to_onnx(exported, name="layered_model"):
    """An `onnx.ModelProto` computing `exported` (a `layered.export.graph.InferenceGraph`)."""
    onnx = _import_onnx()
    if exported.seed is not None:  # a random op reads the seed, perhaps from inside a loop body
        raise unsupported(random_node(exported.graph))
    names, initializers = _Names(), []
    e = _Emitter(onnx, names, initializers)
    graph = exported.graph
    inputs = []
    for p, input_name in zip(exported.placeholders, exported.input_names):
        e.env[p.id] = names.unique(input_name)
        inputs.append(value_info(onnx, e.env[p.id], p.dtype, p.shape, batch="batch"))
    names.used.update(exported.output_names)  # reserved: the outputs get exactly these names
    for v in exported.variables:
        e.env[v.id] = names.unique(getattr(v, "path", None) or v.name)
        initializers.append(onnx.numpy_helper.from_array(np.ascontiguousarray(v.numpy()), e.env[v.id]))
    e.convert(graph.nodes)
    # Each output is an Identity named after the model's output: the value it returns may
    # also be an input, a weight or another output, whose names are taken.
    outputs = []
    for t, output_name in zip(graph.outputs, exported.output_names):
        node_name = names.unique(f"{output_name}/Identity")
        e.nodes.append(onnx.helper.make_node("Identity", [e.name_of(t)], [output_name], name=node_name))
        outputs.append(value_info(onnx, output_name, t.dtype, t.shape, batch="batch"))
    onnx_graph = onnx.helper.make_graph(e.nodes, name, inputs, outputs, initializer=initializers)
    opsets = [onnx.helper.make_opsetid("", OPSET)]
    model = onnx.helper.make_model(onnx_graph, opset_imports=opsets, producer_name="layered",
                                   producer_version=layered.__version__)
    # The lowest IR version that carries this opset: older runtimes can still read the file.
    model.ir_version = onnx.helper.find_min_ir_version_for(opsets)
    return model


def export_onnx(exported, filepath, name="layered_model"):
    """Write `exported` to `filepath` as an ONNX model, atomically."""
    from layered.saving.atomic import atomic_write

    model = to_onnx(exported, name)
    with atomic_write(filepath) as f:
        f.write(model.SerializeToString())
    return model
