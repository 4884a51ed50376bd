"""The NumPy engine against hand-written NumPy: one SGD train step of a 784-256-256-10 MLP.

Both run in this process on the same data and weights, alternating in rounds; the
report is the median time per step of each and their ratio (target: <= 1.2).

Run: python benchmarks/engine_mlp.py [--batch 128] [--rounds 7] [--steps 50]
"""
import argparse
import time

import numpy as np

import layered
from baselines import mlp_gradients
from layered import ops

SIZES = (784, 256, 256, 10)
LR = 0.01


def initial_weights(seed=0):
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6 / (fan_in + fan_out))
        weights += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32),
                    np.zeros(fan_out, np.float32)]
    return weights


def layered_step(weights):
    """The train step built with the low-level graph API and compiled by the active backend."""
    params = [layered.Variable(w) for w in weights]
    x = layered.placeholder((None, SIZES[0]), name="x")
    labels = layered.placeholder((None,), "int32", name="labels")
    h = x
    for i in range(0, len(params) - 2, 2):
        h = ops.relu(h @ params[i] + params[i + 1])
    logits = h @ params[-2] + params[-1]
    loss = ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    step = layered.optimizers.SGD(LR).minimize(loss, params, inputs=[x, labels])
    return step, params


class HandWritten:
    """The same step written directly in NumPy, with preallocated buffers and in-place updates."""

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]

    def __call__(self, x, labels):
        loss, grads = mlp_gradients(self.params, x, labels)
        for p, g in zip(self.params, grads):
            g *= LR
            p -= g
        return loss


def time_steps(fn, x, y, steps):
    start = time.perf_counter()
    for _ in range(steps):
        fn(x, y)
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    x = rng.normal(size=(args.batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=args.batch).astype(np.int32)
    weights = initial_weights()
    graph_step, params = layered_step(weights)
    hand = HandWritten(weights)

    # Same weights, same data: the two implementations agree before we time them.
    loss_graph, loss_hand = float(graph_step(x, y)), float(hand(x, y))
    assert abs(loss_graph - loss_hand) < 1e-4 * max(1.0, abs(loss_hand)), (loss_graph, loss_hand)
    for p, q in zip(params, hand.params):
        np.testing.assert_allclose(p.numpy(), q, rtol=1e-4, atol=1e-6)

    graph_times, hand_times = [], []
    for _ in range(args.rounds):
        graph_times.append(time_steps(graph_step, x, y, args.steps))
        hand_times.append(time_steps(hand, x, y, args.steps))
    g, h = np.median(graph_times) * 1e3, np.median(hand_times) * 1e3
    print(f"backend {layered.config.backend()}, batch {args.batch}, median of {args.rounds} rounds x {args.steps} steps")
    print(f"layered engine : {g:.3f} ms/step")
    print(f"hand-written   : {h:.3f} ms/step")
    print(f"ratio          : {g / h:.3f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
