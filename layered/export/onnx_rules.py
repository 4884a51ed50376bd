"""The ONNX rules: one function per layered primitive, in the `RULES` table.

A rule takes the emitter of the graph being built (`layered.export.onnx`), the layered node
and the ONNX names of its inputs, adds ONNX nodes with `e.op(...)` and constants with
`e.const(...)`, and returns the name of its output (a list of them for `scan`).
Convolution and pooling transpose to channels-first and back around their operator.
"""
import numpy as np

from layered.export.graph import UnsupportedPrimitiveError, layer_of

_INT64_MAX = np.iinfo(np.int64).max


def value_info(onnx, name, dtype, shape, batch=None):
    """A typed value; unknown dimensions are symbolic (`batch` for the leading one if given)."""
    dims = [batch if d is None and i == 0 and batch else d for i, d in enumerate(shape)]
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return onnx.helper.make_tensor_value_info(name, elem, dims)


# ---------------------------------------------------------------- rules: helpers

def _dtype(t):
    return np.dtype(t.dtype)


def _onnx_type(e, dtype):
    return e.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _shape_value(e, shape, like):
    """An int64 shape tensor for `shape`; its unknown (None) sizes are read from `like` at run time."""
    if None not in shape:
        return e.ints(shape)
    if like is None:
        if shape.count(None) == 1 and -1 not in shape:
            return e.ints([-1 if d is None else d for d in shape])
        raise ValueError(f"shape {shape} has unknown sizes and no reference tensor")
    unknown = e.const(np.array([d is None for d in shape]), "unknown")
    static = e.ints([0 if d is None else d for d in shape])
    return e.op("Where", [unknown, e.op("Shape", [like]), static])


def _direct(op_type):
    """One ONNX operator taking the primitive's inputs as they are."""
    def rule(e, node, ins):
        return e.op(op_type, ins)
    return rule


def _logical(op_type):
    def rule(e, node, ins):
        ins = [x if t.dtype == "bool" else e.op("Cast", [x], to=_onnx_type(e, "bool"))
               for x, t in zip(ins, node.inputs)]
        return e.op(op_type, ins)
    return rule


def _scalar(e, node, value):
    return e.const(np.array(value, dtype=_dtype(node.inputs[0])), "one")


def _rsqrt(e, node, ins):
    return e.op("Reciprocal", [e.op("Sqrt", ins)])


def _log1p(e, node, ins):
    return e.op("Log", [e.op("Add", [ins[0], _scalar(e, node, 1)])])


def _square(e, node, ins):
    return e.op("Mul", [ins[0], ins[0]])


def _not_equal(e, node, ins):
    return e.op("Not", [e.op("Equal", ins)])


def _reduce(op_type):
    def rule(e, node, ins):
        axes, keepdims = node.attrs["axes"], node.attrs["keepdims"]
        if not axes:  # reducing over no axis leaves the value as it is
            return e.op("Identity", ins)
        return e.op(op_type, [ins[0], e.ints(axes, "axes")], keepdims=int(keepdims))
    return rule


def _arg(op_type):
    def rule(e, node, ins):
        index = e.op(op_type, ins, axis=node.attrs["axis"], keepdims=0, select_last_index=0)
        return e.op("Cast", [index], to=_onnx_type(e, "int32"))  # layered's argmax is int32
    return rule


def _reshape(e, node, ins):
    like = ins[1] if len(ins) > 1 else None
    return e.op("Reshape", [ins[0], _shape_value(e, node.attrs["shape"], like)])


def _broadcast_to(e, node, ins):
    like = ins[1] if len(ins) > 1 else None
    return e.op("Expand", [ins[0], _shape_value(e, node.attrs["shape"], like)])


def _transpose(e, node, ins):
    return e.op("Transpose", ins, perm=list(node.attrs["perm"]))


def _slice(e, node, ins):
    axes, starts, ends, steps = [], [], [], []
    for axis, (a, b, c) in enumerate(zip(node.attrs["starts"], node.attrs["stops"], node.attrs["steps"])):
        if (a, b, c) != (0, None, 1):
            axes.append(axis), starts.append(a), ends.append(_INT64_MAX if b is None else b), steps.append(c)
    if not axes:
        return e.op("Identity", ins)
    return e.op("Slice", [ins[0], e.ints(starts, "starts"), e.ints(ends, "ends"), e.ints(axes, "axes"),
                          e.ints(steps, "steps")])


def _concatenate(e, node, ins):
    return e.op("Concat", ins, axis=node.attrs["axis"])


def _interior(e, x, axis, gap, rank):
    """`gap` zeros between the elements of axis `axis`: move it last, pair each element with
    `gap` zeros, merge the pairs and drop the zeros after the last element."""
    last = list(range(rank))
    last.append(last.pop(axis))
    back = list(np.argsort(last))
    x = e.op("Transpose", [x], perm=last)
    x = e.op("Unsqueeze", [x, e.ints([rank], "axes")])
    pads = [0] * (rank + 1) + [0] * rank + [gap]
    x = e.op("Pad", [x, e.ints(pads, "pads")])
    x = e.op("Reshape", [x, e.ints([0] * (rank - 1) + [-1])])
    x = e.op("Slice", [x, e.ints([0], "starts"), e.ints([-gap], "ends"), e.ints([rank - 1], "axes")])
    return e.op("Transpose", [x], perm=[int(p) for p in back])


def _pad(e, node, ins):
    low, high, interior = node.attrs["low"], node.attrs["high"], node.attrs["interior"]
    x, rank = ins[0], node.inputs[0].ndim
    for axis, gap in enumerate(interior):
        if gap:
            x = _interior(e, x, axis, gap, rank)
    if not any(low) and not any(high):
        return e.op("Identity", [x])
    zero = e.const(np.zeros((), _dtype(node.inputs[0])), "zero")
    return e.op("Pad", [x, e.ints(list(low) + list(high), "pads"), zero], mode="constant")


def _take(e, node, ins):
    return e.op("Gather", ins, axis=node.attrs["axis"])


def _scatter_add(e, node, ins):
    # ScatterND adds slices along the first axis: bring the scattered axis to the front of
    # the operand, and the index dimensions to the front of the (broadcast) updates.
    operand, indices, updates = node.inputs
    axis, k, rank = node.attrs["axis"], indices.ndim, operand.ndim
    op_shape = e.op("Shape", [ins[0]])
    full = e.op("Concat", [e.op("Slice", [op_shape, e.ints([0]), e.ints([axis]), e.ints([0])]),
                           e.op("Shape", [ins[1]]),
                           e.op("Slice", [op_shape, e.ints([axis + 1]), e.ints([_INT64_MAX]), e.ints([0])])], axis=0)
    upd = e.op("Expand", [ins[2], full])
    to_front = [axis] + [a for a in range(rank) if a != axis]
    upd_perm = list(range(axis, axis + k)) + [a for a in range(rank - 1 + k) if not axis <= a < axis + k]
    data = e.op("Transpose", [ins[0]], perm=to_front)
    upd = e.op("Transpose", [upd], perm=upd_perm)
    index = e.op("Unsqueeze", [e.op("Cast", [ins[1]], to=_onnx_type(e, "int64")), e.ints([-1], "axes")])
    out = e.op("ScatterND", [data, index, upd], reduction="add")
    return e.op("Transpose", [out], perm=[int(p) for p in np.argsort(to_front)])


def _one_hot(e, node, ins):
    # Equality with 0..depth-1 gives all-zero rows for out-of-range (and negative) indices,
    # as layered's kernels do; ONNX OneHot would wrap negative ones.
    depth, dtype = node.attrs["depth"], node.attrs["dtype"]
    classes = e.const(np.arange(depth, dtype=_dtype(node.inputs[0])), "classes")
    hit = e.op("Equal", [e.op("Unsqueeze", [ins[0], e.ints([-1], "axes")]), classes])
    return e.op("Cast", [hit], to=_onnx_type(e, dtype))


def _cast(e, node, ins):
    return e.op("Cast", ins, to=_onnx_type(e, node.attrs["dtype"]))


def _cumsum(e, node, ins):
    return e.op("CumSum", [ins[0], e.ints([node.attrs["axis"]], "axis")], reverse=int(node.attrs["reverse"]))


def _argsort(e, node, ins):
    # TopK of the smallest, all of them: ascending indices (ONNX leaves the order of ties open).
    axis = node.attrs["axis"]
    k = e.op("Slice", [e.op("Shape", [ins[0]]), e.ints([axis]), e.ints([axis + 1]), e.ints([0])])
    _, index = e.op("TopK", [ins[0], k], outputs=2, axis=axis, largest=0, sorted=1)
    return e.op("Cast", [index], to=_onnx_type(e, "int32"))


def _atan2(e, node, ins):
    # atan(y / x), moved by +-pi into the left half-plane (x < 0).
    y, x = ins
    zero, pi = _scalar(e, node, 0), _scalar(e, node, np.pi)
    base = e.op("Atan", [e.op("Div", [y, x])])
    turn = e.op("Where", [e.op("Less", [y, zero]), e.op("Neg", [pi]), pi])
    return e.op("Add", [base, e.op("Where", [e.op("Less", [x, zero]), turn, zero])])


# ---------------------------------------------------------------- rules: convolution and pooling

def _channels_first(e, x, n):
    return e.op("Transpose", [x], perm=[0, n + 1] + list(range(1, n + 1)))


def _channels_last(e, x, n):
    return e.op("Transpose", [x], perm=[0] + list(range(2, n + 2)) + [1])


def _onnx_filter(e, w, n):
    # layered (*window, in / groups, out) -> ONNX (out, in / groups, *window)
    return e.op("Transpose", [w], perm=[n + 1, n] + list(range(n)))


def _conv(e, node, ins):
    a = node.attrs
    n = node.inputs[0].ndim - 2
    window = list(node.inputs[1].shape[:n])
    pads = [lo for lo, _ in a["padding"]] + [hi for _, hi in a["padding"]]
    y = e.op("Conv", [_channels_first(e, ins[0], n), _onnx_filter(e, ins[1], n)], kernel_shape=window,
             strides=list(a["strides"]), pads=pads, dilations=list(a["rhs_dilation"]), group=a["feature_group_count"])
    return _channels_last(e, y, n)


def _conv_backprop_input(e, node, ins):
    # The gradient of conv with respect to its input is ConvTranspose with the same filter
    # (ONNX's ConvTranspose weight is Conv's). Cropping `lo` in front gives the input's first
    # element; rows no window reached (the conv's leftover) come back as output_padding.
    a = node.attrs
    g, w = node.inputs[0], node.inputs[1]
    n = g.ndim - 2
    window = w.shape[:n]
    low, high, extra = [], [], []
    for size, m, k, s, d, (lo, _) in zip(a["shape"][1:-1], g.shape[1:-1], window, a["strides"],
                                         a["rhs_dilation"], a["padding"]):
        if size is None or m is None:
            raise UnsupportedPrimitiveError(
                f"cannot export primitive 'conv_backprop_input' of layer '{layer_of(node)}' to ONNX: "
                "its spatial sizes must be known")
        hi = s * (m - 1) + d * (k - 1) + 1 - lo - size
        low.append(lo), high.append(max(hi, 0)), extra.append(max(-hi, 0))
    y = e.op("ConvTranspose", [_channels_first(e, ins[0], n), _onnx_filter(e, ins[1], n)],
             kernel_shape=list(window), strides=list(a["strides"]), pads=low + high, output_padding=extra,
             dilations=list(a["rhs_dilation"]), group=a["feature_group_count"])
    return _channels_last(e, y, n)


def _pool(op_type, **fixed):
    def rule(e, node, ins):
        a = node.attrs
        n = node.inputs[0].ndim - 2
        pads = [lo for lo, _ in a["padding"]] + [hi for _, hi in a["padding"]]
        y = e.op(op_type, [_channels_first(e, ins[0], n)], kernel_shape=list(a["window"]),
                 strides=list(a["strides"]), pads=pads, **fixed)
        return _channels_last(e, y, n)
    return rule


# ---------------------------------------------------------------- rules: scan

def _scan(e, node, ins):
    # ONNX Scan: inputs are [initial states..., scan inputs...]; the body maps
    # [states..., one slice of each scan input...] to [new states..., per-step outputs...].
    onnx = e.onnx
    a = node.attrs
    body, nc, ns = a["body"], a["n_carry"], a["n_seq"]
    direction = 1 if a["reverse"] else 0  # reversed outputs are prepended: ys[t] stays with xs[t]
    sub = e.subgraph()
    inner_inputs = []
    for p in body.inputs[:nc + ns]:
        name = e.names.unique(f"{node.scope}/scan_body/{p.name}")
        sub.env[p.id] = name
        inner_inputs.append(value_info(onnx, name, p.dtype, p.shape))
    for p, outer in zip(body.inputs[nc + ns:], ins[nc + ns:]):
        sub.env[p.id] = outer  # invariants: read from the outer scope by name
    sequences = list(ins[nc:nc + ns])
    if ns == 0:  # a scan by `length` alone: ONNX Scan counts steps along a scan input
        sequences = [e.const(np.zeros(a["length"], np.float32), "steps")]
        name = e.names.unique(f"{node.scope}/scan_body/step")
        inner_inputs.append(value_info(onnx, name, "float32", ()))
    sub.convert(body.nodes)
    sub.scope = f"{node.scope}/scan_body" if node.scope else "scan_body"
    # Every body output gets its own Identity: an output may be a body input, a constant or
    # an outer value, none of which may be a subgraph output name as they are.
    returned = list(body.outputs) + [body.inputs[i] for i in a["saved"]]
    inner_outputs = []
    for t in returned:
        name = sub.op("Identity", [sub.name_of(t)])
        inner_outputs.append(value_info(onnx, name, t.dtype, t.shape))
    graph = onnx.helper.make_graph(sub.nodes, e.names.unique(f"{node.scope}/scan_body"), inner_inputs, inner_outputs)
    e.scope = node.scope
    n_out = len(returned)
    directions = {"scan_output_directions": [direction] * (n_out - nc)} if n_out > nc else {}
    return e.op("Scan", list(ins[:nc]) + sequences, outputs=n_out, body=graph,
                num_scan_inputs=len(sequences), scan_input_directions=[direction] * len(sequences), **directions)


# ---------------------------------------------------------------- the table

RULES = {
    "neg": _direct("Neg"), "exp": _direct("Exp"), "log": _direct("Log"), "log1p": _log1p, "sqrt": _direct("Sqrt"),
    "rsqrt": _rsqrt, "tanh": _direct("Tanh"), "logistic": _direct("Sigmoid"), "abs": _direct("Abs"),
    "sign": _direct("Sign"), "square": _square, "reciprocal": _direct("Reciprocal"), "erf": _direct("Erf"),
    "sin": _direct("Sin"), "cos": _direct("Cos"), "floor": _direct("Floor"),
    "add": _direct("Add"), "sub": _direct("Sub"), "mul": _direct("Mul"), "div": _direct("Div"), "pow": _direct("Pow"),
    "maximum": _direct("Max"), "minimum": _direct("Min"),
    "equal": _direct("Equal"), "not_equal": _not_equal, "less": _direct("Less"), "less_equal": _direct("LessOrEqual"),
    "greater": _direct("Greater"), "greater_equal": _direct("GreaterOrEqual"),
    "logical_and": _logical("And"), "logical_or": _logical("Or"), "logical_not": _logical("Not"),
    "where": _direct("Where"),
    "reduce_sum": _reduce("ReduceSum"), "reduce_max": _reduce("ReduceMax"), "reduce_min": _reduce("ReduceMin"),
    "argmax": _arg("ArgMax"), "argmin": _arg("ArgMin"),
    "reshape": _reshape, "transpose": _transpose, "broadcast_to": _broadcast_to, "slice": _slice,
    "concatenate": _concatenate, "pad": _pad, "take": _take, "scatter_add": _scatter_add, "one_hot": _one_hot,
    "matmul": _direct("MatMul"), "cast": _cast,
    "cumsum": _cumsum, "argsort": _argsort, "atan2": _atan2, "stop_gradient": _direct("Identity"),
    "conv": _conv, "conv_backprop_input": _conv_backprop_input,
    "max_pool": _pool("MaxPool"), "avg_pool": _pool("AveragePool", count_include_pad=0),
    "scan": _scan,
}

# Primitives left out on purpose, and why (the error message quotes the reason).
UNSUPPORTED = {
    "random_uniform": "a random op is active at inference; layered's seeded random streams have no ONNX "
                      "equivalent (Dropout and noise layers are off at inference: is a custom layer drawing noise?)",
    "random_normal": "a random op is active at inference; layered's seeded random streams have no ONNX "
                     "equivalent (Dropout and noise layers are off at inference: is a custom layer drawing noise?)",
    "conv_backprop_filter": "it is a gradient primitive, not part of an inference graph",
    "max_pool_backprop": "it is a gradient primitive, not part of an inference graph",
    "avg_pool_backprop": "it is a gradient primitive, not part of an inference graph",
}
