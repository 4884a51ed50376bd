"""`model.fit` on the JAX backend against a hand-written pure-JAX training loop.

Workload: a 784-256-256-10 MLP, softmax cross-entropy, Adam (1e-3), float32, synthetic
data shuffled every epoch. The baseline is what a careful JAX user writes: one `jax.jit`
of `value_and_grad` plus a hand-written Adam with donated buffers, fed one batch per call
(and, for steps_per_execution=K, K batches per call through `lax.scan`). Both run in this
process, alternating epochs; reported: median time per step and the ratio layered / hand.
If `keras` (3.x, JAX backend) is installed, the same model is timed with it too.
Targets: ratio <= 1.05 at steps_per_execution=1; <= 0.9 of the hand per-step loop with 10.

Run: LAYERED_BACKEND=jax python benchmarks/jax_step.py [--batches 32 128 1024] [--rounds 5]
"""
import argparse
import os
import time

os.environ.setdefault("LAYERED_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import layered  # noqa: E402
from baselines import BETA_1, BETA_2, EPSILON, LR, jax_adam_state, jax_adam_step  # noqa: E402
from layered import layers  # noqa: E402

SIZES = (784, 256, 256, 10)


def build_model(steps_per_execution):
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input(shape=(SIZES[0],))] + [
        layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [layers.Dense(SIZES[-1])])
    model.compile(optimizer=layered.optimizers.Adam(LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_execution)
    return model


def loss_fn(params, x, labels):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = jax.nn.relu(h @ params[i] + params[i + 1])
    logits = h @ params[-2] + params[-1]
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))


adam_step = jax_adam_step(loss_fn)


class HandWritten:
    def __init__(self, weights, steps_per_call):
        self.state = jax_adam_state(weights)
        self.k = steps_per_call
        self.one = jax.jit(adam_step, donate_argnums=0)
        self.many = jax.jit(lambda state, xs, ys: jax.lax.scan(lambda s, b: adam_step(s, *b), state, (xs, ys)),
                            donate_argnums=0)

    def epoch(self, x, y, batch, rng):
        order = rng.permutation(len(x))
        steps = len(x) // batch
        for start in range(0, steps, self.k):
            index = np.sort(order[start * batch:(start + self.k) * batch])
            if self.k == 1:
                self.state, _ = self.one(self.state, x[index], y[index])
            else:
                self.state, _ = self.many(self.state, x[index].reshape(self.k, batch, -1),
                                          y[index].reshape(self.k, batch))
        jax.block_until_ready(self.state)


def keras_runner(steps_per_execution):
    try:
        import keras
    except ImportError:
        return None
    if keras.backend.backend() != "jax":
        return None
    model = keras.Sequential([keras.Input(shape=(SIZES[0],))] + [
        keras.layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [keras.layers.Dense(SIZES[-1])])
    model.compile(optimizer=keras.optimizers.Adam(LR), steps_per_execution=steps_per_execution,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return lambda x, y, batch: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def measure(batch, steps, rounds, k):
    """Median ms/step of each: one `fit` call runs all the layered epochs (timed from epoch
    begin to epoch end, the loss read back included); a hand epoch (and a Keras epoch) runs
    between two layered epochs, so the three alternate under the same machine load."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(batch * steps, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=batch * steps).astype(np.int32)
    model = build_model(k)
    hand = HandWritten(model.get_weights(), k)
    keras_fit = keras_runner(k)
    timings = {"layered": [], "hand": [], "keras": []}
    clock = {}

    def begin(epoch, logs):
        clock["start"] = time.perf_counter()

    def end(epoch, logs):
        layered_time = time.perf_counter() - clock["start"]
        start = time.perf_counter()
        hand.epoch(x, y, batch, rng)
        hand_time = time.perf_counter() - start
        keras_time = None
        if keras_fit is not None:
            start = time.perf_counter()
            keras_fit(x, y, batch)
            keras_time = time.perf_counter() - start
        if epoch:  # epoch 0 compiles everything and is not counted
            timings["layered"].append(layered_time / steps)
            timings["hand"].append(hand_time / steps)
            if keras_time is not None:
                timings["keras"].append(keras_time / steps)

    timer = layered.callbacks.LambdaCallback(on_epoch_begin=begin, on_epoch_end=end)
    model.fit(x, y, batch_size=batch, epochs=rounds + 1, verbose=0, callbacks=[timer])
    return {name: np.median(t) * 1e3 for name, t in timings.items() if t}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--steps", type=int, default=60, help="steps per timed epoch (a multiple of 10)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"backend {layered.config.backend()} on {jax.devices()[0].platform}, median of {args.rounds} epochs "
          f"of {args.steps} steps")
    for batch in args.batches:
        per_step = measure(batch, args.steps, args.rounds, 1)
        fused = measure(batch, args.steps, args.rounds, 10)
        line = (f"batch {batch:5d}: hand {per_step['hand']:.3f} ms/step, layered {per_step['layered']:.3f} "
                f"(ratio {per_step['layered'] / per_step['hand']:.3f}, target <= 1.05); "
                f"steps_per_execution=10: layered {fused['layered']:.3f} "
                f"({fused['layered'] / per_step['hand']:.3f} of the hand per-step loop, target <= 0.9), "
                f"hand scan {fused['hand']:.3f}")
        if "keras" in per_step:
            line += f"; keras {per_step['keras'] / per_step['hand']:.3f}, keras spe=10 " \
                    f"{fused['keras'] / per_step['hand']:.3f}"
        print(line)


if __name__ == "__main__":
    main()
