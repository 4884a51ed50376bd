"""`model.fit` of an LSTM against hand-written training loops, on NumPy and on JAX.

Workload: LSTM(128) over sequences of length 50 with 32 features, then Dense(1), mean
squared error, Adam (1e-3), batch 64, float32, synthetic data. Baselines, in the same run
and on the same data and initial weights:
  numpy: a hand-written NumPy LSTM forward pass, backpropagation through time and Adam
         (input projections and weight gradients as single matrix products, in place
         where it counts);
  jax:   a hand-written `lax.scan` LSTM, `jax.value_and_grad` and Adam in one `jax.jit`
         with donated buffers, one batch per call.
Each pair alternates epochs; reported: median time per step (the first epoch of each is a
warm-up that includes compilation) and the ratio layered / hand-written.

Run: python benchmarks/lstm.py [--backends numpy jax] [--steps 8] [--rounds 5]
"""
import argparse
import os

import numpy as np

import layered
from baselines import BETA_1, BETA_2, EPSILON, LR, alternate, jax_adam_state, jax_adam_step
from layered import layers

STEPS, FEATURES, UNITS, BATCH = 50, 32, 128, 64


def build_model():
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input(shape=(STEPS, FEATURES)), layers.LSTM(UNITS), layers.Dense(1)])
    model.compile(optimizer=layered.optimizers.Adam(LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON), loss="mse")
    return model


def sigmoid(x, out=None):
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


class HandNumpy:
    """LSTM + Dense + MSE + Adam in NumPy, backpropagation through time written out."""

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]  # kernel, recurrent_kernel, bias, dense kernel, dense bias
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.t = 0

    def step(self, x, y):
        kernel, recurrent, bias, dense, dense_bias = self.params
        n, steps, features = x.shape
        u = recurrent.shape[0]
        xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(steps * n, features)
        gates = (xt @ kernel).reshape(steps, n, 4 * u)
        gates += bias
        hs = np.zeros((steps + 1, n, u), x.dtype)
        cs = np.zeros((steps + 1, n, u), x.dtype)
        for t in range(steps):
            z = gates[t]
            z += hs[t] @ recurrent
            sigmoid(z[:, :2 * u], out=z[:, :2 * u])
            np.tanh(z[:, 2 * u:3 * u], out=z[:, 2 * u:3 * u])
            sigmoid(z[:, 3 * u:], out=z[:, 3 * u:])
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += i * g
            np.multiply(o, np.tanh(cs[t + 1]), out=hs[t + 1])
        h = hs[steps]
        pred = h @ dense + dense_bias
        diff = pred - y
        loss = float(np.mean(diff * diff))

        dpred = diff * (2.0 / diff.size)
        d_dense, d_dense_bias = h.T @ dpred, dpred.sum(0)
        dh = dpred @ dense.T
        dc = np.zeros_like(dh)
        dz = np.empty_like(gates)
        for t in range(steps - 1, -1, -1):
            z = gates[t]
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            tc = np.tanh(cs[t + 1])
            d = dz[t]
            np.multiply(dh, tc, out=d[:, 3 * u:])
            d[:, 3 * u:] *= o * (1 - o)
            dc += dh * o * (1 - tc * tc)
            np.multiply(dc, g, out=d[:, :u])
            d[:, :u] *= i * (1 - i)
            np.multiply(dc, cs[t], out=d[:, u:2 * u])
            d[:, u:2 * u] *= f * (1 - f)
            np.multiply(dc, i, out=d[:, 2 * u:3 * u])
            d[:, 2 * u:3 * u] *= 1 - g * g
            dc *= f
            dh = d @ recurrent.T
        flat = dz.reshape(steps * n, 4 * u)
        grads = [xt.T @ flat, hs[:steps].reshape(steps * n, u).T @ flat, flat.sum(0), d_dense, d_dense_bias]

        self.t += 1
        alpha = LR * np.sqrt(1 - BETA_2 ** self.t) / (1 - BETA_1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= BETA_1
            m += (1 - BETA_1) * g
            v *= BETA_2
            v += (1 - BETA_2) * g * g
            p -= alpha * m / (np.sqrt(v) + EPSILON)
        return loss

    def epoch(self, x, y, batch_size):
        for start in range(0, len(x), batch_size):
            self.step(x[start:start + batch_size], y[start:start + batch_size])


class HandJax:
    """A lax.scan LSTM, value_and_grad and Adam in one jitted, buffer-donating step."""

    def __init__(self, weights):
        import jax
        import jax.numpy as jnp

        def loss_fn(params, x, y):
            kernel, recurrent, bias, dense, dense_bias = params
            projected = jnp.swapaxes(x, 0, 1) @ kernel + bias

            def cell(carry, z):
                h, c = carry
                i, f, g, o = jnp.split(z + h @ recurrent, 4, axis=-1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
                return (h, c), None

            zeros = jnp.zeros((x.shape[0], recurrent.shape[0]), x.dtype)
            (h, _), _ = jax.lax.scan(cell, (zeros, zeros), projected)
            return jnp.mean((h @ dense + dense_bias - y) ** 2)

        self.jax = jax
        self.state = jax_adam_state(weights)
        self._step = jax.jit(jax_adam_step(loss_fn), donate_argnums=0)

    def step(self, x, y):
        self.state, loss = self._step(self.state, x, y)
        return loss

    def epoch(self, x, y, batch_size):
        for start in range(0, len(x), batch_size):
            loss = self.step(x[start:start + batch_size], y[start:start + batch_size])
        self.jax.block_until_ready(loss)

    @property
    def params(self):
        return [np.asarray(p) for p in self.state[0]]


def compare(backend, steps, rounds):
    os.environ["LAYERED_BACKEND"] = backend
    rng = np.random.default_rng(1)
    n = BATCH * steps
    x = rng.normal(size=(n, STEPS, FEATURES)).astype(np.float32)
    y = (x[:, :, 0].mean(1, keepdims=True) * 3.0).astype(np.float32)
    model = build_model()
    hand = (HandNumpy if backend == "numpy" else HandJax)(model.get_weights())

    # Same weights, same batch: the two agree after one step before we time them.
    model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    hand.step(x[:BATCH], y[:BATCH])
    for p, q in zip(model.get_weights(), hand.params):
        np.testing.assert_allclose(p, q, rtol=1e-3, atol=1e-5)

    # One warm-up round for both (compilation, the last batch's plan).
    times = alternate({"layered": lambda: model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0),
                       "hand": lambda: hand.epoch(x, y, BATCH)}, steps, rounds, warmup=1)
    f, h = times["layered"], times["hand"]
    baseline = "NumPy BPTT" if backend == "numpy" else "lax.scan + value_and_grad"
    print(f"backend {backend}: LSTM({UNITS}), {STEPS} steps x {FEATURES} features, batch {BATCH}, "
          f"{steps} batches/epoch, median of {rounds} epochs")
    print(f"  layered fit  : {f:8.2f} ms/step")
    print(f"  hand-written : {h:8.2f} ms/step  ({baseline})")
    print(f"  ratio        : {f / h:8.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["numpy", "jax"])
    parser.add_argument("--steps", type=int, default=8, help="batches per timed epoch")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for backend in args.backends:
        compare(backend, args.steps, args.rounds)


if __name__ == "__main__":
    main()
