"""Control flow in `keras.ops` names, built on `where` and the `scan` primitive.

Graphs have no data-dependent branching: a symbolic `cond`/`switch` evaluates every branch
and selects the results with `where` (so the branches must give the same structure and
shapes), and a symbolic `while_loop` runs `maximum_iterations` steps of a scan whose carry
stops changing once the condition fails. With values known now (ops on arrays), all of
them run like Python control flow.
"""
import numpy as np

from layered import tree
from layered.graph import build as b
from layered.graph.core import Constant, Placeholder, Tensor
from layered.graph.graph import leaves
from layered.graph.scan import scan

__all__ = ["cond", "switch", "while_loop", "fori_loop", "map", "vectorized_map", "vectorize", "associative_scan",
           "jvp"]


def _known(*values):
    """Whether every tensor in `values` needs no feeding (then it has a value now)."""
    tensors = [v for v in tree.flatten(values) if isinstance(v, Tensor)]
    return not any(isinstance(t, Placeholder) for t in leaves(tensors)) if tensors else True


def _value(x):
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def _select(pred, on_true, on_false, what):
    flat_true, flat_false = tree.flatten(on_true), tree.flatten(on_false)
    if len(flat_true) != len(flat_false):
        raise ValueError(f"{what}: the branches return different structures")
    chosen = []
    for t, f in zip(flat_true, flat_false):
        t, f = b.as_tensor(t), b.as_tensor(f)
        if t.shape != f.shape or t.dtype != f.dtype:
            raise ValueError(f"{what}: a symbolic condition needs branches of equal shapes and dtypes, got "
                             f"{t.shape} {t.dtype} and {f.shape} {f.dtype}")
        chosen.append(b.where(pred, t, f))
    return tree.pack_like(on_true, chosen)


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`.

    A symbolic `pred` (a scalar bool tensor) evaluates both branches and selects with `where`.
    """
    if _known(pred):
        return true_fn() if bool(_value(pred)) else false_fn()
    pred = b.as_tensor(pred)
    if pred.dtype != "bool":
        pred = b.not_equal(pred, b.zeros_like(pred))
    return _select(pred, true_fn(), false_fn(), "cond")


def switch(index, branches, *operands):
    """`branches[index](*operands)`, with `index` clamped to the valid range; a symbolic `index`
    evaluates every branch and selects with `where`."""
    last = len(branches) - 1
    if _known(index):
        return branches[int(np.clip(_value(index), 0, last))](*operands)
    index = b.cast(b.as_tensor(index), "int32")
    results = [branch(*operands) for branch in branches]
    out = results[-1]
    for i in range(last - 1, -1, -1):
        out = _select(b.less_equal(index, i), results[i], out, "switch")
    return out


def _as_tuple(values):
    return (tuple(values), True) if isinstance(values, (tuple, list)) else ((values,), False)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`.

    With known values it runs in Python; symbolically it needs `maximum_iterations`: a scan of
    that many steps whose carry keeps its value once `cond` is false.
    """
    loop_vars, is_tuple = _as_tuple(loop_vars)

    def step(values):
        new, _ = _as_tuple(body(*values))
        if len(new) != len(values):
            raise ValueError(f"while_loop: body returned {len(new)} values for {len(values)} loop variables")
        return new

    if _known(loop_vars) and _known(cond(*loop_vars)):
        count = 0
        while bool(_value(cond(*loop_vars))) and (maximum_iterations is None or count < maximum_iterations):
            loop_vars = tuple(Constant(_value(v)) if isinstance(v, Tensor) else v for v in step(loop_vars))
            count += 1
        return loop_vars if is_tuple else loop_vars[0]
    if maximum_iterations is None:
        raise ValueError("a symbolic while_loop needs `maximum_iterations` (graphs have no data-dependent loops); "
                         "or use fori_loop with Python bounds")
    init = tuple(b.as_tensor(v) for v in loop_vars)

    def masked_step(carry, _):
        active = b.as_tensor(cond(*carry))
        if active.dtype != "bool":
            active = b.not_equal(active, b.zeros_like(active))
        new = [b.as_tensor(n, c.dtype) for n, c in zip(step(carry), carry)]
        return tuple(b.where(active, n, c) for n, c in zip(new, carry)), None

    final, _ = scan(masked_step, init, length=int(maximum_iterations))
    return tuple(final) if is_tuple else final[0]


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for i in [lower, upper): a scan when the bounds are Python ints
    (or values known now)."""
    if not _known(lower, upper):
        raise ValueError("fori_loop needs bounds known when the graph is built (Python ints); "
                         "use while_loop with maximum_iterations for symbolic bounds")
    lower, upper = int(_value(lower)), int(_value(upper))
    if upper <= lower:
        return init_val

    def step(carry, _):
        i, val = carry
        new = body_fun(i, val)
        new = tree.pack_like(val, [b.as_tensor(n, b.as_tensor(v).dtype)
                                   for n, v in zip(tree.flatten(new), tree.flatten(val))])
        return (b.add(i, 1), new), None

    init = tree.pack_like(init_val, [b.as_tensor(v) for v in tree.flatten(init_val)])
    (_, final), _ = scan(step, (b.as_tensor(np.int32(lower)), init), length=upper - lower)
    return final


def map(f, xs):
    """`f` applied to each slice of `xs` along its leading axis, results stacked: a scan."""
    _, ys = scan(lambda carry, x: (carry, f(x)), b.as_tensor(np.int32(0)), xs)
    return ys


def vectorized_map(function, elements):
    """As `map` (a scan over the leading axis); `function` sees one element at a time."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Running combinations f(f(e0, e1), e2)... along `axis` of every leaf of `elems`: a
    sequential scan (same result as a parallel one for an associative `f`)."""
    from layered import ops
    leaves_ = [ops.moveaxis(b.as_tensor(e), axis, 0) for e in tree.flatten(elems)]
    if reverse:
        leaves_ = [ops.flip(e, 0) for e in leaves_]
    first = [e[0] for e in leaves_]
    rest = [e[1:] for e in leaves_]

    def step(carry, x):
        combined = tree.flatten(f(tree.pack_like(elems, list(carry)), tree.pack_like(elems, list(x))))
        return tuple(combined), tuple(combined)

    _, ys = scan(step, tuple(first), tuple(rest))
    out = [b.concatenate([ops.expand_dims(f0, 0), y], 0) for f0, y in zip(first, ys)]
    if reverse:
        out = [ops.flip(o, 0) for o in out]
    return tree.pack_like(elems, [ops.moveaxis(o, 0, axis) for o in out])


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` mapped over the leading axis of its (tensor) arguments: a scan per call."""
    if excluded or signature:
        raise NotImplementedError("vectorize supports neither `excluded` nor `signature`")

    def vectorized(*args):
        return map(lambda xs: pyfunc(*xs), tuple(b.as_tensor(a) for a in args))
    return vectorized


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the Jacobian of `fun` at `primals` times `tangents`): forward mode, built
    as the VJP of the VJP (the VJP is linear in its cotangent, whose VJP is the JVP).

    Example:
        y, dy = ops.jvp(lambda x: x * x, (x,), (ones,))  # dy = 2 x
    """
    from layered.graph.autodiff import vjp
    primals = [b.as_tensor(p) for p in primals]
    result = fun(*primals)
    outputs, aux = result if has_aux else (result, None)
    flat_out = [b.as_tensor(y) for y in tree.flatten(outputs)]
    # The cotangents are leaves of the graph only in name: any value works, the result is linear in them.
    cotangents = [Placeholder(y.shape, y.dtype, name=f"jvp_cotangent_{i}") for i, y in enumerate(flat_out)]
    pulled = vjp(flat_out, primals, cotangents)
    pushed = vjp(pulled, cotangents, [b.as_tensor(t, p.dtype) for t, p in zip(tangents, primals)])
    out_tangents = tree.pack_like(outputs, pushed)
    return (outputs, out_tangents, aux) if has_aux else (outputs, out_tangents)
