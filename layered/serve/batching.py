"""Batching: concurrent requests combined into one predictor call.

One worker thread takes requests from a queue. It waits up to `timeout_ms` after the oldest
waiting request arrived (or until `max_batch_size` rows are waiting), then runs the
requests that share the oldest one's per-example shapes and dtypes, in arrival order, up to
`max_batch_size` rows, as one batch; requests of other shapes wait for a batch of their own.
The outputs are split back by rows. A batch whose call fails is retried request by request,
so one bad request cannot fail the others.

Batches are padded (by repeating the last row) to a power of two rows, at most
`max_batch_size`: a backend that compiles per input shape (JAX, an exported graph) then
compiles a handful of shapes instead of one per batch size. Rows are independent at
inference, so the padded rows are simply dropped.
"""
import queue
import threading
import time
from concurrent.futures import Future

import numpy as np

from layered.serve.predictors import pad_rows

_STOP = object()


class _Request:
    def __init__(self, arrays):
        self.arrays = arrays
        self.rows = len(arrays[0])
        self.key = tuple((a.shape[1:], a.dtype.str) for a in arrays)
        self.arrived = time.monotonic()
        self.future = Future()


def bucket_size(rows, max_batch_size):
    """The padded row count of a batch of `rows`: the next power of two, capped at `max_batch_size`."""
    size = 1
    while size < rows:
        size *= 2
    return max(rows, min(size, max_batch_size))


class Batcher:
    """Runs `predictor` on batches gathered from `submit` calls in any number of threads.

    `batch_count` and `request_count` say how many predictor batches and requests have run.

    Example:
        batcher = Batcher(predictor, max_batch_size=64, timeout_ms=5)
        outputs = batcher.submit([x]).result(timeout=10)   # one array per output
        batcher.stop()
    """

    def __init__(self, predictor, max_batch_size=64, timeout_ms=5.0, pad=True):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        self.predictor, self.max_batch_size, self.pad = predictor, int(max_batch_size), pad
        self.timeout = max(0.0, timeout_ms) / 1000.0
        self.batch_count = self.request_count = 0
        self._queue = queue.Queue()
        self._stopped = False
        self._lock = threading.Lock()  # no request can slip into the queue behind the stop marker
        self._thread = threading.Thread(target=self._loop, name="layered-serve-batcher", daemon=True)
        self._thread.start()

    def submit(self, arrays):
        """Queue one request (one array per input, equal row counts); a Future of its outputs."""
        request = _Request(arrays)
        with self._lock:
            if self._stopped:
                raise RuntimeError("the batcher is stopped")
            self._queue.put(request)
        return request.future

    def stop(self, timeout=10.0):
        """Finish the batch in progress, fail the requests still waiting, and end the worker."""
        with self._lock:
            if not self._stopped:
                self._stopped = True
                self._queue.put(_STOP)
        self._thread.join(timeout)

    # ------------------------------------------------------------ the worker

    def _loop(self):
        waiting = []
        stopping = False
        while not stopping:
            if not waiting:
                item = self._queue.get()
                if item is _STOP:
                    break
                waiting.append(item)
            stopping = self._gather(waiting)
            batch = self._take(waiting)
            try:
                self._run(batch)
            except Exception as err:  # a bug here must not kill the worker and hang every client
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(err)
        for request in waiting + self._drain():
            request.future.set_exception(RuntimeError("the server is shutting down"))

    def _gather(self, waiting):
        """Add arrivals to `waiting` until the oldest request's batch is full or its window has
        passed; requests that arrived within the window join even when the worker was busy."""
        key, deadline = waiting[0].key, waiting[0].arrived + self.timeout
        rows = sum(r.rows for r in waiting if r.key == key)
        while rows < self.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return True
            waiting.append(item)
            rows += item.rows if item.key == key else 0
            if item.arrived > deadline:  # the queue holds only later arrivals now
                break
        return False

    def _take(self, waiting):
        """Remove and return the oldest request and those after it that fit in its batch."""
        key, rows, batch = waiting[0].key, 0, []
        for request in list(waiting):
            if request.key == key and (not batch or rows + request.rows <= self.max_batch_size):
                batch.append(request)
                rows += request.rows
                waiting.remove(request)
        return batch

    def _drain(self):
        left = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return left
            if item is not _STOP:
                left.append(item)

    def _run(self, batch):
        try:
            columns = [np.concatenate(parts) if len(parts) > 1 else parts[0]
                       for parts in zip(*(r.arrays for r in batch))]
            outputs = self._predict(columns)
        except Exception as err:
            if len(batch) > 1:  # find the request that broke it; the others still get answers
                for request in batch:
                    self._run([request])
            else:
                batch[0].future.set_exception(err)
            return
        self.request_count += len(batch)
        start = 0
        for request in batch:
            request.future.set_result([o[start:start + request.rows] for o in outputs])
            start += request.rows

    def _predict(self, columns):
        """The predictor on `columns`, in chunks of at most max_batch_size rows, each padded."""
        rows = len(columns[0])
        pieces = []
        for start in range(0, rows, self.max_batch_size):
            chunk = [c[start:start + self.max_batch_size] for c in columns]
            size = len(chunk[0])
            if self.pad:
                chunk = [pad_rows(c, bucket_size(size, self.max_batch_size)) for c in chunk]
            outputs = self.predictor(chunk)
            self.batch_count += 1
            for o in outputs:
                if np.ndim(o) == 0 or len(o) != len(chunk[0]):
                    raise ValueError(f"the model returned an output of shape {np.shape(o)} for a batch of "
                                     f"{len(chunk[0])} rows; outputs must keep the batch dimension")
            pieces.append([o[:size] for o in outputs])
        return pieces[0] if len(pieces) == 1 else [np.concatenate(parts) for parts in zip(*pieces)]
