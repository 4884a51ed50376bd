"""The scan primitive: keras.ops.scan semantics, shape errors, passes, the NumPy body plan."""
import numpy as np
import pytest

import backends
import layered
from layered.graph import Graph, autodiff, build as b, passes
from layered.graph.core import ShapeError


def scans(graph):
    return [n for n in graph.nodes if n.primitive.name == "scan"]


@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_sum_with_nested_carries_and_outputs(backend, reverse):
    xs = layered.placeholder((5, 2))

    def step(carry, x):
        total, count = carry["total"], carry["count"]
        return {"total": total + x, "count": count + 1}, (total + x, count)

    carry, (partial, counts) = layered.ops.scan(step, {"total": b.zeros_like(xs[0]), "count": np.int32(0)}, xs,
                                                reverse=reverse)
    value = np.arange(10, dtype="float32").reshape(5, 2)
    out = layered.function([xs], [carry["total"], carry["count"], partial, counts])(value)
    expected = np.cumsum(value[::-1], 0)[::-1] if reverse else np.cumsum(value, 0)
    np.testing.assert_allclose(out[0], value.sum(0))
    assert out[1] == 5
    np.testing.assert_allclose(out[2], expected)  # aligned with xs, as keras.ops.scan
    np.testing.assert_array_equal(out[3], np.arange(5)[::-1] if reverse else np.arange(5))


def test_length_without_sequences_and_no_outputs(backend):
    final, ys = layered.ops.scan(lambda c, _: (c * 2.0, None), layered.constant(1.5), length=4)
    assert ys is None
    assert float(final) == 24.0


def test_unknown_lengths_and_flip(backend):
    x = layered.placeholder((None, 3))
    value = np.arange(12, dtype="float32").reshape(4, 3)
    flipped = layered.ops.flip(x, 0)
    np.testing.assert_array_equal(layered.function([x], flipped)(value), value[::-1])
    np.testing.assert_array_equal(layered.function([x], layered.ops.flip(x))(value), value[::-1, ::-1])


def test_shape_errors_name_the_problem():
    xs = layered.placeholder((4, 3))
    with pytest.raises(ShapeError, match=r"carry of \(3,\) float32 into one of \(1,\) float32"):
        layered.ops.scan(lambda c, x: (b.reduce_sum(c + x, keepdims=True), None), b.zeros_like(xs[0]), xs)
    with pytest.raises(ShapeError, match="different lengths"):
        layered.ops.scan(lambda c, x: (c, None), 0.0, (xs, layered.placeholder((5,))))
    with pytest.raises(ValueError, match="sequences `xs` or a `length`"):
        layered.ops.scan(lambda c, x: (c, None), 0.0)


def test_optimize_prunes_what_nobody_reads_and_keeps_values():
    x = layered.placeholder((6, 2, 3), "float64")
    w = layered.placeholder((3, 3), "float64")
    h0 = layered.placeholder((2, 3), "float64")
    h, ys = layered.ops.scan(lambda h, x_t: (b.tanh(b.matmul(h, w) + x_t), h * 2.0), h0, x)
    inference = Graph([x, w, h0], [h])
    [node] = scans(inference)
    assert node.attrs["saved"] == (0,) and len(node.outputs) == 3  # final h, ys, saved h
    [pruned] = scans(passes.optimize(inference))
    assert pruned.attrs["saved"] == () and len(pruned.outputs) == 1  # nothing stacked

    [dw] = autodiff.grad(layered.ops.sum(h), [w])  # no gradient for x or h0: their loops go
    training = passes.optimize(Graph([x, w, h0], [h, dw]))
    forward, backward = scans(training)
    assert forward.attrs["saved"] == (0,)  # the backward loop reads the saved carries
    assert len(backward.attrs["body"].outputs) == 2  # d carry and d w; no per-step dx
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(6, 2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(2, 3))]
    before = backends.get("numpy").compile(Graph([x, w, h0], [h, dw]))(*arrays)
    after = backends.get("numpy").compile(training)(*arrays)
    for a, c in zip(before, after):
        np.testing.assert_allclose(a, c, rtol=1e-12)


def test_numpy_engine_plans_the_body_once_per_shape_signature(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    from backends.numpy.control_flow import _executables

    x = layered.placeholder((None, None, 3))
    h, _ = layered.ops.scan(lambda h, x_t: (h + x_t, None), b.reduce_sum(x, 0) * 0.0, x)
    fn = layered.function([x], h)
    for steps, batch in ((5, 2), (7, 2), (5, 4)):
        np.testing.assert_allclose(fn(np.ones((steps, batch, 3), "float32")), np.full((batch, 3), steps))
    [node] = scans(fn.graph)
    assert _executables[node.attrs["body"]].plan_count == 2  # batch 2 and batch 4; lengths are free
    np.testing.assert_allclose(fn(np.ones((0, 2, 3), "float32")), np.zeros((2, 3)))  # no steps
