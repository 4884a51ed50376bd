"""Streaming data: memory-mapped arrays read batch by batch, and the prefetch thread."""
import threading
import time

import numpy as np
import pytest

import layered
from layered import layers
from layered.training import trainer
from layered.training.data import ArrayData, _FileRows
from layered.training.prefetch import Prefetcher


@pytest.fixture(autouse=True)
def numpy_backend(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "layered-prefetch"]


def linear_model(features):
    layered.utils.set_random_seed(0)
    m = layered.Sequential([layered.Input((features,)), layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    return m


def write_rows(path, rows, cols, bad_row=None):
    """A float32 file of rows x cols, written in chunks (the writer never holds it whole)."""
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        for start in range(0, rows, 1024):
            chunk = rng.normal(size=(min(1024, rows - start), cols)).astype("float32")
            if bad_row is not None and start <= bad_row < start + len(chunk):
                chunk[bad_row - start, 3] = np.nan
            f.write(chunk.tobytes())
    return np.memmap(path, dtype="float32", mode="r", shape=(rows, cols))


# ------------------------------------------------------------ memory-mapped arrays

@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("rows") / "a.npy"
    np.save(path, np.random.default_rng(1).normal(size=(100, 3, 5)).astype("float32"))
    return path


@pytest.mark.parametrize("view", ["whole", "tail", "strided", "columns", "copy_on_write", "view_of_view"])
def test_rows_read_from_the_file_equal_indexing(saved, view):
    mapped = np.load(saved, mmap_mode="c" if view == "copy_on_write" else "r")
    array = {"whole": mapped, "tail": mapped[10:], "strided": mapped[::3], "columns": mapped[:, 1:],
             "copy_on_write": mapped, "view_of_view": np.asarray(mapped[7:])[3:]}[view]
    rows = _FileRows.find(array)
    assert (rows.fd is None) == (view == "copy_on_write")  # private changes are only in the mapping
    for index in (slice(3, 20), np.array([1, 2, 3, 7, 8, 20]), np.array([5, 1, 9])):
        np.testing.assert_array_equal(rows.take(index), np.asarray(array)[index])


def test_memmap_fit_keeps_memory_below_the_file(tmp_path):
    rows, cols, batch = 16384, 1024, 256  # a 64 MiB file, 1 MiB batches
    x = write_rows(tmp_path / "x.dat", rows, cols)
    y = np.zeros((rows, 1), "float32")
    model = linear_model(cols)
    model.fit(x[:512], y[:512], batch_size=batch, verbose=0)  # compiled before measuring
    peak, before = [0], rss()

    class Watch(layered.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            peak[0] = max(peak[0], rss())

    model.fit(x, y, batch_size=batch, epochs=1, shuffle=True, verbose=0, callbacks=[Watch()])
    model.predict(x, batch_size=batch, verbose=0)
    file_size = rows * cols * 4
    grown = max(peak[0], rss()) - before
    assert grown < file_size / 4, f"RSS grew by {grown / 2**20:.1f} MiB over a {file_size / 2**20:.0f} MiB file"


def test_memmap_shuffled_training_equals_in_memory_training(tmp_path):
    x = write_rows(tmp_path / "x.dat", 600, 8)
    y = np.asarray(x[:, :1]) * 2.0
    on_file, in_memory = linear_model(8), linear_model(8)
    layered.utils.set_random_seed(3)
    on_file.fit(x, y, batch_size=64, epochs=2, shuffle=True, verbose=0, validation_split=0.2)
    layered.utils.set_random_seed(3)
    in_memory.fit(np.array(x), y, batch_size=64, epochs=2, shuffle=True, verbose=0, validation_split=0.2)
    for a, b in zip(on_file.get_weights(), in_memory.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_memmap_values_are_checked_per_batch(tmp_path):
    x = write_rows(tmp_path / "x.dat", 3000, 8, bad_row=2345)
    data = ArrayData(x, np.zeros((3000, 1), "float32"), batch_size=100, shuffle=True)  # no full scan here
    with pytest.raises(ValueError, match="x contains NaN or infinity .first at sample 2345"):
        for _ in data.batches():
            pass
    with pytest.raises(ValueError, match="first at sample 2345"):
        linear_model(8).fit(x, np.zeros((3000, 1), "float32"), batch_size=100, verbose=0)
    assert not prefetch_threads()


# ------------------------------------------------------------ the prefetch thread

def test_prefetch_keeps_the_order_and_prepares_in_the_thread():
    seen = []

    def prepare(item):
        time.sleep(0.002 * (item % 3))  # uneven preparation times
        seen.append(threading.current_thread().name)
        return item * 10

    with Prefetcher(range(20), prepare, depth=3) as ahead:
        assert list(ahead) == [i * 10 for i in range(20)]
    assert set(seen) == {"layered-prefetch"}
    assert not ahead.running


def test_prefetch_reads_a_bounded_distance_ahead():
    pulled = []

    def source():
        for i in range(100):
            pulled.append(i)
            yield i

    ahead = Prefetcher(source(), depth=2)
    assert next(ahead) == 0
    time.sleep(0.1)
    assert len(pulled) == 1 + 2  # the item in use and two prepared ahead, no more
    ahead.close()
    assert not ahead.running


@pytest.mark.parametrize("where", ["source", "prepare"])
def test_prefetch_raises_the_producers_error_in_order(where):
    def source():
        yield from range(5)
        if where == "source":
            raise KeyError("bad batch")
        yield 5

    def prepare(item):
        if where == "prepare" and item == 5:
            raise KeyError("bad batch")
        return item

    got = []
    with pytest.raises(KeyError, match="bad batch"):
        with Prefetcher(source(), prepare) as ahead:
            for item in ahead:
                got.append(item)
    assert got == [0, 1, 2, 3, 4]
    assert not ahead.running


def test_prefetch_stops_when_the_loop_breaks():
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()  # the generator is closed, in the thread that ran it

    with Prefetcher(endless()) as ahead:
        for item in ahead:
            if item == 3:
                break
    assert not ahead.running and closed.is_set()


def test_the_fit_loop_prefetches_where_it_pays(tmp_path, monkeypatch):
    threads = []
    original = Prefetcher.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        threads.append(self._thread)

    monkeypatch.setattr(Prefetcher, "__init__", recording)
    x = write_rows(tmp_path / "x.dat", 64, 8)
    y = np.ones((64, 1), "float32")
    model = linear_model(8)
    model.fit(np.array(x), y, batch_size=16, verbose=0)
    assert threads == []  # in-memory arrays on the host: gathered in the loop
    model.fit(x, y, batch_size=16, verbose=0)
    model.fit(((x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)), verbose=0)
    assert len(threads) == 2 and not any(t.is_alive() for t in threads)


def test_prefetching_changes_no_result(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(96, 8)).astype("float32"), rng.normal(size=(96, 1)).astype("float32")
    weights = []
    for prefetch in (True, False):
        monkeypatch.setattr(trainer, "PREFETCH", prefetch)
        layered.utils.set_random_seed(0)
        m = layered.Sequential([layered.Input((8,)), layers.Dense(8), layers.Dropout(0.3), layers.Dense(1)])
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, batch_size=16, epochs=3, shuffle=True, verbose=0, validation_split=0.25)
        weights.append(m.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_no_thread_outlives_fit_after_errors_and_interrupts(monkeypatch):
    monkeypatch.setattr(trainer, "PREFETCH", True)
    x, y = np.ones((64, 8), "float32"), np.ones((64, 1), "float32")
    model = linear_model(8)

    def failing():
        yield x[:16], y[:16]
        raise RuntimeError("the data source broke")

    with pytest.raises(RuntimeError, match="the data source broke"):
        model.fit(failing(), epochs=1, verbose=0)
    assert not prefetch_threads()

    def interrupted():
        yield x[:16], y[:16]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(interrupted(), epochs=1, verbose=0)
    assert not prefetch_threads()

    class Interrupt(layered.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Interrupt()])
    assert not prefetch_threads()

    class Stop(layered.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            self.model.stop_training = True

    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Stop()])
    assert not prefetch_threads()
