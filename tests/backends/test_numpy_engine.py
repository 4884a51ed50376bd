"""The NumPy engine: results, buffer reuse, donation, plan caching, randomness."""
import numpy as np
import pytest

import layered
from layered import ops
from layered.graph import Graph, PRIMITIVES, build as b
from backends.numpy import backend
from backends.numpy.executor import Executable


@pytest.fixture(autouse=True)
def numpy_backend(monkeypatch):
    """These tests are about the NumPy engine, whatever LAYERED_BACKEND the run was given."""
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")


def test_every_primitive_has_a_kernel():
    assert set(PRIMITIVES) == set(backend.primitives)


def test_matches_direct_numpy():
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    x, w = layered.placeholder((None, 4)), layered.placeholder((4, 3))
    y = ops.softmax(ops.tanh(x @ w) * 2.0 + 1.0)
    z = ops.sum(ops.exp(-ops.square(x)), axis=1, keepdims=True) / ops.sqrt(ops.abs(x) + 1.0)
    got_y, got_z = layered.function([x, w], [y, z])(xv, wv)
    e = np.exp(np.tanh(xv @ wv) * 2 + 1)
    np.testing.assert_allclose(got_y, e / e.sum(-1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(got_z, np.exp(-xv**2).sum(1, keepdims=True) / np.sqrt(np.abs(xv) + 1), rtol=1e-6)


def test_buffer_reuse_keeps_values_read_later():
    # A long chain whose early values fan out to the end: reused buffers must not clobber them.
    x = layered.placeholder((3, 4), "float64")
    early = [x * float(k + 1) for k in range(4)]
    h = x
    for k in range(30):
        h = ops.tanh(h) + early[k % 4] * 0.1
    out = h + early[0] + early[3] @ ops.transpose(early[1]) @ early[2]
    xv = np.random.default_rng(1).normal(size=(3, 4))
    ev = [xv * (k + 1) for k in range(4)]
    hv = xv
    for k in range(30):
        hv = np.tanh(hv) + ev[k % 4] * 0.1
    expected = hv + ev[0] + ev[3] @ ev[1].T @ ev[2]
    f = layered.function([x], out)
    np.testing.assert_allclose(f(xv), expected, rtol=1e-12)
    np.testing.assert_allclose(f(xv), expected, rtol=1e-12)  # second call reuses the same buffers


def test_buffers_are_shared_by_liveness():
    x = layered.placeholder((64, 64), "float64")
    h = x
    for _ in range(20):
        h = ops.tanh(h * 1.5) + 0.5
    exe = Executable(Graph([x], [ops.sum(h)]))
    exe(np.ones((64, 64)))
    plan = next(iter(exe._plans.values()))
    buffers = {id(cell.cell_contents) for step in plan.steps for cell in (step.__closure__ or ())
               if isinstance(cell.cell_contents, np.ndarray) and cell.cell_contents.shape == (64, 64)}
    assert len(buffers) <= 2  # 60 elementwise results share at most two buffers


def test_outputs_are_not_overwritten_by_later_calls():
    x = layered.placeholder((3,), "float64")
    f = layered.function([x], [x * 2.0, ops.reshape(x * 3.0, (3, 1))])
    first = f(np.ones(3))
    f(np.full(3, 5.0))
    np.testing.assert_array_equal(first[0], [2, 2, 2])
    np.testing.assert_array_equal(first[1], [[3], [3], [3]])


def test_donated_variable_is_updated_in_place():
    w = layered.Variable(np.ones((4, 4), np.float32))
    buffer = w.value
    g = layered.placeholder((4, 4))
    step = layered.function([g], ops.sum(w), updates=[(w, w - g * 0.5)])
    assert step(np.ones((4, 4), np.float32)) == 16.0  # the output reads the value before the update
    assert w.value is buffer
    np.testing.assert_array_equal(w.numpy(), np.full((4, 4), 0.5))


def test_variable_read_as_output_is_not_clobbered_by_its_update():
    w = layered.Variable(np.arange(3.0))
    f = layered.function([], [w], updates=[(w, w + 1.0)])
    np.testing.assert_array_equal(f()[0], [0, 1, 2])
    np.testing.assert_array_equal(w.numpy(), [1, 2, 3])


def test_input_arrays_are_never_written():
    x = layered.placeholder((3,), "float64")
    f = layered.function([x], ops.exp(x) + 1.0)
    xv = np.zeros(3)
    f(xv)
    np.testing.assert_array_equal(xv, 0)


def test_plans_are_cached_by_shape_signature():
    x = layered.placeholder((None, 3))
    exe = Executable(Graph([x], [ops.sum(x * 2.0, axis=1)]))
    for n in (4, 4, 7, 4, 7):
        np.testing.assert_allclose(exe(np.ones((n, 3), np.float32))[0], np.full(n, 6.0))
    assert exe.plan_count == 2


def test_input_shape_and_dtype_are_checked():
    x = layered.placeholder((None, 3))
    exe = Executable(Graph([x], [x * 2.0]))
    with pytest.raises(ValueError, match=r"expects shape \(None, 3\), got \(2, 4\)"):
        exe(np.ones((2, 4), np.float32))
    with pytest.raises(TypeError, match="expects dtype float32, got float64"):
        exe(np.ones((2, 3)))


def test_random_is_deterministic_by_seed():
    seed = layered.placeholder((2,), "uint32")
    x = layered.placeholder((None, 5))
    u = b.random_uniform(seed, (None, 5), like=x, salt=1)
    n = b.random_normal(seed, (None, 5), like=x, salt=1)
    f = layered.function([seed, x], [u, n])
    ones = np.ones((1000, 5), np.float32)
    a, b1 = f(np.uint32([1, 7]), ones)
    c, _ = f(np.uint32([1, 7]), ones)
    d, _ = f(np.uint32([2, 7]), ones)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, d)
    assert a.shape == (1000, 5) and a.dtype == np.float32 and 0 <= a.min() and a.max() < 1
    assert abs(a.mean() - 0.5) < 0.02 and abs(b1.mean()) < 0.05 and abs(b1.std() - 1) < 0.05


def test_different_salts_give_different_streams():
    seed = layered.placeholder((2,), "uint32")
    u1 = b.random_uniform(seed, (100,), salt=1)
    u2 = b.random_uniform(seed, (100,), salt=2)
    a, c = layered.function([seed], [u1, u2])(np.uint32([3, 4]))
    assert not np.array_equal(a, c)


def test_structural_kernels():
    xv = np.arange(24.0).reshape(2, 3, 4)
    x = layered.placeholder((None, 3, 4), "float64")
    outs = [x[:, 1:, ::2], ops.pad(x, [(0, 0), (1, 0), (0, 2)]), ops.concatenate([x, x], axis=2),
            b.take(x, np.int32([[2, 0]]), axis=1), b.one_hot(np.int32([0, 2, 5]), 3),
            b.argmax(x, axis=2), ops.max(x, axis=(0, 2)), ops.mean(x, axis=0),
            b.scatter_add(x, np.int32([0, 0]), np.ones((2, 2, 4)), axis=1)]
    got = layered.function([x], outs)(xv)
    scattered = xv.copy()
    scattered[:, 0] += 2
    expected = [xv[:, 1:, ::2], np.pad(xv, [(0, 0), (1, 0), (0, 2)]), np.concatenate([xv, xv], 2),
                np.take(xv, [[2, 0]], axis=1), np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0]]),
                np.argmax(xv, 2), xv.max(axis=(0, 2)), xv.mean(0), scattered]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e)
