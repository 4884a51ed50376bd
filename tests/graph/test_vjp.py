"""Every differentiable primitive's VJP against central finite differences in float64."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import layered
from layered.graph import PRIMITIVES, autodiff, build as b
from layered.graph.autodiff import NotDifferentiableError
from tests.helpers import check_vjp

SETTINGS = settings(max_examples=12, deadline=None)
small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def values(rng, shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


UNARY_DOMAINS = {
    "neg": values, "exp": values, "tanh": values, "logistic": values, "square": values, "erf": values,
    "log": lambda r, s: r.uniform(0.2, 3.0, s), "log1p": lambda r, s: r.uniform(-0.7, 3.0, s),
    "sqrt": lambda r, s: r.uniform(0.2, 3.0, s), "rsqrt": lambda r, s: r.uniform(0.2, 3.0, s),
    "reciprocal": away_from_zero, "abs": away_from_zero, "sign": away_from_zero,
    "sin": values, "cos": values,
    # away from the integers, where floor jumps
    "floor": lambda r, s: r.integers(-3, 3, s) + r.uniform(0.1, 0.9, s),
}


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
@SETTINGS
@given(shape=small_shapes, seed=st.integers(0, 2**16))
def test_unary(name, shape, seed):
    rng = np.random.default_rng(seed)
    check_vjp(getattr(b, name), [UNARY_DOMAINS[name](rng, shape)])


BINARY_DOMAINS = {
    "add": (values, values), "sub": (values, values), "mul": (values, values),
    "div": (values, away_from_zero), "maximum": (values, values), "minimum": (values, values),
    "pow": (lambda r, s: r.uniform(0.3, 2.0, s), values),
    "atan2": (values, away_from_zero),
}


@pytest.mark.parametrize("name", sorted(BINARY_DOMAINS))
@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_binary_with_broadcasting(name, shapes, seed):
    rng = np.random.default_rng(seed)
    dom_x, dom_y = BINARY_DOMAINS[name]
    x, y = dom_x(rng, shapes.input_shapes[0]), dom_y(rng, shapes.input_shapes[1])
    if name in ("maximum", "minimum"):  # keep operands apart: the derivative jumps at ties
        y = np.where(np.abs(x - y) < 0.05, y + 0.2, y)
    check_vjp(getattr(b, name), [x, y])


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_where(shapes, seed):
    rng = np.random.default_rng(seed)
    c, x, y = (values(rng, s) for s in shapes.input_shapes)
    check_vjp(lambda c, x, y: b.where(b.greater(c, 0.0), x, y), [c, x, y], wrt=[1, 2])


reduce_case = st.tuples(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
                        st.integers(0, 2**16), st.booleans())


@pytest.mark.parametrize("name", ["reduce_sum", "reduce_max", "reduce_min"])
@SETTINGS
@given(case=reduce_case, data=st.data())
def test_reductions(name, case, data):
    shape, seed, keepdims = case
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    x = np.random.default_rng(seed).permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape)
    x = x * 0.37 + 0.1  # distinct values: max/min have a unique argument
    check_vjp(lambda x: getattr(b, name)(x, axes or None, keepdims), [x])


def test_max_splits_gradient_between_ties():
    x = layered.placeholder((4,), "float64")
    [g] = autodiff.grad(b.reduce_max(x), [x])
    result = layered.function([x], g)(np.array([1.0, 3.0, 3.0, 2.0]))
    np.testing.assert_allclose(result, [0, 0.5, 0.5, 0])


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), seed=st.integers(0, 2**16))
def test_reshape_and_transpose(shape, seed):
    rng = np.random.default_rng(seed)
    x = values(rng, shape)
    perm = tuple(rng.permutation(len(shape)))
    check_vjp(lambda x: b.transpose(x, perm), [x])
    check_vjp(lambda x: b.reshape(x, (-1,)), [x])


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_broadcast_to(shapes, seed):
    target = np.broadcast_shapes(*shapes.input_shapes)
    x = values(np.random.default_rng(seed), shapes.input_shapes[0])
    check_vjp(lambda x: b.broadcast_to(x, target), [x])


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data())
def test_slice_and_pad(shape, data):
    starts = [data.draw(st.integers(0, d - 1)) for d in shape]
    stops = [data.draw(st.integers(s + 1, d + 1)) for s, d in zip(starts, shape)]
    steps = [data.draw(st.integers(1, 3)) for _ in shape]
    low = [data.draw(st.integers(0, 2)) for _ in shape]
    high = [data.draw(st.integers(0, 2)) for _ in shape]
    interior = [data.draw(st.integers(0, 2)) for _ in shape]
    x = values(np.random.default_rng(0), shape)
    check_vjp(lambda x: b.slice(x, starts, stops, steps), [x])
    check_vjp(lambda x: b.pad(x, low, high, interior), [x])


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), data=st.data())
def test_concatenate(shape, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    other = list(shape)
    other[axis] = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(1)
    check_vjp(lambda x, y: b.concatenate([x, y, x], axis), [values(rng, shape), values(rng, tuple(other))])


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_take_and_scatter_add(shape, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    idx_shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=3))
    rng = np.random.default_rng(2)
    indices = rng.integers(0, shape[axis], size=idx_shape).astype(np.int32)  # repeats included
    x = values(rng, shape)
    check_vjp(lambda x, i: b.take(x, i, axis), [x, indices])
    updates = values(rng, shape[:axis] + idx_shape + shape[axis + 1:])
    check_vjp(lambda x, i, u: b.scatter_add(x, i, u, axis), [x, indices, updates])


@SETTINGS
@given(batch=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2),
       n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3))
def test_matmul_batched(batch, n, k, m):
    rng = np.random.default_rng(3)
    a = values(rng, batch.input_shapes[0] + (n, k))
    c = values(rng, batch.input_shapes[1] + (k, m))
    check_vjp(b.matmul, [a, c])


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_cumsum(shape, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    x = values(np.random.default_rng(10), shape)
    check_vjp(lambda x: b.cumsum(x, axis), [x])
    check_vjp(lambda x: b.cumsum(x, axis, reverse=True), [x])


def test_cast_and_stop_gradient():
    x = np.random.default_rng(4).normal(size=(3, 2))
    check_vjp(lambda x: b.cast(b.cast(x, "float32"), "float64") * x, [x], rtol=1e-5, atol=1e-6, eps=1e-3)
    p = layered.placeholder((3, 2), "float64")
    [g] = autodiff.grad(layered.ops.sum(b.stop_gradient(p) * p), [p])  # the stopped path adds nothing
    np.testing.assert_array_equal(layered.function([p], g)(x), x)


def test_second_derivative():
    x = layered.placeholder((5,), "float64")
    y = layered.ops.sum(b.tanh(x) * b.square(x))
    [dx] = autodiff.grad(y, [x])
    [ddx_sum] = autodiff.grad(layered.ops.sum(dx), [x])
    v = np.linspace(-1.5, 1.5, 5)
    t = np.tanh(v)
    expected = (-2 * t * (1 - t**2)) * v**2 + 4 * v * (1 - t**2) + 2 * t  # d/dx of (1-t^2)x^2 + 2tx
    np.testing.assert_allclose(layered.function([x], ddx_sum)(v), expected, rtol=1e-10)


def test_second_derivative_through_max_and_relu():
    x = layered.placeholder((4,), "float64")
    y = layered.ops.sum(b.square(layered.ops.relu(x))) + b.reduce_max(x) ** 3
    [dx] = autodiff.grad(y, [x])
    [dd] = autodiff.grad(layered.ops.sum(dx), [x])
    v = np.array([-1.0, 0.5, 2.0, 1.0])
    np.testing.assert_allclose(layered.function([x], dd)(v), [0, 2, 2 + 6 * 2.0, 2])


def test_unreached_inputs_get_zeros():
    x, z = layered.placeholder((2, None), "float64"), layered.placeholder((3,), "float64")
    gx, gz = autodiff.grad(layered.ops.sum(x * 2.0), [x, z])
    out = layered.function([x, z], [gx, gz])(np.ones((2, 4)), np.ones(3))
    np.testing.assert_array_equal(out[0], np.full((2, 4), 2.0))
    np.testing.assert_array_equal(out[1], np.zeros(3))


NONDIFF_CASES = {
    "equal": lambda x: b.equal(x, 0.5), "not_equal": lambda x: b.not_equal(x, 0.5),
    "less": lambda x: b.less(x, 0.5), "less_equal": lambda x: b.less_equal(x, 0.5),
    "greater": lambda x: b.greater(x, 0.5), "greater_equal": lambda x: b.greater_equal(x, 0.5),
    "logical_and": lambda x: b.logical_and(b.stop_gradient(x) > 0, x), "logical_or": lambda x: b.logical_or(x, x),
    "logical_not": lambda x: b.logical_not(x),
    "argmax": lambda x: b.argmax(x), "argmin": lambda x: b.argmin(x), "argsort": lambda x: b.argsort(x),
    "one_hot": lambda x: b.one_hot(b.cast(x, "int32"), 3),
    # Bound directly: the builders cut the gradient of their shape-only `like` input.
    "random_uniform": lambda x: b.bind(PRIMITIVES["random_uniform"], [b.as_tensor(np.uint32([1, 2])), x],
                                       shape=(None,), dtype="float64", salt=0),
    "random_normal": lambda x: b.bind(PRIMITIVES["random_normal"], [b.as_tensor(np.uint32([1, 2])), x],
                                      shape=(None,), dtype="float64", salt=0),
}


def test_nondiff_cases_cover_the_table():
    nondiff = {name for name, p in PRIMITIVES.items() if not p.differentiable}
    assert nondiff == set(NONDIFF_CASES)
    assert all(p.vjp is not None for p in PRIMITIVES.values() if p.differentiable)


@pytest.mark.parametrize("name", sorted(NONDIFF_CASES))
def test_nondifferentiable_primitive_raises_naming_it(name):
    x = layered.placeholder((3,), "float64")
    with layered.name_scope("my_layer"):
        y = NONDIFF_CASES[name](x)
    loss = layered.ops.sum(b.cast(y, "float64"))
    with pytest.raises(NotDifferentiableError, match=f"'{name}' in 'my_layer'"):
        autodiff.grad(loss, [x])


def test_masks_built_with_where_do_not_raise():
    x = layered.placeholder((3,), "float64")
    [g] = autodiff.grad(layered.ops.sum(b.where(x > 0.0, x, 0.0)), [x])
    np.testing.assert_array_equal(layered.function([x], g)(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])


def test_grad_errors():
    x = layered.placeholder((3,), "float64")
    with pytest.raises(ValueError, match="scalar"):
        autodiff.grad(x * 2.0, [x])
    i = layered.placeholder((3,), "int32")
    with pytest.raises(TypeError, match="int32"):
        autodiff.grad(layered.ops.sum(b.cast(i, "float64")), [i])


def test_erf_float32_matches_exact():
    x = np.linspace(-4, 4, 2001).astype(np.float32)
    p = layered.placeholder(x.shape, "float32")
    result = layered.function([p], b.erf(p))(x)
    np.testing.assert_allclose(result, [math.erf(v) for v in x.astype(float)], atol=5e-7)


# ---------------------------------------------------------------- convolution and pooling
# name -> (input shape, filter shape, strides, padding pairs, dilation, groups)
CONV_CASES = {
    "2d": ((2, 5, 4, 3), (3, 2, 3, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    "2d_strided_padded": ((1, 6, 5, 2), (3, 3, 2, 3), (2, 1), ((1, 1), (0, 2)), (1, 1), 1),
    "2d_dilated_unread_tail": ((1, 7, 6, 2), (2, 2, 2, 2), (1, 2), ((1, 0), (0, 0)), (2, 1), 1),
    "2d_grouped": ((1, 5, 5, 4), (3, 3, 2, 4), (2, 2), ((1, 1), (1, 1)), (1, 1), 2),
    "2d_depthwise": ((1, 4, 4, 3), (2, 2, 1, 6), (1, 1), ((0, 1), (0, 1)), (1, 1), 3),
    "1d_causal": ((2, 7, 3), (3, 3, 2), (2,), ((2, 0),), (1,), 1),
}


@pytest.mark.parametrize("name", sorted(CONV_CASES))
def test_conv_and_its_backprops(name):
    """conv's VJP, and the VJPs of both backprops (which are conv's second derivatives)."""
    x_shape, w_shape, strides, padding, dilation, groups = CONV_CASES[name]
    attrs = dict(strides=strides, padding=padding, rhs_dilation=dilation, feature_group_count=groups)
    rng = np.random.default_rng(5)
    x, w = values(rng, x_shape), values(rng, w_shape)
    check_vjp(lambda x, w: b.conv(x, w, **attrs), [x, w])
    g = values(rng, layered.function([], b.conv(x, w, **attrs))().shape)
    check_vjp(lambda g, w: b.conv_backprop_input(g, w, x_shape, **attrs), [g, w])
    check_vjp(lambda x, g: b.conv_backprop_filter(x, g, w_shape[:-2], **attrs), [x, g])


def test_conv_second_derivative():
    # d/dw of sum(d loss/dx) for loss = sum(conv(x, w)^2): exercises conv_backprop_input's VJP in a chain.
    x_shape, w_shape = (1, 4, 4, 2), (2, 2, 2, 2)
    rng = np.random.default_rng(6)
    xv, wv = values(rng, x_shape), values(rng, w_shape)

    def first_grad(x, w):
        [dx] = autodiff.grad(layered.ops.sum(b.square(b.conv(x, w))), [x])
        return dx
    check_vjp(first_grad, [xv, wv])


def distinct(rng, shape):
    """Values with no ties (max pooling's derivative jumps where two elements tie)."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 + 0.1) * rng.choice([-1.0, 1.0])


# name -> (input shape, window, strides, padding pairs)
POOL_CASES = {
    "2d": ((2, 4, 6, 2), (2, 2), (2, 2), ((0, 0), (0, 0))),
    "2d_overlapping_padded": ((1, 5, 5, 2), (3, 3), (2, 2), ((1, 1), (1, 1))),
    "2d_unread_tail": ((1, 5, 7, 1), (2, 3), (2, 2), ((0, 0), (0, 0))),
    "1d_same": ((2, 7, 3), (2,), (1,), ((0, 1),)),
}


@pytest.mark.parametrize("name", sorted(POOL_CASES))
def test_pooling_and_backprops(name):
    shape, window, strides, padding = POOL_CASES[name]
    attrs = dict(window=window, strides=strides, padding=padding)
    rng = np.random.default_rng(7)
    x = distinct(rng, shape)
    check_vjp(lambda x: b.max_pool(x, **attrs), [x])
    check_vjp(lambda x: b.avg_pool(x, **attrs), [x])
    g = values(rng, layered.function([], b.max_pool(x, **attrs))().shape)
    check_vjp(lambda g: b.max_pool_backprop(x, b.max_pool(x, **attrs), g, **attrs), [g])
    check_vjp(lambda g: b.avg_pool_backprop(g, shape, **attrs), [g])


def test_max_pool_gradient_goes_to_the_first_of_tied_elements():
    x = layered.placeholder((1, 2, 4, 1), "float64")
    [g] = autodiff.grad(layered.ops.sum(b.max_pool(x, (2, 2))), [x])
    value = np.array([[1.0, 3.0, 2.0, 2.0], [3.0, 0.0, 2.0, 2.0]]).reshape(1, 2, 4, 1)
    expected = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]).reshape(1, 2, 4, 1)
    np.testing.assert_array_equal(layered.function([x], g)(value), expected)


# ---------------------------------------------------------------- scan

def lstm_like_scan(x, keep, h0, c0, w, u, reverse):
    """Two carries, a mask sequence, captured weights (leaves) and a captured intermediate."""
    scaled = w * 0.5  # made outside the body: the body reads it through a placeholder

    def step(carry, inputs):
        (h, c), (x_t, keep_t) = carry, inputs
        z = b.matmul(x_t, scaled) + b.matmul(h, u)
        new_c = c * b.logistic(z) + b.tanh(z) * b.logistic(-z)
        new_h = b.tanh(new_c) * b.logistic(z + 1.0)
        keep_t = b.reshape(keep_t, (-1, 1))
        new_h, new_c = b.where(keep_t, new_h, h), b.where(keep_t, new_c, c)
        return (new_h, new_c), {"h": new_h, "sum": b.reduce_sum(new_c * c, 1)}

    (h, c), ys = layered.ops.scan(step, (h0, c0), (x, keep), reverse=reverse)
    return b.reduce_sum(ys["h"], 0) * 0.7 + h * c + b.reshape(b.reduce_sum(ys["sum"], 0), (-1, 1))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan(reverse):
    rng = np.random.default_rng(8)
    keep = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], bool)
    arrays = [values(rng, (4, 3, 2)), keep, values(rng, (3, 2)), values(rng, (3, 2)),
              values(rng, (2, 2)) * 0.5, values(rng, (2, 2)) * 0.5]
    check_vjp(lambda x, k, h, c, w, u: lstm_like_scan(x, k, h, c, w, u, reverse), arrays)


def test_scan_without_sequences_and_gradients_of_gradients():
    rng = np.random.default_rng(9)

    def power_loop(a, w):  # a carry updated `length` times, no sequence
        final, _ = layered.ops.scan(lambda c, _: (b.sin(b.matmul(c, w)) + c, None), a, length=3)
        return final

    check_vjp(power_loop, [values(rng, (2, 3)), values(rng, (3, 3)) * 0.5])

    def first_grad(x, w):  # the VJP of a scan is a scan: differentiate it again
        h, _ = layered.ops.scan(lambda h, x_t: (b.tanh(b.matmul(h, w) + x_t), None), b.zeros_like(x[0]), x)
        [dw] = autodiff.grad(layered.ops.sum(h * h), [w])
        return dw

    check_vjp(first_grad, [values(rng, (4, 2, 3)), values(rng, (3, 3)) * 0.5])


@pytest.mark.parametrize("backend_name", ["numpy", "jax"])
def test_pad_gradient_on_axes_of_unknown_size_is_cropped_back(backend_name, monkeypatch):
    # Slicing needs known sizes; the rule gathers the unpadded positions at run time instead.
    pytest.importorskip(backend_name)
    monkeypatch.setenv("LAYERED_BACKEND", backend_name)
    weights = np.arange(4 * 8, dtype="float64").reshape(4, 8)
    grads = []
    for shape in [(None, None), (4, 3)]:
        q = layered.placeholder(shape, "float64")
        y = b.pad(q, (0, 2), (0, 1), (0, 1))
        [g] = autodiff.grad(layered.ops.sum(y * layered.constant(weights)), [q])
        grads.append(layered.function([q], g)(np.ones((4, 3))))
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], weights[:, 2:7:2])
