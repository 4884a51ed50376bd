"""A small CNN: `model.fit` on each backend against hand-written training steps, in one run.

Workload: 28x28x1 -> Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 ->
Flatten -> Dense 10, softmax cross-entropy, Adam (1e-3), batch 64, float32, synthetic data.

- NumPy: layered `fit` on the NumPy backend against a hand-written NumPy step (im2col into
  preallocated patch buffers + one GEMM per conv, col2im as 9 slice-adds, 2x2 max pool by
  reshape + max and an equality mask backward, Adam in place). Target: ratio <= 1.5.
- JAX: layered `fit` on the JAX backend against a hand-written pure-JAX step
  (`lax.conv_general_dilated`, `lax.reduce_window`, `value_and_grad`, hand Adam, donated
  buffers, one jit per step). Target: the NumPy engine faster than the hand JAX step.
- PyTorch CPU eager, only if torch is importable (never a dependency).

Each timing is the median over epochs after a warm-up epoch (compilation excluded); the
contenders alternate epochs so that they meet the same machine load. Ratios measured in
one run are what to compare: absolute times vary 10-30% between runs on a shared machine.

The JAX backend lowers convolutions to XLA's by default; LAYERED_JAX_CONV=patches uses
im2col + matmul instead, =auto times both per primitive and shape on CPU (see
backends/jax/conv.py).

Run: OPENBLAS_NUM_THREADS=1 python benchmarks/cnn.py [--steps 20] [--rounds 5]
"""
import argparse
import os
import time

import numpy as np

import layered
from baselines import BETA_1, BETA_2, EPSILON, LR, jax_adam_state, jax_adam_step, numpy_adam, softmax_cross_entropy
from layered import layers

BATCH = 64


def build_model():
    layered.utils.set_random_seed(0)
    model = layered.Sequential([
        layered.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(10)])
    model.compile(optimizer=layered.optimizers.Adam(LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


# ---------------------------------------------------------------- hand-written NumPy

class HandNumpy:
    """The same training step written directly in NumPy, buffers preallocated per shape."""

    def __init__(self, weights):
        self.params = [np.array(w) for w in weights]
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.scratch = [np.empty_like(w) for w in weights]
        self.t = 0
        self.buffers = {}

    def _buf(self, name, shape):
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self.buffers[name] = np.empty(shape, np.float32)
        return buf

    def _im2col(self, name, x):
        n, h, w, c = x.shape
        oh, ow = h - 2, w - 2
        patches = self._buf(name, (n, oh, ow, 3, 3, c))
        for i in range(3):
            for j in range(3):
                patches[:, :, :, i, j, :] = x[:, i:i + oh, j:j + ow, :]
        return patches.reshape(n * oh * ow, 9 * c)

    def _col2im(self, name, dpatches, shape):
        n, h, w, c = shape
        oh, ow = h - 2, w - 2
        dx = self._buf(name, shape)
        dx.fill(0)
        dp = dpatches.reshape(n, oh, ow, 3, 3, c)
        for i in range(3):
            for j in range(3):
                dx[:, i:i + oh, j:j + ow, :] += dp[:, :, :, i, j, :]
        return dx

    @staticmethod
    def _pool(a):
        n, h, w, c = a.shape
        cropped = a[:, :h // 2 * 2, :w // 2 * 2, :].reshape(n, h // 2, 2, w // 2, 2, c)
        return cropped, cropped.max(axis=(2, 4))

    def _unpool(self, name, a_shape, cropped, pooled, dpooled):
        grad = self._buf(name, a_shape)
        grad.fill(0)
        n, h, w, c = a_shape
        target = grad[:, :h // 2 * 2, :w // 2 * 2, :].reshape(cropped.shape)
        mask = cropped == pooled[:, :, None, :, None, :]
        np.multiply(mask, dpooled[:, :, None, :, None, :], out=target)
        return grad

    def step(self, x, labels):
        W1, b1, W2, b2, W3, b3 = self.params
        n = x.shape[0]
        p1 = self._im2col("p1", x)
        a1 = np.matmul(p1, W1.reshape(9, 32), out=self._buf("a1", (p1.shape[0], 32)))
        a1 += b1
        np.maximum(a1, 0, out=a1)
        a1 = a1.reshape(n, 26, 26, 32)
        c1, q1 = self._pool(a1)
        p2 = self._im2col("p2", q1)
        a2 = np.matmul(p2, W2.reshape(288, 64), out=self._buf("a2", (p2.shape[0], 64)))
        a2 += b2
        np.maximum(a2, 0, out=a2)
        a2 = a2.reshape(n, 11, 11, 64)
        c2, q2 = self._pool(a2)
        flat = q2.reshape(n, -1)
        probs = flat @ W3
        probs += b3
        loss = softmax_cross_entropy(probs, labels)  # probs now holds d loss / d logits
        dW3, db3 = flat.T @ probs, probs.sum(0)
        dq2 = (probs @ W3.T).reshape(q2.shape)
        da2 = self._unpool("da2", a2.shape, c2, q2, dq2)
        da2 *= a2 > 0
        dz2 = da2.reshape(-1, 64)
        dW2, db2 = (p2.T @ dz2).reshape(W2.shape), dz2.sum(0)
        dq1 = self._col2im("dq1", np.matmul(dz2, W2.reshape(288, 64).T, out=self._buf("dp2", p2.shape)), q1.shape)
        da1 = self._unpool("da1", a1.shape, c1, q1, dq1)
        da1 *= a1 > 0
        dz1 = da1.reshape(-1, 32)
        dW1, db1 = (p1.T @ dz1).reshape(W1.shape), dz1.sum(0)
        self.t += 1
        numpy_adam(self.params, [dW1, db1, dW2, db2, dW3, db3], self.m, self.v, self.scratch, self.t)
        return loss

    def epoch(self, x, y):
        for start in range(0, len(x), BATCH):
            self.step(x[start:start + BATCH], y[start:start + BATCH])


# ---------------------------------------------------------------- hand-written JAX

def hand_jax(weights):
    """A pure-JAX step: value_and_grad of the network, hand Adam, donated state, one jit."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    dims = ("NHWC", "HWIO", "NHWC")

    def forward(params, x):
        w1, b1, w2, b2, w3, b3 = params
        h = jax.nn.relu(lax.conv_general_dilated(x, w1, (1, 1), "VALID", dimension_numbers=dims) + b1)
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        h = jax.nn.relu(lax.conv_general_dilated(h, w2, (1, 1), "VALID", dimension_numbers=dims) + b2)
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        return h.reshape(h.shape[0], -1) @ w3 + b3

    def loss_fn(params, x, labels):
        logits = forward(params, x)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))

    step = jax.jit(jax_adam_step(loss_fn), donate_argnums=0)
    state = [jax_adam_state(weights)]

    def epoch(x, y):
        for start in range(0, len(x), BATCH):
            state[0], loss = step(state[0], x[start:start + BATCH], y[start:start + BATCH])
        jax.block_until_ready(state[0])

    return epoch, lambda: [np.asarray(p) for p in state[0][0]]


# ---------------------------------------------------------------- PyTorch (optional)

def torch_epoch(weights):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(len(os.sched_getaffinity(0)))  # the cores this process may use, as XLA does
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(1600, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=LR, eps=EPSILON)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(x, y):
        xt, yt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y.astype(np.int64))
        for start in range(0, len(x), BATCH):
            optimizer.zero_grad()
            loss = loss_fn(net(xt[start:start + BATCH]), yt[start:start + BATCH])
            loss.backward()
            optimizer.step()
    return epoch


# ---------------------------------------------------------------- timing

def timed_fit(model, backend, x, y, rounds, others):
    """Fit for rounds + 1 epochs on `backend`, running each of `others` (name -> epoch
    function) after every layered epoch; returns name -> median ms/step (epoch 0 excluded)."""
    steps = len(x) // BATCH
    timings = {name: [] for name in ["layered"] + list(others)}
    clock = {}

    def begin(epoch, logs):
        clock["start"] = time.perf_counter()

    def end(epoch, logs):
        elapsed = {"layered": time.perf_counter() - clock["start"]}
        for name, run in others.items():
            time.sleep(0.1)  # let the previous contender's worker threads (XLA's spin) go idle
            start = time.perf_counter()
            run(x, y)
            elapsed[name] = time.perf_counter() - start
        time.sleep(0.1)
        if epoch:  # epoch 0 compiles and is not counted
            for name, seconds in elapsed.items():
                timings[name].append(seconds / steps * 1e3)

    os.environ["LAYERED_BACKEND"] = backend
    timer = layered.callbacks.LambdaCallback(on_epoch_begin=begin, on_epoch_end=end)
    model.fit(x, y, batch_size=BATCH, epochs=rounds + 1, shuffle=False, verbose=0, callbacks=[timer])
    return {name: float(np.median(t)) for name, t in timings.items()}


def check_agreement(x, y):
    """One step from the same weights: layered (NumPy backend) and the hand NumPy step agree."""
    os.environ["LAYERED_BACKEND"] = "numpy"
    model = build_model()
    hand = HandNumpy(model.get_weights())
    model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    hand.step(x[:BATCH], y[:BATCH])
    for p, q in zip(model.get_weights(), hand.params):
        np.testing.assert_allclose(p, q, rtol=1e-3, atol=1e-5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per timed epoch")
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs (after one warm-up epoch)")
    parser.add_argument("--skip-jax", action="store_true")
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    n = BATCH * args.steps
    x = rng.uniform(0, 1, size=(n, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, size=n).astype(np.int32)
    check_agreement(x, y)
    print(f"CNN 28x28x1 conv32-pool-conv64-pool-dense10, batch {BATCH}, Adam; median ms/step over {args.rounds} "
          f"epochs of {args.steps} steps (shared machine: compare ratios within this run)")

    try:
        import jax
    except ImportError:
        jax = None
    os.environ["LAYERED_BACKEND"] = "numpy"
    model = build_model()
    others = {"hand NumPy": HandNumpy(model.get_weights()).epoch}
    if jax is not None:
        others["hand JAX"] = hand_jax(model.get_weights())[0]
    torch_run = torch_epoch(model.get_weights())
    if torch_run is not None:
        others["PyTorch CPU"] = torch_run
    numpy_times = timed_fit(model, "numpy", x, y, args.rounds, others)
    print(f"  layered NumPy engine : {numpy_times['layered']:8.2f}")
    print(f"  hand-written NumPy   : {numpy_times['hand NumPy']:8.2f}   "
          f"(layered / hand = {numpy_times['layered'] / numpy_times['hand NumPy']:.2f}, target <= 1.5)")
    if torch_run is not None:
        print(f"  PyTorch CPU eager    : {numpy_times['PyTorch CPU']:8.2f}")
    if jax is None:
        print("  (jax is not installed: JAX timings skipped)")
        return
    print(f"  hand-written JAX     : {numpy_times['hand JAX']:8.2f}   "
          f"(NumPy engine / hand JAX = {numpy_times['layered'] / numpy_times['hand JAX']:.2f}, target < 1)")
    if args.skip_jax:
        return
    os.environ["LAYERED_BACKEND"] = "jax"
    model = build_model()
    jax_times = timed_fit(model, "jax", x, y, args.rounds, {"hand JAX": hand_jax(model.get_weights())[0]})
    from backends.jax import conv as jax_conv
    chosen = sorted({(name, kind) for (name, *_), kind in jax_conv._chosen.items()})
    print(f"JAX backend on {jax.devices()[0].platform} (LAYERED_JAX_CONV="
          f"{os.environ.get('LAYERED_JAX_CONV', 'xla')}; chosen: {chosen or 'xla'}):")
    print(f"  layered JAX          : {jax_times['layered']:8.2f}")
    print(f"  hand-written JAX     : {jax_times['hand JAX']:8.2f}   "
          f"(layered JAX / hand JAX = {jax_times['layered'] / jax_times['hand JAX']:.2f})")


if __name__ == "__main__":
    main()
