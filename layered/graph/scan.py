"""The scan primitive: a loop whose body is a subgraph (what recurrent layers are made of).

`scan` runs its body once per step of its sequences (their leading axis, time-major):

    new carries, ys[t] = body(carries, sequences[t], invariants)

Its node's attributes are
    body     a `Graph` over placeholders [carries..., one step of each sequence...,
             invariants...] whose outputs are [new carries..., per-step outputs ys...]
    n_carry, n_seq   how the node's inputs split into carries, sequences and invariants
    length   the number of steps when there is no sequence (None otherwise)
    reverse  step from the last slice to the first; the stacked outputs stay aligned with
             the sequences (ys[t] comes from sequences[t]), as in `keras.ops.scan`
    saved    the carries whose value entering each step is also returned, stacked: what
             the VJP reads (a graph pass drops the ones nothing reads)
and its outputs are the final carries, the stacked ys and the stacked saved carries.

A scan node has several outputs (`Primitive.multiple_results`): the carries and the
stacked outputs differ in shape and dtype, so packing them into one tensor would need
reshapes and slices around every scan, and its VJP needs both at once.

The VJP is a scan the other way round whose body is the VJP of this body (built with
`autodiff.vjp` on the body graph itself): its carries are the carries' cotangents and the
invariants' gradients summed over the steps, its sequences the saved carries, the forward
sequences and the cotangents of the stacked outputs.
"""
from layered import tree
from layered.graph import core
from layered.graph.core import Aval, Constant, Placeholder, ShapeError, Tensor, is_float
from layered.graph.graph import Graph


# ---------------------------------------------------------------- shape rule

def infer_avals(graph, in_avals):
    """The avals of `graph`'s outputs when its inputs have `in_avals` (shape rules only)."""
    avals = {t.id: a for t, a in zip(graph.inputs, in_avals)}
    for node in graph.nodes:
        result = node.primitive.shape_rule(*[avals.get(x.id, x) for x in node.inputs], **node.attrs)
        results = result if node.primitive.multiple_results else [result]
        for out, (shape, dtype) in zip(node.outputs, results):
            avals[out.id] = Aval(shape, dtype)
    return [avals.get(t.id, t) for t in graph.outputs]


def _compatible(a, b):
    return a.dtype == b.dtype and len(a.shape) == len(b.shape) and all(
        x is None or y is None or x == y for x, y in zip(a.shape, b.shape))


def _text(aval):
    return f"{tuple(aval.shape)} {aval.dtype}"


def _steps(sequences, length):
    known = {s.shape[0] for s in sequences if s.shape[0] is not None}
    if length is not None:
        known.add(length)
    if len(known) > 1:
        raise ShapeError(f"sequences of different lengths {sorted(known)} along their first (time) axis")
    if not sequences and length is None:
        raise ShapeError("a scan without sequences needs a length")
    return known.pop() if known else None


def scan_rule(*inputs, body, n_carry, n_seq, length, reverse, saved):
    if len(inputs) != len(body.inputs):
        raise ShapeError(f"the body takes {len(body.inputs)} inputs, the scan got {len(inputs)}")
    carries, sequences = inputs[:n_carry], inputs[n_carry:n_carry + n_seq]
    for s in sequences:
        if len(s.shape) == 0:
            raise ShapeError("a sequence needs a leading (time) axis, got a scalar")
    steps = _steps(sequences, length)
    in_avals = (list(carries) + [Aval(s.shape[1:], s.dtype) for s in sequences]
                + list(inputs[n_carry + n_seq:]))
    for placeholder, aval in zip(body.inputs, in_avals):
        if not _compatible(placeholder, aval):
            raise ShapeError(f"the body's input '{placeholder.name}' is {_text(placeholder)}, "
                             f"the scan feeds it {_text(aval)}")
    out_avals = infer_avals(body, in_avals)
    for carry, new in zip(carries, out_avals):
        if not _compatible(carry, new):
            raise ShapeError(f"the body turns a carry of {_text(carry)} into one of {_text(new)}; "
                             "a carry must keep its shape and dtype")
    return ([(c.shape, c.dtype) for c in carries]
            + [((steps,) + tuple(y.shape), y.dtype) for y in out_avals[n_carry:]]
            + [((steps,) + tuple(carries[i].shape), carries[i].dtype) for i in saved])


# ---------------------------------------------------------------- building a scan

def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop `f` over the leading axis of `xs`, carrying state: `keras.ops.scan`.

    `f(carry, x) -> (new_carry, y)` is traced once, on placeholders, into the loop's body;
    tensors it reads from outside (weights, masks, seeds) become the loop's invariants.
    `carry` and `x` (and `y`) may be nested lists, tuples or dicts of tensors. `unroll` is
    accepted for Keras compatibility and ignored (the body is never unrolled).

    Returns:
        (final carry, ys stacked along a new leading axis; None if `f` returns no y).
    Example:
        total, partial_sums = layered.ops.scan(lambda c, x: (c + x, c + x), 0.0, xs)
    """
    from layered.graph import build as b
    from layered.graph.primitives import PRIMITIVES, bind

    flat_init = [b.as_tensor(c) for c in tree.flatten(init)]
    flat_xs = [] if xs is None else [b.as_tensor(x) for x in tree.flatten(xs)]
    if not flat_xs and length is None:
        raise ValueError("scan needs sequences `xs` or a `length`")
    start = next(core._counter)  # nodes made from here on belong to the body
    carry_in = [Placeholder(c.shape, c.dtype, name=f"scan_carry_{i}") for i, c in enumerate(flat_init)]
    step_in = [Placeholder(x.shape[1:], x.dtype, name=f"scan_x_{i}") for i, x in enumerate(flat_xs)]
    new_carry, ys = f(tree.pack_like(init, carry_in), None if xs is None else tree.pack_like(xs, step_in))
    flat_new = tree.flatten(new_carry)
    if len(flat_new) != len(flat_init):
        raise ValueError(f"scan: f returned {len(flat_new)} carries for {len(flat_init)} initial ones")
    flat_new = [b.as_tensor(c, None if isinstance(c, Tensor) else init_c.dtype)
                for c, init_c in zip(flat_new, flat_init)]
    flat_ys = [] if ys is None else [b.as_tensor(y) for y in tree.flatten(ys)]
    body, captured = close_over(carry_in + step_in, flat_new + flat_ys, start)
    outputs = bind(PRIMITIVES["scan"], flat_init + flat_xs + captured, body=body, n_carry=len(flat_init),
                   n_seq=len(flat_xs), length=None if flat_xs else int(length), reverse=bool(reverse),
                   saved=tuple(range(len(flat_init))))
    final = tree.pack_like(init, outputs[:len(flat_init)])
    stacked = outputs[len(flat_init):len(flat_init) + len(flat_ys)]
    return final, (None if ys is None else tree.pack_like(ys, stacked))


def close_over(own_inputs, outputs, start):
    """The body graph of `outputs` over `own_inputs` plus what it reads from outside.

    A tensor is from outside when it is a placeholder or variable other than `own_inputs`,
    or made by a node older than `start`. Outside leaves become body inputs as they are;
    outside intermediates are replaced by new placeholders (the inner nodes that read them
    are rebuilt). Returns (body, the outside tensors in the order of the extra inputs).
    """
    own = {t.id for t in own_inputs}

    def outside(t):
        if t.id in own:
            return False
        return not isinstance(t, Constant) if t.node is None else t.node.id < start

    nodes, captured = _inner_nodes(outputs, outside)
    substitutes = {t.id: Placeholder(t.shape, t.dtype, name=f"scan_captured_{i}")
                   for i, t in enumerate(captured) if t.node is not None}
    if substitutes:
        outputs = rebind(nodes, outputs, dict(substitutes))
    body = Graph(list(own_inputs) + [substitutes.get(t.id, t) for t in captured], outputs)
    return body, captured


def _inner_nodes(outputs, outside):
    """The nodes between `outputs` and the outside tensors (in topological order), and the
    outside tensors they read, in first-met order."""
    order, seen, captured, met = [], set(), [], set()

    def note(t):
        if outside(t) and t.id not in met:
            met.add(t.id)
            captured.append(t)
            return True
        return t.id in met

    stack = []
    for t in reversed(outputs):
        if not note(t) and t.node is not None:
            stack.append((t.node, False))
    while stack:
        node, expanded = stack.pop()
        if node.id in seen:
            continue
        if expanded:
            seen.add(node.id)
            order.append(node)
            continue
        stack.append((node, True))
        for x in reversed(node.inputs):
            if not note(x) and x.node is not None and x.node.id not in seen:
                stack.append((x.node, False))
    # Captured tensors were met depth first from the last output; list them in reading order.
    position = {t.id: i for i, t in enumerate(x for n in order for x in n.inputs)}
    captured.sort(key=lambda t: position.get(t.id, -1))
    return order, captured


def rebind(nodes, outputs, mapping):
    """`outputs` rebuilt with the tensors in `mapping` (id -> tensor) substituted."""
    from layered.graph.primitives import bind

    for node in nodes:
        inputs = [mapping.get(x.id, x) for x in node.inputs]
        if all(a is b for a, b in zip(inputs, node.inputs)):
            continue
        new = bind(node.primitive, inputs, scope=node.scope, **node.attrs)
        mapping.update(zip((o.id for o in node.outputs), new if node.primitive.multiple_results else (new,)))
    return [mapping.get(t.id, t) for t in outputs]


# ---------------------------------------------------------------- VJP

def scan_vjp(node, gs):
    """A reverse scan over the VJP of the body; see the module docstring."""
    from layered.graph import autodiff, build as b
    from layered.graph.primitives import PRIMITIVES, bind

    attrs = node.attrs
    body, nc, ns = attrs["body"], attrs["n_carry"], attrs["n_seq"]
    ny = len(body.outputs) - nc
    carries, sequences, invariants = node.inputs[:nc], node.inputs[nc:nc + ns], node.inputs[nc + ns:]
    g_final, g_ys = gs[:nc], gs[nc:nc + ny]
    g_saved = dict(zip(attrs["saved"], gs[nc + ny:]))
    if attrs["saved"] == tuple(range(nc)):
        stacks = node.outputs[nc + ny:]
    else:  # a pass dropped saved carries before this gradient was asked for: run the loop again
        again = bind(PRIMITIVES["scan"], node.inputs, scope=node.scope, **dict(attrs, saved=tuple(range(nc))))
        stacks = again[nc + ny:]

    c_in, x_in, w_in = body.inputs[:nc], body.inputs[nc:nc + ns], body.inputs[nc + ns:]
    fc = [i for i in range(nc) if is_float(carries[i].dtype)]
    fx = [j for j in range(ns) if is_float(sequences[j].dtype)]
    fw = [k for k in range(len(invariants)) if is_float(invariants[k].dtype)]
    gy = [j for j in range(ny) if g_ys[j] is not None]
    gsv = [i for i in fc if g_saved.get(i) is not None]

    def like(t, name):
        return Placeholder(t.shape, t.dtype, name=name)

    gc_in = {i: like(c_in[i], f"grad_carry_{i}") for i in fc}
    gw_in = [like(w_in[k], f"grad_invariant_{k}") for k in fw]
    gy_in = [like(body.outputs[nc + j], f"grad_y_{j}") for j in gy]
    gsv_in = [like(c_in[i], f"grad_saved_{i}") for i in gsv]
    wrt = [c_in[i] for i in fc] + [x_in[j] for j in fx] + [w_in[k] for k in fw]
    cotangents = [gc_in.get(i) for i in range(nc)] + [None] * ny
    for j, p in zip(gy, gy_in):
        cotangents[nc + j] = p
    grads = autodiff.vjp(body.outputs, wrt, cotangents)
    d_carry, d_x, d_w = grads[:len(fc)], grads[len(fc):len(fc) + len(fx)], grads[len(fc) + len(fx):]
    saved_grad = dict(zip(gsv, gsv_in))
    new_carries = [b.add(d, saved_grad[i]) if i in saved_grad else d for i, d in zip(fc, d_carry)]
    new_carries += [b.add(acc, d) for acc, d in zip(gw_in, d_w)]
    backward = Graph([gc_in[i] for i in fc] + gw_in + list(c_in) + list(x_in) + gy_in + gsv_in + list(w_in),
                     new_carries + d_x)

    init = [b.zeros_like(node.outputs[i]) if g_final[i] is None else g_final[i] for i in fc]
    init += [b.zeros_like(invariants[k]) for k in fw]
    seqs = list(stacks) + list(sequences) + [g_ys[j] for j in gy] + [g_saved[i] for i in gsv]
    outs = bind(PRIMITIVES["scan"], init + seqs + list(invariants), body=backward, n_carry=len(init),
                n_seq=len(seqs), length=attrs["length"], reverse=not attrs["reverse"], saved=())
    result = [None] * len(node.inputs)
    for i, g in zip(fc, outs[:len(fc)]):
        result[i] = g
    for k, g in zip(fw, outs[len(fc):len(init)]):
        result[nc + ns + k] = g
    for j, g in zip(fx, outs[len(init):len(init) + len(fx)]):
        result[nc + j] = g
    return result


# ---------------------------------------------------------------- graph pass

def _used(graph):
    ids = {t.id for t in graph.outputs}
    ids.update(x.id for node in graph.nodes for x in node.inputs)
    return ids


def prune_scan(node, inputs, used, optimize_body):
    """A smaller scan computing the used outputs of `node` (on `inputs`), or None if nothing
    can go. Drops unread stacked outputs and saved carries, then carries that nothing used
    reads, then inputs the body no longer reads; `optimize_body` runs on the new body.

    Returns {old output id: new output tensor} for the outputs that remain.
    """
    from layered.graph.primitives import bind

    attrs = node.attrs
    body, nc, ns = attrs["body"], attrs["n_carry"], attrs["n_seq"]
    ny = len(body.outputs) - nc
    outs = node.outputs
    keep_y = [j for j in range(ny) if outs[nc + j].id in used]
    keep_saved = [k for k, i in enumerate(attrs["saved"]) if outs[nc + ny + k].id in used]
    saved = [attrs["saved"][k] for k in keep_saved]
    # A carry stays if its final value or its saved stack is used, or a kept carry or y reads it.
    keep_c = {i for i in range(nc) if outs[i].id in used} | set(saved)
    while True:
        reads = _inputs_read(body, [body.outputs[i] for i in sorted(keep_c)] + [body.outputs[nc + j] for j in keep_y])
        grown = keep_c | {i for i in range(nc) if body.inputs[i].id in reads}
        if grown == keep_c:
            break
        keep_c = grown
    keep_c = sorted(keep_c)
    kept_outputs = [body.outputs[i] for i in keep_c] + [body.outputs[nc + j] for j in keep_y]
    reads = _inputs_read(body, kept_outputs)
    keep_in = [p for p in range(nc, len(body.inputs)) if body.inputs[p].id in reads]
    if ns and not any(nc <= p < nc + ns for p in keep_in):
        keep_in = [nc] + keep_in  # one sequence stays: it gives the number of steps
    keep_in = keep_c + keep_in
    unchanged = len(keep_in) == len(body.inputs) and len(kept_outputs) == len(body.outputs) \
        and len(saved) == len(attrs["saved"])
    new_body = optimize_body(Graph([body.inputs[p] for p in keep_in], kept_outputs))
    if unchanged and new_body.nodes == body.nodes and new_body.outputs == body.outputs:
        return None
    position = {i: k for k, i in enumerate(keep_c)}
    new = bind(node.primitive, [inputs[p] for p in keep_in], scope=node.scope, body=new_body,
               n_carry=len(keep_c), n_seq=sum(nc <= p < nc + ns for p in keep_in), length=attrs["length"],
               reverse=attrs["reverse"], saved=tuple(position[i] for i in saved))
    old = [outs[i] for i in keep_c] + [outs[nc + j] for j in keep_y] + [outs[nc + ny + k] for k in keep_saved]
    return dict(zip((t.id for t in old), new))


def _inputs_read(graph, outputs):
    """Ids of the leaves (and graph inputs) that `outputs` depend on."""
    from layered.graph.graph import leaves, toposort
    return {t.id for t in leaves(outputs, toposort(outputs))}


def optimize_scans(graph, optimize_body):
    """Prune every scan of `graph` to what its readers use and optimise its body.

    Repeats until nothing changes: pruning a later scan (a gradient loop) can leave an
    earlier one (its forward loop) with outputs that nobody reads any more.
    """
    from layered.graph.passes import rewrite

    for _ in range(4):  # each round prunes one more level of loops reading loops; a few suffice
        if not any(node.primitive.name == "scan" for node in graph.nodes):
            break
        used, changed = _used(graph), []

        def visit(node, inputs):
            if node.primitive.name != "scan":
                return None
            mapping = prune_scan(node, inputs, used, optimize_body)
            if mapping is None:
                return None
            changed.append(node)
            # Dropped outputs are unread: they keep their old tensors and vanish with the old node.
            return tuple(mapping.get(o.id, o) for o in node.outputs)

        graph = rewrite(graph, visit)
        if not changed:
            break
    return graph
