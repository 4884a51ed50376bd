"""Building graphs: shapes, dtypes, errors raised at build time."""
import numpy as np
import pytest

import layered
from layered import ops
from layered.graph import ShapeError, build as b


def test_shapes_propagate_with_unknown_batch():
    x = layered.placeholder((None, 3))
    w = layered.Variable(np.zeros((3, 5), np.float32))
    y = ops.softmax(x @ w)
    assert y.shape == (None, 5) and y.dtype == "float32"
    assert ops.sum(y, axis=0).shape == (5,)
    assert ops.mean(y).shape == ()
    assert x[:, 1:].shape == (None, 2)
    assert ops.expand_dims(x, 1).shape == (None, 1, 3)
    assert ops.concatenate([x, x], axis=1).shape == (None, 6)


def test_shape_error_names_the_scope_and_both_shapes():
    x = layered.placeholder((None, 3))
    w = layered.Variable(np.zeros((4, 5), np.float32))
    with layered.name_scope("dense_1"), pytest.raises(ShapeError, match=r"in 'dense_1': matmul.*\(None, 3\) @ \(4, 5\)"):
        x @ w


def test_broadcast_error_shows_both_shapes():
    with pytest.raises(ShapeError, match=r"\(2, 3\) and \(4,\) do not broadcast"):
        layered.placeholder((2, 3)) + layered.placeholder((4,))


@pytest.mark.parametrize("make", [
    lambda x: b.reshape(x, (7,)),
    lambda x: b.transpose(x, (0, 0)),
    lambda x: b.broadcast_to(x, (2, 5)),
    lambda x: b.concatenate([x, layered.placeholder((3, 3))], 1),
    lambda x: b.take(x, layered.placeholder((2,)), 0),
    lambda x: b.where(x, x, x),
    lambda x: b.reduce_sum(x, 4),
    lambda x: x[5],
    lambda x: b.matmul(x, layered.placeholder((3,))),
])
def test_bad_shapes_fail_at_build_time(make):
    with pytest.raises(ShapeError):
        make(layered.placeholder((2, 3)))


def test_python_numbers_take_the_tensor_dtype():
    x = layered.placeholder((2,), "float64")
    assert (x * 2).dtype == "float64"
    assert (2.5 + layered.placeholder((2,), "float32")).dtype == "float32"
    assert (layered.placeholder((2,), "int32") + layered.placeholder((2,), "float32")).dtype == "float32"


def test_tensor_has_no_truth_value():
    with pytest.raises(TypeError, match="where"):
        bool(layered.placeholder((2,)) > 0.0)


def test_variable_assign_checks_shape():
    v = layered.Variable(np.zeros((2, 2)))
    with pytest.raises(ShapeError, match=r"\(2, 2\).*\(3,\)"):
        v.assign(np.zeros(3))
    v.assign(np.ones((2, 2)))
    np.testing.assert_array_equal(v.numpy(), 1)


@pytest.mark.parametrize("key", [
    (Ellipsis, 0), (0, Ellipsis), (Ellipsis,), (slice(1, 3), Ellipsis, None), (None, Ellipsis, slice(0, 2)),
    (1, slice(None, None, 2)), (Ellipsis, slice(1, None), 2),
])
def test_getitem_matches_numpy(key, backend):
    from tests.helpers import evaluate
    value = np.arange(60, dtype="float32").reshape(3, 4, 5)
    x = layered.placeholder(value.shape)
    np.testing.assert_array_equal(evaluate(x[key], {x: value}), value[key])


def test_getitem_rejects_two_ellipses():
    with pytest.raises(IndexError, match="single ellipsis"):
        layered.placeholder((2, 3))[..., ...]
