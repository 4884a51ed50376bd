"""Every primitive on both backends: forward values and gradients agree (float32)."""
import numpy as np
import pytest

import backends
import layered
from layered.graph import Graph, PRIMITIVES, autodiff, build as b

jax = pytest.importorskip("jax")

rng = np.random.default_rng(0)
F = lambda *shape: rng.uniform(-2, 2, shape).astype(np.float32)  # noqa: E731
POS = lambda *shape: rng.uniform(0.3, 2, shape).astype(np.float32)  # noqa: E731
IDX = np.int32([[2, 0], [1, 1]])

# name -> (builder over placeholders, input arrays)
CASES = {name: (getattr(b, name), [POS(3, 4)]) for name in
         ("neg", "exp", "log", "log1p", "sqrt", "rsqrt", "tanh", "logistic", "abs", "sign",
          "square", "reciprocal", "erf", "sin", "cos", "floor")}
CASES.update({name: (getattr(b, name), [POS(3, 4), POS(4)]) for name in
              ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2")})
CASES.update({name: (lambda x, y, n=name: b.where(getattr(b, n)(x, y), x, y), [F(3, 4), F(3, 4)]) for name in
              ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")})
CASES.update({
    "logical_and": (lambda x: b.where(b.logical_and(x > 0.0, x < 1.0), x, 0.0), [F(3, 4)]),
    "logical_or": (lambda x: b.where(b.logical_or(x > 1.0, x < -1.0), x, 0.0), [F(3, 4)]),
    "logical_not": (lambda x: b.where(b.logical_not(x > 0.0), x, 0.0), [F(3, 4)]),
    "where": (lambda x, y: b.where(x > y, x * 2.0, y), [F(3, 4), F(4)]),
    "reduce_sum": (lambda x: b.reduce_sum(x, (0, 2), keepdims=True), [F(2, 3, 4)]),
    "reduce_max": (lambda x: b.reduce_max(x, 1), [F(2, 3, 4)]),
    "reduce_min": (lambda x: b.reduce_min(x, None), [F(2, 3, 4)]),
    "argmax": (lambda x: x * b.cast(b.argmax(b.stop_gradient(x), 1), "float32")[:, None], [F(3, 4)]),
    "argmin": (lambda x: x * b.cast(b.argmin(b.stop_gradient(x), 0), "float32"), [F(3, 4)]),
    "reshape": (lambda x: b.reshape(x, (4, -1)), [F(2, 3, 4)]),
    "transpose": (lambda x: b.transpose(x, (2, 0, 1)), [F(2, 3, 4)]),
    "broadcast_to": (lambda x: b.broadcast_to(x, (2, 3, 4)), [F(3, 1)]),
    "slice": (lambda x: b.slice(x, (0, 1, 0), (2, 3, 4), (1, 1, 3)), [F(2, 3, 4)]),
    "concatenate": (lambda x, y: b.concatenate([x, y, x], 1), [F(2, 3), F(2, 2)]),
    "pad": (lambda x: b.pad(x, (1, 0), (0, 2), (1, 0)), [F(2, 3)]),
    "take": (lambda x: b.take(x, IDX, 1), [F(2, 3, 4)]),
    "scatter_add": (lambda x, u: b.scatter_add(x, IDX, u, 0), [F(3, 4), F(2, 2, 4)]),
    "one_hot": (lambda x: x * b.one_hot(np.int32([0, 2, 5]), 4), [F(3, 4)]),
    "matmul": (b.matmul, [F(2, 3, 4), F(4, 5)]),
    "cumsum": (lambda x: b.cumsum(x, 1) + b.cumsum(x, 0, reverse=True), [F(3, 4)]),
    "argsort": (lambda x: x * b.cast(b.argsort(b.stop_gradient(x), 0), "float32"), [F(3, 4)]),
    "cast": (lambda x: b.cast(b.cast(x, "float16"), "float32") * x, [F(3, 4)]),
    "stop_gradient": (lambda x: b.stop_gradient(x) * x, [F(3, 4)]),
    "random_uniform": (lambda x: x * b.random_uniform(np.uint32([1, 2]), x.shape), [F(3, 4)]),
    "random_normal": (lambda x: x * b.random_normal(np.uint32([1, 2]), x.shape), [F(3, 4)]),
})
CONV = dict(strides=(2, 1), padding=((1, 1), (0, 2)), rhs_dilation=(1, 2), feature_group_count=2)
POOL = dict(window=(3, 2), strides=(2, 2), padding=((1, 1), (0, 1)))
CASES.update({
    "conv": (lambda x, w: b.conv(x, w, **CONV), [F(2, 7, 6, 4), F(3, 2, 2, 6)]),
    "conv_backprop_input": (lambda g, w: b.conv_backprop_input(g, w, (2, 7, 6, 4), **CONV),
                            [F(2, 4, 6, 6), F(3, 2, 2, 6)]),
    "conv_backprop_filter": (lambda x, g: b.conv_backprop_filter(x, g, (3, 2), **CONV),
                             [F(2, 7, 6, 4), F(2, 4, 6, 6)]),
    "max_pool": (lambda x: b.max_pool(x, **POOL), [F(2, 7, 6, 3)]),
    "max_pool_backprop": (lambda x, g: b.max_pool_backprop(x, b.max_pool(x, **POOL), g, **POOL),
                          [F(2, 7, 6, 3), F(2, 4, 3, 3)]),
    "avg_pool": (lambda x: b.avg_pool(x, **POOL), [F(2, 7, 6, 3)]),
    "avg_pool_backprop": (lambda g: b.avg_pool_backprop(g, (2, 7, 6, 3), **POOL), [F(2, 4, 3, 3)]),
})



def _scan_case(x, h0, w):
    def step(h, x_t):
        new = b.tanh(b.matmul(h, w) + x_t)
        return new, new * b.logistic(x_t)
    for reverse in (False, True):
        h0, ys = layered.ops.scan(step, h0, x, reverse=reverse)
    return ys + h0


CASES["scan"] = (_scan_case, [F(4, 3, 5), F(3, 5), F(5, 5) * 0.5])


def run(backend_name, build, arrays):
    xs = [layered.placeholder(a.shape, a.dtype.name) for a in arrays]
    out = build(*xs)
    projection = np.linspace(-1, 1, int(np.prod(out.shape))).reshape(out.shape).astype(np.float32)
    loss = layered.ops.sum(out * layered.constant(projection))
    grads = autodiff.grad(loss, xs)
    fn = backends.get(backend_name).compile(Graph(xs, [out] + grads))
    return [np.asarray(r) for r in fn(*arrays)]


def test_cases_cover_the_table():
    assert set(CASES) == set(PRIMITIVES)


def test_take_counts_negative_indices_from_the_end_on_both_backends():
    x = F(2, 3, 4)
    indices = np.int32([[-1, 0], [-3, 2]])
    expected = np.take(x, indices, axis=1)
    for name in ("numpy", "jax"):
        value, _ = run(name, lambda t: b.take(t, indices, 1), [x])
        np.testing.assert_allclose(value, expected, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_and_jax_agree(name):
    build, arrays = CASES[name]
    ours, theirs = run("numpy", build, arrays), run("jax", build, arrays)
    if name.startswith("random"):  # different generators: compare statistics, shapes and dtypes
        assert [r.shape for r in ours] == [r.shape for r in theirs]
        return
    for a, c in zip(ours, theirs):
        np.testing.assert_allclose(a, c, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_symbolic_gradients_match_jax_grad(name):
    """jax.grad of the lowered forward graph is an independent check of the VJP table."""
    from backends.jax import lower

    build, arrays = CASES[name]
    xs = [layered.placeholder(a.shape, a.dtype.name) for a in arrays]
    out = build(*xs)
    projection = np.linspace(-1, 1, int(np.prod(out.shape))).reshape(out.shape).astype(np.float32)
    loss = layered.ops.sum(out * layered.constant(projection))
    grads = autodiff.grad(loss, xs)
    ours = [np.asarray(g) for g in backends.get("jax").compile(Graph(xs, grads))(*arrays)]
    forward = lower(Graph(xs, [loss]))
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def scalar(*float_args):
        args = list(arrays)
        for i, a in zip(floats, float_args):
            args[i] = a
        return forward(*args)[0]

    theirs = jax.grad(scalar, argnums=tuple(range(len(floats))))(*[arrays[i] for i in floats])
    for i, g in zip(floats, theirs):
        np.testing.assert_allclose(ours[i], np.asarray(g), rtol=2e-3, atol=2e-3, err_msg=f"{name}: input {i}")
