"""What the benchmarks' hand-written baselines share: Adam's settings, Adam in place in
NumPy, softmax cross-entropy with its gradient in place, the MLP's gradients in NumPy,
Adam as one pure-JAX step, and the loop that times contenders in turn.

The scripts import it as `baselines` (run as `python benchmarks/x.py`, their folder is on
sys.path). JAX is imported only by the JAX functions, so the NumPy baselines run without it.
"""
import time

import numpy as np

LR, BETA_1, BETA_2, EPSILON = 1e-3, 0.9, 0.999, 1e-7


def numpy_adam(params, grads, m, v, scratch, t):
    """One Adam step in place, as a careful NumPy user writes it: no array is allocated.

    Args:
        params, m, v, scratch: lists of arrays of the same shapes; params, m and v are
            updated, scratch is overwritten.
        grads: the gradients, overwritten (they hold (1 - BETA_2) * g ** 2 afterwards).
        t: the step count, this step included (1 on the first step).

    Example:
        self.t += 1
        numpy_adam(self.params, grads, self.m, self.v, self.scratch, self.t)
    """
    alpha = LR * np.sqrt(1 - BETA_2 ** t) / (1 - BETA_1 ** t)
    for p, g, a, b, s in zip(params, grads, m, v, scratch):
        a *= BETA_1
        a += (1 - BETA_1) * g
        np.square(g, out=g)
        b *= BETA_2
        g *= 1 - BETA_2
        b += g
        np.sqrt(b, out=s)
        s += EPSILON
        np.divide(a, s, out=s)
        s *= alpha
        p -= s


def softmax_cross_entropy(logits, labels):
    """The mean softmax cross-entropy of integer labels, its gradient written over the logits.

    Args:
        logits: (batch, classes) float array; on return, d loss / d logits.
        labels: (batch,) integer class indices.
    Returns:
        The loss, a NumPy scalar.

    Example:
        loss = softmax_cross_entropy(probs, labels)  # probs now holds the gradient
        dW3 = h2.T @ probs
    """
    n = logits.shape[0]
    probs = logits
    probs -= probs.max(axis=1, keepdims=True)
    np.exp(probs, out=probs)
    probs /= probs.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = -np.log(probs[rows, labels]).mean()
    probs[rows, labels] -= 1.0
    probs /= n
    return loss


def mlp_gradients(params, x, labels):
    """Loss and gradients of a two-hidden-layer relu MLP with softmax cross-entropy, in NumPy.

    Args:
        params: [W1, b1, W2, b2, W3, b3], read only.
        x: (batch, features) float array; labels: (batch,) integer class indices.
    Returns:
        (loss, grads), grads a list in the order of params (fresh arrays, free to overwrite).

    Example:
        loss, grads = mlp_gradients(self.params, x, labels)
        numpy_adam(self.params, grads, self.m, self.v, self.scratch, self.t)
    """
    W1, b1, W2, b2, W3, b3 = params
    h1 = x @ W1
    h1 += b1
    np.maximum(h1, 0, out=h1)
    h2 = h1 @ W2
    h2 += b2
    np.maximum(h2, 0, out=h2)
    d3 = h2 @ W3
    d3 += b3
    loss = softmax_cross_entropy(d3, labels)  # d3 now holds d loss / d logits
    d2 = d3 @ W3.T
    d2 *= h2 > 0
    d1 = d2 @ W2.T
    d1 *= h1 > 0
    return loss, [x.T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ d3, d3.sum(0)]


def jax_adam_state(weights):
    """The state `jax_adam_step`'s step takes: (params, m, v, t), on the default JAX device.

    Example:
        state = jax_adam_state(model.get_weights())
        state, loss = step(state, x, labels)
    """
    import jax.numpy as jnp

    return ([jnp.asarray(w) for w in weights], [jnp.zeros_like(w) for w in weights],
            [jnp.zeros_like(w) for w in weights], jnp.zeros((), jnp.float32))


def jax_adam_step(loss_fn):
    """A pure-JAX training step: `value_and_grad` of `loss_fn`, then Adam on plain lists.

    Args:
        loss_fn: (params, *batch) -> scalar loss, params a list of arrays.
    Returns:
        step(state, *batch) -> (state, loss), state as `jax_adam_state` makes it; meant
        for `jax.jit(step, donate_argnums=0)`.

    Example:
        step = jax.jit(jax_adam_step(loss_fn), donate_argnums=0)
        state, loss = step(jax_adam_state(weights), x, labels)
    """
    import jax
    import jax.numpy as jnp

    def step(state, *batch):
        params, m, v, t = state
        loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
        t = t + 1
        alpha = LR * jnp.sqrt(1 - BETA_2 ** t) / (1 - BETA_1 ** t)
        m = [BETA_1 * a + (1 - BETA_1) * g for a, g in zip(m, grads)]
        v = [BETA_2 * a + (1 - BETA_2) * g * g for a, g in zip(v, grads)]
        params = [p - alpha * a / (jnp.sqrt(b) + EPSILON) for p, a, b in zip(params, m, v)]
        return (params, m, v, t), loss
    return step


def alternate(epochs, steps, rounds, warmup=0):
    """Times each contender's epoch in turn, round after round, so all meet the same load.

    Args:
        epochs: name -> function of no arguments that runs one epoch of `steps` steps.
        steps: steps per epoch.
        rounds: timed rounds, each running every epoch function once, in order.
        warmup: untimed rounds before them (compilation, first-call plans).
    Returns:
        name -> median milliseconds per step over the timed rounds.

    Example:
        times = alternate({"layered": lambda: model.fit(x, y, epochs=1, verbose=0),
                           "hand": lambda: hand.epoch(x, y)}, steps=8, rounds=5, warmup=1)
    """
    seconds = {name: [] for name in epochs}
    for _ in range(warmup + rounds):
        for name, run in epochs.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    return {name: float(np.median(s[warmup:])) / steps * 1e3 for name, s in seconds.items()}
