"""The low-level API: function, updates, minimize, composites against NumPy references."""
import numpy as np
import pytest

import layered
from layered import ops


def test_function_with_updates_counts_calls():
    counter = layered.Variable(0, dtype="int32")
    x = layered.placeholder(())
    f = layered.function([x], x * 2.0, updates=[(counter, counter + 1)])
    assert f(3.0) == 6.0
    f(1.0)
    assert int(counter.numpy()) == 2


def test_function_argument_errors():
    x = layered.placeholder((2,))
    f = layered.function([x], x + 1.0)
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        f(np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"expects shape \(2,\), got \(3,\)"):
        f(np.zeros(3))
    with pytest.raises(TypeError, match="placeholders"):
        layered.function([layered.constant(1.0)], x)
    with pytest.raises(ValueError, match="not among its inputs"):
        layered.function([], x + 1.0)
    v = layered.Variable(np.zeros(2))
    with pytest.raises(ValueError, match=r"update of variable .* \(2,\) has shape \(3,\)"):
        layered.function([], v, updates=[(v, layered.constant(np.zeros(3)))])


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_reference(momentum, nesterov):
    rng = np.random.default_rng(0)
    target = rng.normal(size=(4,))
    w = layered.Variable(np.zeros(4), dtype="float64")
    loss = ops.sum(ops.square(w - layered.constant(target)))
    step = layered.optimizers.SGD(0.1, momentum=momentum, nesterov=nesterov).minimize(loss, [w])
    ref_w, ref_m = np.zeros(4), np.zeros(4)
    for _ in range(5):
        step()
        g = 2 * (ref_w - target)
        if momentum:
            ref_m = momentum * ref_m - 0.1 * g
            ref_w = ref_w + (momentum * ref_m - 0.1 * g if nesterov else ref_m)
        else:
            ref_w = ref_w - 0.1 * g
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-6)  # the learning rate is held in float32


def test_learning_rate_changes_without_recompiling():
    w = layered.Variable(1.0)
    opt = layered.optimizers.SGD(0.5)
    step = opt.minimize(ops.square(w), [w])
    step()
    assert float(w.numpy()) == 0.0
    w.assign(1.0)
    opt.learning_rate = 0.25
    step()
    assert float(w.numpy()) == 0.5
    if hasattr(step._executable, "plan_count"):  # NumPy: one plan, reused
        assert step._executable.plan_count == 1


def test_minimize_with_inputs_fits_a_line():
    x, y = layered.placeholder((None,)), layered.placeholder((None,))
    w, c = layered.Variable(0.0), layered.Variable(0.0)
    loss = ops.mean(ops.square(w * x + c - y))
    step = layered.optimizers.SGD(0.1).minimize(loss, [w, c], inputs=[x, y])
    xs = np.linspace(-1, 1, 50, dtype=np.float32)
    for _ in range(500):
        step(xs, 3 * xs - 1)
    assert abs(float(w.numpy()) - 3) < 1e-3 and abs(float(c.numpy()) + 1) < 1e-3


def test_composites_against_numpy():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(4, 5)).astype(np.float64)
    labels = np.int32([0, 4, 2, 1])
    x = layered.placeholder((None, 5), "float64")
    t = layered.placeholder((None,), "int32")
    outs = layered.function([x, t], [
        ops.softmax(x), ops.log_softmax(x), ops.logsumexp(x, axis=1), ops.mean(x, axis=0), ops.var(x),
        ops.gelu(x, approximate=False), ops.gelu(x), ops.softplus(x), ops.relu(x),
        ops.sparse_categorical_crossentropy(t, x, from_logits=True),
    ])(v, labels)
    lse = np.log(np.exp(v).sum(1))
    from math import erf
    expected = [np.exp(v) / np.exp(v).sum(1, keepdims=True), v - lse[:, None], lse, v.mean(0), v.var(),
                v * 0.5 * (1 + np.vectorize(erf)(v / np.sqrt(2))),
                0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v**3))),
                np.log1p(np.exp(v)), np.maximum(v, 0), lse - v[np.arange(4), labels]]
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_mean_over_unknown_batch_divides_by_the_runtime_size():
    x = layered.placeholder((None, 2))
    f = layered.function([x], ops.mean(x))
    assert f(np.ones((3, 2), np.float32)) == 1.0
    assert f(np.full((7, 2), 2.0, np.float32)) == 2.0


def test_tensors_over_constants_and_variables_have_values(backend):
    x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    assert float(layered.ops.mean(x)) == 2.5
    np.testing.assert_allclose(np.asarray(layered.ops.softmax(x)), np.exp(x) / np.exp(x).sum(1, keepdims=True),
                               rtol=1e-6)
    loss = layered.losses.MeanSquaredError()(np.zeros((2, 2)), x)
    assert loss.numpy() == np.float32(7.5) and layered.ops.convert_to_numpy(loss) == np.float32(7.5)
    w = layered.Variable(np.ones(3))
    assert float(layered.ops.sum(w * 2.0)) == 6.0 and np.asarray(w).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="depends on the placeholder 'p'"):
        (layered.placeholder((2,), name="p") + 1.0).numpy()


def test_optimizer_learning_rate_reads_as_a_float_and_assigns_like_a_variable():
    opt = layered.optimizers.Adam(0.01)
    assert opt.learning_rate == pytest.approx(0.01)
    opt.learning_rate.assign(0.5)
    assert float(opt.learning_rate) == 0.5 and opt.learning_rate.numpy() == np.float32(0.5)
    assert int(opt.iterations) == 0
