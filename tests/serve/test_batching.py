"""The batcher on its own, with a stand-in predictor: what it combines, separates, splits and pads."""
import threading

import numpy as np
import pytest

from layered.serve.batching import Batcher, bucket_size

TIMEOUT = 10


class Recorder:
    """Doubles its one input; records each batch's shapes; the first call can be held back."""

    def __init__(self, hold_first=False):
        self.shapes, self.release, self.entered = [], threading.Event(), threading.Event()
        if not hold_first:
            self.release.set()

    def __call__(self, arrays):
        self.entered.set()
        self.release.wait(TIMEOUT)
        self.shapes.append(arrays[0].shape)
        if np.any(arrays[0] < 0):
            raise ValueError("negative input")
        return [arrays[0] * 2]


def _stopping(batcher):
    class Context:
        def __enter__(self):
            return batcher

        def __exit__(self, *exc):
            batcher.stop()
    return Context()


def test_requests_waiting_together_share_one_batch_and_get_their_own_rows():
    recorder = Recorder(hold_first=True)
    with _stopping(Batcher(recorder, max_batch_size=64, timeout_ms=100, pad=False)) as batcher:
        first = batcher.submit([np.zeros((1, 3), "float32")])  # holds the worker while the rest queue up
        recorder.entered.wait(TIMEOUT)
        rest = [batcher.submit([np.full((1 + i % 2, 3), i, "float32")]) for i in range(10)]
        recorder.release.set()
        assert first.result(TIMEOUT)[0].shape == (1, 3)
        for i, future in enumerate(rest):
            np.testing.assert_array_equal(future.result(TIMEOUT)[0], np.full((1 + i % 2, 3), 2 * i))
        assert recorder.shapes == [(1, 3), (15, 3)]
        assert (batcher.batch_count, batcher.request_count) == (2, 11)


def test_different_shapes_and_dtypes_go_in_separate_batches():
    recorder = Recorder(hold_first=True)
    with _stopping(Batcher(recorder, max_batch_size=64, timeout_ms=100, pad=False)) as batcher:
        first = batcher.submit([np.zeros((1, 3), "float32")])
        recorder.entered.wait(TIMEOUT)
        shapes = [(2, 3), (1, 5), (2, 3), (1, 5), (1, 3)]
        futures = [batcher.submit([np.ones(s, "float32")]) for s in shapes]
        other_dtype = batcher.submit([np.ones((1, 3), "float64")])
        recorder.release.set()
        first.result(TIMEOUT)
        for shape, future in zip(shapes, futures):
            assert future.result(TIMEOUT)[0].shape == shape
        assert other_dtype.result(TIMEOUT)[0].dtype == np.float64
        assert recorder.shapes[1:] == [(5, 3), (2, 5), (1, 3)]  # by the arrival of each group's first


def test_batches_hold_at_most_max_rows_and_big_requests_are_split():
    recorder = Recorder(hold_first=True)
    with _stopping(Batcher(recorder, max_batch_size=4, timeout_ms=100, pad=False)) as batcher:
        first = batcher.submit([np.zeros((1, 2), "float32")])
        recorder.entered.wait(TIMEOUT)
        small = [batcher.submit([np.ones((3, 2), "float32")]) for _ in range(3)]
        big = batcher.submit([np.arange(20, dtype="float32").reshape(10, 2)])
        recorder.release.set()
        first.result(TIMEOUT)
        assert all(f.result(TIMEOUT)[0].shape == (3, 2) for f in small)
        np.testing.assert_array_equal(big.result(TIMEOUT)[0], np.arange(20).reshape(10, 2) * 2)
        assert max(s[0] for s in recorder.shapes) <= 4


def test_padding_to_powers_of_two():
    assert [bucket_size(n, 64) for n in (1, 2, 3, 5, 33, 64)] == [1, 2, 4, 8, 64, 64]
    assert bucket_size(40, 48) == 48 and bucket_size(100, 64) == 100
    recorder = Recorder()
    with _stopping(Batcher(recorder, max_batch_size=64, timeout_ms=0)) as batcher:
        out = batcher.submit([np.ones((5, 2), "float32")]).result(TIMEOUT)[0]
    assert out.shape == (5, 2) and recorder.shapes == [(8, 2)]


def test_a_failing_request_does_not_fail_the_others_in_its_batch():
    recorder = Recorder(hold_first=True)
    with _stopping(Batcher(recorder, max_batch_size=64, timeout_ms=100, pad=False)) as batcher:
        first = batcher.submit([np.zeros((1, 2), "float32")])
        recorder.entered.wait(TIMEOUT)
        good = [batcher.submit([np.ones((1, 2), "float32")]) for _ in range(3)]
        bad = batcher.submit([-np.ones((1, 2), "float32")])
        recorder.release.set()
        first.result(TIMEOUT)
        assert all(f.result(TIMEOUT)[0].tolist() == [[2, 2]] for f in good)
        with pytest.raises(ValueError, match="negative"):
            bad.result(TIMEOUT)


def test_an_output_without_the_batch_dimension_is_an_error():
    with _stopping(Batcher(lambda arrays: [np.float32(1.0)], timeout_ms=0)) as batcher:
        with pytest.raises(ValueError, match="batch dimension"):
            batcher.submit([np.ones((2, 2))]).result(TIMEOUT)


def test_stop_fails_waiting_requests_and_refuses_new_ones():
    recorder = Recorder(hold_first=True)
    batcher = Batcher(recorder, timeout_ms=1)
    first = batcher.submit([np.zeros((1, 2), "float32")])
    recorder.entered.wait(TIMEOUT)
    stopper = threading.Thread(target=batcher.stop)
    stopper.start()
    recorder.release.set()
    stopper.join(TIMEOUT)
    first.result(TIMEOUT)
    with pytest.raises(RuntimeError, match="stopped"):
        batcher.submit([np.zeros((1, 2), "float32")])
