"""Memory stays flat: nothing is retained per call or per step (graphs, closures, buffers)."""
import gc
import importlib.util
import tracemalloc
import weakref

import numpy as np
import pytest

import layered
from layered import layers

BACKENDS = ["numpy"] + (["jax"] if importlib.util.find_spec("jax") else [])
MIB = 2 ** 20


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def classifier():
    layered.utils.set_random_seed(0)
    m = layered.Sequential([layered.Input((16,)), layers.Dense(32, activation="relu"), layers.Dropout(0.1),
                            layers.Dense(4)])
    m.compile(optimizer="adam", loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def data(n):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 16)).astype("float32"), rng.integers(0, 4, size=n)


@pytest.fixture
def traced():
    """Call the returned function to start tracing Python allocations (after compiling:
    tracing JAX's tracer is slow); tracing stops after the test."""
    yield lambda: tracemalloc.start(1)
    tracemalloc.stop()


def traced_now():
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_repeated_fit_and_predict_keep_memory_flat(backend_name, monkeypatch, traced):
    monkeypatch.setenv("LAYERED_BACKEND", backend_name)
    model, (x, y) = classifier(), data(512)

    def once():
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, validation_split=0.25)
        model.predict(x, batch_size=128, verbose=0)

    for _ in range(3):  # compiled steps, caches and allocator pools settle
        once()
    traced()
    once()
    rss_before, traced_before = rss(), traced_now()
    for _ in range(20):
        once()
    python_growth, rss_growth = traced_now() - traced_before, rss() - rss_before
    # A graph, a compiled step or a step's buffers kept per call would be far larger.
    assert python_growth < 64 * 1024, f"Python allocations grew by {python_growth} bytes over 20 calls"
    assert rss_growth < 4 * MIB, f"RSS grew by {rss_growth / MIB:.1f} MiB over 20 calls"


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_the_step_loop_retains_nothing(backend_name, monkeypatch, traced):
    monkeypatch.setenv("LAYERED_BACKEND", backend_name)
    model, (x, y) = classifier(), data(8 * 600)
    model.fit(x[:64], y[:64], batch_size=8, verbose=0)
    traced()
    seen = {}

    class Measure(layered.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            if step in (100, 599):
                seen[step] = traced_now()

    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Measure()])
    assert seen[599] - seen[100] < 16 * 1024, f"{seen[599] - seen[100]} bytes kept over 500 steps"


def test_rss_stays_flat_over_ten_thousand_steps(monkeypatch):
    pytest.importorskip("jax")
    monkeypatch.setenv("LAYERED_BACKEND", "jax")  # the faster per-step loop, for a bounded test time
    layered.utils.set_random_seed(0)
    model, (x, y) = layered.Sequential([layered.Input((16,)), layers.Dense(4)]), data(8 * 2500)
    model.compile(optimizer="sgd", loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:64], y[:64], batch_size=8, verbose=0)
    seen = {}

    class Measure(layered.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, step, logs=None):
            if step == 2499:
                seen[self.epoch] = rss()

    model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[Measure()])  # 10 000 steps
    assert seen[3] - seen[0] < 2 * MIB, f"RSS grew by {(seen[3] - seen[0]) / MIB:.2f} MiB from step 2 500 to 10 000"


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_the_previous_batch_is_released_before_the_next_is_gathered(method, monkeypatch):
    # Holding batch k while batch k+1 is read doubles the data's share of peak memory. (On
    # JAX the prefetcher keeps one batch ahead on purpose, so this is the NumPy engine's check.)
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    model = classifier()
    x, y = data(64)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    gathered, alive_at_gather = [], []
    take = layered.training.data.ArrayData._take

    def watched_take(self, index, leading=None):
        gc.collect()  # only references, not cycles awaiting collection, may keep a batch
        alive_at_gather.append(sum(ref() is not None for ref in gathered))
        parts = take(self, index, leading)
        gathered.append(weakref.ref(parts[0]))
        return parts

    monkeypatch.setattr(layered.training.data.ArrayData, "_take", watched_take)
    getattr(model, method)(x, y, batch_size=16, verbose=0)
    assert len(alive_at_gather) >= 4 and set(alive_at_gather) == {0}
