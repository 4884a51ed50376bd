"""Data-parallel `fit` on 1, 2 and 4 forced host CPU devices (JAX backend).

Workload: the 784-256-256-10 MLP, softmax cross-entropy, Adam (1e-3), float32, synthetic
data, one global batch size for every device count (each device computes batch / n
rows). Each device count runs in its own process (XLA_FLAGS=--xla_force_host_platform_
device_count=n must be set before JAX starts). Reported per count: median steps/s over
timed epochs (the first, compiling epoch excluded) and the collectives XLA inserted in
the compiled train step, with the bytes each moves per step.

Forced host devices share this machine's cores: on 2 cores, 4 "devices" cannot run 4x
faster, and the step is small. What carries over to a real multi-device host is the
collective count and size: per step, one all-reduce of every gradient (the parameter
bytes) plus the loss, whatever the batch size.

Run: python benchmarks/data_parallel.py [--batch 256] [--steps 40] [--rounds 5]
"""
import argparse
import json
import os
import subprocess
import sys
import time

SIZES = (784, 256, 256, 10)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def worker(devices, batch, steps, rounds, distributed):
    """Runs in a subprocess with `devices` forced host devices; prints one JSON line."""
    import numpy as np

    import backends
    import layered
    from backends.jax import distribution as jax_distribution
    from layered import distribution, layers

    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input((SIZES[0],))] + [
        layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [layers.Dense(SIZES[-1])])
    model.compile(optimizer=layered.optimizers.Adam(1e-3),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch * steps, SIZES[0])).astype("float32")
    y = rng.integers(0, SIZES[-1], size=batch * steps).astype("int32")
    dist = distribution.DataParallel() if distributed else None
    distribution.set_distribution(dist)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # compiles
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        float(np.asarray(model.get_weights()[0]).sum())  # wait for the last step
        times.append(time.perf_counter() - start)
    found = {"devices": devices, "distributed": distributed, "steps_per_s": steps / float(np.median(times)),
             "collectives": []}
    if distributed:
        step = model._steps.last_train_step
        function, backend = step.function, backends.get()
        feeds = step.feeds((x[:batch], y[:batch], None))
        arrays = [backend.asarray(v, p.dtype) for v, p in zip(feeds, function.inputs)]
        values = [backend.place(v.value, layout) for v, layout in zip(function.variables, function._placements)]
        text = function._executable.lower(*arrays, *values).compile().as_text()
        found["collectives"] = [(op, size) for op, _, size in jax_distribution.collectives(text)]
    print(json.dumps(found))


def run(devices, args, distributed):
    env = dict(os.environ, LAYERED_BACKEND="jax", PYTHONPATH=ROOT, JAX_PLATFORMS="cpu",
               XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    command = [sys.executable, os.path.abspath(__file__), "--worker", str(devices), "--batch", str(args.batch),
               "--steps", str(args.steps), "--rounds", str(args.rounds)] + (["--distributed"] if distributed else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--worker", type=int)
    parser.add_argument("--distributed", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.batch, args.steps, args.rounds, args.distributed)
        return
    params = sum(a * b + b for a, b in zip(SIZES[:-1], SIZES[1:]))
    print(f"784-256-256-10 MLP, Adam, global batch {args.batch}, {os.cpu_count()} CPU cores; "
          f"{params} parameters = {4 * params} gradient bytes per step")
    baseline = run(1, args, distributed=False)
    print(f"{'setup':<28}{'steps/s':>10}{'speedup':>9}   collectives per step (bytes)")
    print(f"{'1 device, no distribution':<28}{baseline['steps_per_s']:>10.1f}{1.0:>9.2f}   -")
    for devices in args.devices:
        found = run(devices, args, distributed=True)
        ops = ", ".join(f"{op} {size}" for op, size in found["collectives"]) or "none"
        speedup = found["steps_per_s"] / baseline["steps_per_s"]
        print(f"{f'DataParallel, {devices} devices':<28}{found['steps_per_s']:>10.1f}{speedup:>9.2f}   {ops}")


if __name__ == "__main__":
    main()
