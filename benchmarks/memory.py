"""Peak and steady memory of an MLP `fit`, against the bytes its train step needs.

"What the step needs" is computed from the optimized train-step graph itself, at the
batch's shapes: walking its nodes in order, the largest total of live arrays (every
input: parameters, optimizer slots, metric state and the batch; plus each intermediate
from the node that makes it to its last reader; views and the new values written over
their variable are free). No executor can run that schedule in less.

Each backend runs in its own process: the baseline RSS is taken after the imports and
the synthetic data, then the model is built, compiled and fitted for a few epochs.
Reported: the peak RSS above the baseline (VmHWM, reset at the baseline), the steady RSS
above it after the last epoch, and both as a ratio of the step's bytes. The JAX figure
includes the XLA compiler and runtime, which a small step does not amortize.

Run: python benchmarks/memory.py [--sizes 784 256 256 10] [--batch 128] [--backends numpy jax]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 2 ** 20


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def step_bytes(function, arrays):
    """The least memory the function's graph needs at these input arrays (see above)."""
    import numpy as np

    from backends.numpy.kernels import VIEWS
    from layered.graph.core import Aval
    from layered.graph.primitives import SHAPE_ATTR_PRIMITIVES

    graph = function.graph
    aval = {t.id: Aval(np.shape(a), np.asarray(a).dtype) for t, a in zip(graph.inputs, arrays)}
    for c in graph.constants():
        aval[c.id] = Aval(c.value.shape, c.value.dtype)
    for node in graph.nodes:
        attrs = dict(node.attrs)
        ins = [aval[x.id] for x in node.inputs]
        if node.primitive.name in SHAPE_ATTR_PRIMITIVES:
            attrs = dict(attrs, shape=node.primitive.shape_rule(*ins, **attrs)[0])
        aval[node.outputs[0].id] = Aval(*node.primitive.shape_rule(*ins, **attrs))

    def size(t):
        a = aval[t.id]
        return int(np.prod(a.shape)) * np.dtype(a.dtype).itemsize

    root = {}  # a view's buffer is its input's
    last = {}
    for i, node in enumerate(graph.nodes):
        for x in node.inputs:
            last[root.get(x.id, x.id)] = i
        if node.primitive.name in VIEWS:
            root[node.outputs[0].id] = root.get(node.inputs[0].id, node.inputs[0].id)
    donated = {graph.outputs[j].id for j in function._donate.values()}
    kept = {t.id for t in graph.outputs}
    live = sum(size(t) for t in graph.inputs) + sum(size(c) for c in graph.constants())
    peak, held = live, {}
    for i, node in enumerate(graph.nodes):
        out = node.outputs[0]
        if node.primitive.name not in VIEWS and out.id not in donated:
            held[out.id] = size(out)
            live += held[out.id]
        peak = max(peak, live)
        for buffer in [b for b in held if b not in kept and last.get(b, -1) <= i]:
            live -= held.pop(buffer)
    return peak, sum(size(t) for t in graph.inputs[len(function.inputs):]), \
        sum(size(t) for t in graph.inputs[:len(function.inputs)])


def worker(backend_name, sizes, batch, steps, epochs):
    os.environ["LAYERED_BACKEND"] = backend_name
    import numpy as np

    import backends
    import layered
    from layered import layers

    backends.get()  # the backend's own imports belong to the baseline
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch * steps, sizes[0])).astype("float32")
    y = rng.integers(0, sizes[-1], size=batch * steps).astype("int32")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS: the peak from here on
    baseline = status("VmRSS")
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input((sizes[0],))] + [
        layers.Dense(n, activation="relu") for n in sizes[1:-1]] + [layers.Dense(sizes[-1])])
    model.compile(optimizer=layered.optimizers.Adam(1e-3),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    steady = []
    for _ in range(epochs):
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        steady.append(status("VmRSS") - baseline)
    peak = status("VmHWM") - baseline
    step = model._steps.last_train_step
    backend = backends.get()
    feeds = step.feeds((x[:batch], y[:batch], None))
    arrays = [np.asarray(backend.asarray(v, p.dtype)) for v, p in zip(feeds, step.function.inputs)]
    arrays += [np.asarray(v.value) for v in step.function.variables]
    needed, variables, data = step_bytes(step.function, arrays)
    print(json.dumps({"backend": backend_name, "peak": peak, "steady": steady[-1], "first_epoch": steady[0],
                      "needed": needed, "variables": variables, "batch": data}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[784, 256, 256, 10])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["numpy", "jax"])
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.sizes, args.batch, args.steps, args.epochs)
        return
    print(f"MLP {'-'.join(map(str, args.sizes))}, Adam, batch {args.batch}, {args.steps} steps x {args.epochs} epochs")
    print(f"{'backend':<8}{'step needs':>12}{'(variables':>12}{'batch)':>9}{'peak':>10}{'steady':>10}"
          f"{'peak/needs':>12}{'steady/needs':>14}")
    for name in args.backends:
        command = [sys.executable, os.path.abspath(__file__), "--worker", name, "--batch", str(args.batch),
                   "--steps", str(args.steps), "--epochs", str(args.epochs), "--sizes", *map(str, args.sizes)]
        env = dict(os.environ, PYTHONPATH=ROOT)
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{name:<8}{r['needed'] / MIB:>10.1f}MB{r['variables'] / MIB:>10.1f}MB{r['batch'] / MIB:>7.2f}MB"
              f"{r['peak'] / MIB:>8.1f}MB{r['steady'] / MIB:>8.1f}MB{r['peak'] / r['needed']:>12.2f}"
              f"{r['steady'] / r['needed']:>14.2f}")


if __name__ == "__main__":
    main()
