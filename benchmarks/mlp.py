"""`model.fit` on the NumPy backend against a hand-written NumPy training loop.

Workload: a 784-256-256-10 MLP, softmax cross-entropy, Adam (1e-3), batch 128, float32,
synthetic data, shuffled every epoch. Both run in this process on the same data and
initial weights, alternating epochs; the report is the median time per step of each
(compilation excluded: the first epoch of each is a warm-up) and their ratio.
Target: ratio <= 1.2.

Run: python benchmarks/mlp.py [--batch 128] [--steps 40] [--rounds 7]
"""
import argparse

import numpy as np

import layered
from baselines import BETA_1, BETA_2, EPSILON, LR, alternate, mlp_gradients, numpy_adam
from layered import layers

SIZES = (784, 256, 256, 10)


def build_model():
    model = layered.Sequential([layered.Input(shape=(SIZES[0],))] + [
        layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [layers.Dense(SIZES[-1])])
    model.compile(optimizer=layered.optimizers.Adam(LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class HandWritten:
    """The same training loop in NumPy: preallocated-free but in-place where it counts, Adam in place."""

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.scratch = [np.empty_like(w) for w in weights]
        self.t = 0

    def step(self, x, labels):
        loss, grads = mlp_gradients(self.params, x, labels)
        self.t += 1
        numpy_adam(self.params, grads, self.m, self.v, self.scratch, self.t)
        return loss

    def epoch(self, x, y, batch_size, rng):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = np.sort(order[start:start + batch_size])
            self.step(x[index], y[index])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40, help="steps per timed epoch")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    n = args.batch * args.steps
    x = rng.normal(size=(n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=n).astype(np.int64)
    layered.utils.set_random_seed(0)
    model = build_model()
    hand = HandWritten(model.get_weights())

    # Same weights, same single batch: the two agree before we time them.
    model.fit(x[:args.batch], y[:args.batch], batch_size=args.batch, epochs=1, shuffle=False, verbose=0)
    hand.step(x[:args.batch], y[:args.batch])
    for p, q in zip(model.get_weights(), hand.params):
        np.testing.assert_allclose(p, q, rtol=1e-3, atol=1e-5)

    times = alternate({"layered": lambda: model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0),
                       "hand": lambda: hand.epoch(x, y, args.batch, rng)}, args.steps, args.rounds)
    f, h = times["layered"], times["hand"]
    print(f"backend {layered.config.backend()}, batch {args.batch}, {args.steps} steps/epoch, "
          f"median of {args.rounds} epochs")
    print(f"layered fit   : {f:.3f} ms/step")
    print(f"hand-written  : {h:.3f} ms/step")
    print(f"ratio         : {f / h:.3f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
