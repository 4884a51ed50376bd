"""The fit loop's prefetch thread on and off, per data source, on the active backend.

Workload: the 784-256-256-10 MLP, Adam, batch 128. Sources: in-memory arrays (shuffled),
a memory-mapped file of the same rows, and a generator that waits `--work` ms per batch
before yielding it, as one reading from a disk or a network does (work that releases the
GIL; pure-Python work cannot overlap the loop's own Python, whatever the thread). Reported: median ms per step with
the thread forced on, forced off, and as "auto" chooses (layered/training/trainer.py).

Run: LAYERED_BACKEND=jax python benchmarks/prefetch.py [--steps 100] [--rounds 5] [--work 1.0]
"""
import argparse
import os
import tempfile
import time

import numpy as np

import backends
import layered
from layered import layers
from layered.training import data as data_module
from layered.training import trainer

SIZES = (784, 256, 256, 10)


def build_model():
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input((SIZES[0],))] + [
        layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [layers.Dense(SIZES[-1])])
    model.compile(optimizer=layered.optimizers.Adam(1e-3),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=float, default=1.0, help="ms of Python per generated batch")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.batch * args.steps
    x = rng.normal(size=(n, SIZES[0])).astype("float32")
    y = rng.integers(0, SIZES[-1], size=n).astype("int32")
    path = os.path.join(tempfile.mkdtemp(), "x.dat")
    x.tofile(path)
    mapped = np.memmap(path, dtype="float32", mode="r", shape=x.shape)

    def generated():
        for k in range(args.steps):
            time.sleep(args.work / 1000)
            yield x[k * args.batch:(k + 1) * args.batch], y[k * args.batch:(k + 1) * args.batch]

    generator_name = f"generator ({args.work:g} ms/batch)"
    sources = {"arrays": lambda m: m.fit(x, y, batch_size=args.batch, verbose=0),
               "memmap": lambda m: m.fit(mapped, y, batch_size=args.batch, verbose=0),
               generator_name: lambda m: m.fit(generated(), verbose=0)}
    uses = {"arrays": trainer._prefetches(data_module.adapt(x, y)),
            "memmap": trainer._prefetches(data_module.adapt(mapped, y)),
            generator_name: trainer._prefetches(data_module.adapt(generated()))}
    model = build_model()
    print(f"backend {backends.get().name}, {os.cpu_count()} CPU cores, batch {args.batch}, "
          f"median of {args.rounds} epochs of {args.steps} steps, ms per step")
    print(f"{'source':<26}{'thread on':>11}{'thread off':>12}{'auto':>8}   auto uses the thread")
    for name, fit in sources.items():
        times = {}
        for setting in (True, False, "auto"):
            trainer.PREFETCH = setting
            fit(model)  # compiled, warm
            runs = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                fit(model)
                float(np.asarray(model.get_weights()[-1]).sum())
                runs.append((time.perf_counter() - start) / args.steps * 1000)
            times[setting] = float(np.median(runs))
        trainer.PREFETCH = "auto"
        print(f"{name:<26}{times[True]:>11.3f}{times[False]:>12.3f}{times['auto']:>8.3f}   {uses[name]}")


if __name__ == "__main__":
    main()
