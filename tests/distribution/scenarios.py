"""Distributed-training scenarios, run in a subprocess with 4 forced host CPU devices.

`python tests/distribution/scenarios.py OUT.json` runs every scenario and writes one JSON
object (scenario name -> findings, or {"error": traceback}); tests/distribution/
test_data_parallel.py reads it. One process for all of them: JAX starts once.
"""
import json
import os
import sys
import traceback

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
os.environ["JAX_PLATFORMS"] = "cpu"  # the forced host devices, even where an accelerator is present
os.environ["LAYERED_BACKEND"] = "jax"

import numpy as np  # noqa: E402

import backends  # noqa: E402
from backends.jax import distribution as jax_distribution  # noqa: E402
import layered  # noqa: E402
from layered import distribution, layers  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(256, 12)).astype("float32")
Y = RNG.integers(0, 4, size=256)


def mlp(dropout=0.25):
    layered.utils.set_random_seed(1)
    stack = [layered.Input((12,)), layers.Dense(16, activation="relu")]
    stack += [layers.Dropout(dropout)] if dropout else []
    model = layered.Sequential(stack + [layers.Dense(8, activation="relu"), layers.Dense(4)])
    model.compile(optimizer="adam", loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def max_difference(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a.get_weights(), b.get_weights()))


_references = {}


def reference(dropout, fit_kwargs):
    """The one-device model and history for these fit arguments (trained once)."""
    key = (dropout, repr(sorted(fit_kwargs.items())))
    if key not in _references:
        single = mlp(dropout)
        _references[key] = single, single.fit(X, Y, verbose=0, **fit_kwargs).history
    return _references[key]


def compare(dist, dropout=0.25, outputs=False, **fit_kwargs):
    """Fit under `dist` and on one device; the largest differences found."""
    single, h1 = reference(dropout, fit_kwargs)
    spread = mlp(dropout)
    with dist.scope():
        h2 = spread.fit(X, Y, verbose=0, **fit_kwargs).history
    found = {"weights": max_difference(single, spread),
             "loss": float(np.max(np.abs(np.array(h1["loss"]) - np.array(h2["loss"]))))}
    if outputs:
        with dist.scope():
            predicted = spread.predict(X, batch_size=64, verbose=0)
            evaluated = spread.evaluate(X, Y, batch_size=64, verbose=0)
        found["predict"] = float(np.abs(predicted - single.predict(X, batch_size=64, verbose=0)).max())
        found["evaluate"] = float(np.max(np.abs(np.array(evaluated) - np.array(
            single.evaluate(X, Y, batch_size=64, verbose=0)))))
    return found, spread


def spec(array):
    return [None if a is None else str(a) for a in array.sharding.spec]


def data_parallel():
    dist = distribution.DataParallel()
    backends.get().transfer_ahead = True  # as on accelerators: the prefetch thread moves and splits batches
    try:
        found, model = compare(dist, outputs=True, batch_size=32, epochs=2, shuffle=True)
    finally:
        backends.get().transfer_ahead = None
    step = model._steps.last_train_step.function
    executable = step._executable
    roles = [inp.role for inp in step._layout.inputs]
    found["devices"] = distribution.list_devices()
    found["data_specs"] = [str(executable.in_shardings[i].spec) for i, r in enumerate(roles) if r == "data"]
    found["variable_specs"] = sorted({str(executable.in_shardings[i].spec) for i, r in enumerate(roles)
                                      if r == "variable"})
    found["kernel_spec"] = spec(model.weights[0].value)
    found["kernel_devices"] = len(model.weights[0].value.sharding.device_set)
    slots = [s for s in model.optimizer._slots.values()]
    found["slot_specs"] = sorted({str(s.value.sharding.spec) for s in slots})
    found["slot_devices"] = sorted({len(s.value.sharding.device_set) for s in slots})
    # A batch as the prefetch thread moves it: each device holds a quarter of the rows.
    backend = backends.get()
    backend.transfer_ahead = True
    moved = backend.transfer(X[:32], dist.get_data_layout(X[:32].shape))
    backend.transfer_ahead = None
    found["batch_shards"] = sorted({tuple(s.data.shape) for s in moved.addressable_shards})
    found["batch_spec"] = spec(moved)
    # The compiled step: gradients are summed across devices by all-reduce collectives.
    with dist.scope():
        batch = (X[:32], Y[:32].astype("int32"))
        feeds = model._steps.last_train_step.feeds((batch[0], batch[1], None))
        arrays = [backend.asarray(v, p.dtype) for v, p in zip(feeds, step.inputs)]
        values = [backend.place(v.value, inp.layout) for v, inp in zip(step.variables,
                                                                      step._layout.inputs[len(step.inputs):])]
        text = executable.lower(*arrays, *values).compile().as_text()
    found["collectives"] = [(op, size) for op, _, size in jax_distribution.collectives(text)]
    return found


def steps_per_execution():
    single, spread = mlp(), mlp()
    single.compile(optimizer="adam", loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True),
                   steps_per_execution=4)
    spread.compile(optimizer="adam", loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True),
                   steps_per_execution=4)
    layered.utils.set_random_seed(2)  # the same dropout seeds for both fits
    single.fit(X, Y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    layered.utils.set_random_seed(2)
    backends.get().transfer_ahead = True  # blocks of 4 batches moved ahead, split along their second axis
    try:
        with distribution.DataParallel().scope():
            spread.fit(X, Y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    finally:
        backends.get().transfer_ahead = None
    return {"weights": max_difference(single, spread)}


def model_parallel():
    mesh = distribution.DeviceMesh((2, 2), ("batch", "model"))
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    dist = distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")
    found, model = compare(dist, batch_size=32, epochs=2, shuffle=True)
    with dist.scope():
        predicted = model.predict(X, batch_size=64, verbose=0)
    found["predict"] = float(np.abs(predicted - reference(0.25, dict(batch_size=32, epochs=2, shuffle=True))[0].predict(
        X, batch_size=64, verbose=0)).max())
    kernel, bias = model.weights[0], model.weights[1]
    found["kernel_path"] = kernel.path
    found["kernel_spec"] = spec(kernel.value)
    found["kernel_shards"] = sorted({tuple(s.data.shape) for s in kernel.value.addressable_shards})
    found["bias_spec"] = spec(bias.value)
    momentum = model.optimizer.slot(kernel, "momentum")
    found["slot_spec"] = spec(momentum.value)
    found["slot_shards"] = sorted({tuple(s.data.shape) for s in momentum.value.addressable_shards})
    step = model._steps.last_train_step.function
    found["data_specs"] = [str(step._executable.in_shardings[i].spec)
                           for i, inp in enumerate(step._layout.inputs) if inp.role == "data"]
    return found


def indivisible():
    found = {}
    model = mlp()
    with distribution.DataParallel().scope():
        try:
            model.fit(X, Y, batch_size=30, epochs=1, verbose=0)
        except ValueError as err:
            found["fit"] = str(err)
        try:  # 256 samples in batches of 48: the last batch has 16, which splits; 250 leaves 10
            model.fit(X[:250], Y[:250], batch_size=48, epochs=1, verbose=0)
        except ValueError as err:
            found["last_batch"] = str(err)
        try:  # from a generator, caught as the batch arrives
            model.fit(((X[i:i + 6], Y[i:i + 6]) for i in range(0, 60, 6)), epochs=1, verbose=0)
        except ValueError as err:
            found["generator"] = str(err)
    found["weights_unchanged_finite"] = bool(all(np.isfinite(w).all() for w in model.get_weights()))
    return found


SCENARIOS = [data_parallel, steps_per_execution, model_parallel, indivisible]


def main(out):
    results = {}
    for scenario in SCENARIOS:
        try:
            results[scenario.__name__] = scenario()
        except Exception:  # noqa: BLE001  (reported to the test that reads this scenario)
            results[scenario.__name__] = {"error": traceback.format_exc()}
    with open(out, "w") as f:
        json.dump(results, f, default=lambda o: list(o) if isinstance(o, tuple) else str(o))


if __name__ == "__main__":
    main(sys.argv[1])
