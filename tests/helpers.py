"""Shared test helpers: evaluate graphs and check gradients by finite differences."""
import numpy as np

import layered
from layered.graph import autodiff


def evaluate(outputs, feeds):
    """Run `outputs` with `feeds` = {placeholder: array} on the active backend."""
    placeholders = list(feeds)
    fn = layered.function(placeholders, outputs)
    return fn(*[feeds[p] for p in placeholders])


def check_vjp(build, arrays, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """Compare the symbolic gradient of sum(build(*xs) * R) with central differences.

    `arrays` are float64 inputs (or integer ones, fed but never differentiated); `wrt`
    lists the positions to differentiate (default: every float input).
    """
    arrays = [np.array(a) for a in arrays]
    xs = [layered.placeholder(a.shape, a.dtype.name, name=f"x{i}") for i, a in enumerate(arrays)]
    wrt = [i for i, a in enumerate(arrays) if a.dtype == np.float64] if wrt is None else wrt
    out = build(*xs)
    projection = np.random.default_rng(seed).normal(size=out.shape)
    loss = layered.ops.sum(out * layered.constant(projection, dtype="float64"))
    grads = autodiff.grad(loss, [xs[i] for i in wrt])
    forward = layered.function(xs, loss)
    symbolic = layered.function(xs, grads)(*arrays)
    for g, i in zip(symbolic, wrt):
        numeric = np.zeros_like(arrays[i])
        flat = numeric.reshape(-1)
        for k in range(flat.size):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[i].reshape(-1)[k] += eps
            minus[i].reshape(-1)[k] -= eps
            flat[k] = (forward(*plus) - forward(*minus)) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} of {build}")
