"""The cost of the TensorBoard callback on `fit`.

Workload: the 784-256-256-10 MLP of `mlp.py` (softmax cross-entropy, Adam, batch 128,
synthetic data). Each round fits one epoch without callbacks and one epoch with
`TensorBoard(update_freq="batch", histogram_freq=1)` (so the batch logs are read on every
batch, and six weight histograms are written per epoch), alternating, in this process, on
one model (the first epochs compile and are not timed). The report is the median epoch
time of each and the overhead, and the time spent inside the callback's hooks (which
includes the once-per-fit work: event files and the graph). Target: <= 5%.

Run: python benchmarks/summary_overhead.py [--batch 128] [--steps 40] [--rounds 15]
"""
import argparse
import tempfile
import time

import numpy as np

import layered
from layered import layers

SIZES = (784, 256, 256, 10)


def build_model():
    model = layered.Sequential([layered.Input(shape=(SIZES[0],))] + [
        layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [layers.Dense(SIZES[-1])])
    model.compile(optimizer=layered.optimizers.Adam(1e-3),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class TimedTensorBoard(layered.callbacks.TensorBoard):
    """The callback, with the time spent inside its hooks added up (a measure that other
    processes on the machine do not disturb as much as wall-clock differences)."""

    spent = 0.0


def _timed(name):
    hook = getattr(layered.callbacks.TensorBoard, name)

    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return hook(self, *args, **kwargs)
        finally:
            TimedTensorBoard.spent += time.perf_counter() - start
    return timed


for _name in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end", "on_epoch_end",
              "on_test_end", "on_train_end"):
    setattr(TimedTensorBoard, _name, _timed(_name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40, help="steps per timed epoch")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    n = args.batch * args.steps
    x = rng.normal(size=(n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=n).astype(np.int64)
    layered.utils.set_random_seed(0)
    model = build_model()

    with tempfile.TemporaryDirectory() as logdir:
        def fit(with_tensorboard):
            callbacks = [TimedTensorBoard(log_dir=logdir, update_freq="batch", histogram_freq=1)] \
                if with_tensorboard else []
            start = time.perf_counter()
            model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0, callbacks=callbacks)
            return time.perf_counter() - start

        fit(False), fit(True)  # warm-up: compile the step, import the summary code
        TimedTensorBoard.spent = 0.0
        plain, logged = [], []
        for _ in range(args.rounds):
            plain.append(fit(False))
            logged.append(fit(True))
    p, t = np.median(plain), np.median(logged)
    print(f"backend {layered.config.backend()}, batch {args.batch}, {args.steps} steps/epoch, "
          f"median of {args.rounds} epochs each")
    print(f"fit without callbacks   : {p * 1e3 / args.steps:.3f} ms/step")
    print(f"fit with TensorBoard    : {t * 1e3 / args.steps:.3f} ms/step  (update_freq='batch', histogram_freq=1)")
    hooks = TimedTensorBoard.spent / args.rounds
    print(f"overhead (wall clock)   : {(t / p - 1) * 100:+.1f}%  (target <= 5%)")
    print(f"inside the callback     : {hooks * 1e3 / args.steps:.3f} ms/step = {hooks / p * 100:.1f}% of a plain epoch "
          "(graph, files, batch scalars, histograms)")


if __name__ == "__main__":
    main()
