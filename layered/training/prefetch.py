"""A background thread that prepares the next batches while the compiled step runs.

`Prefetcher(source, prepare, depth)` iterates `source` in a thread, applies `prepare` to
each item (reading rows, checking them, starting the device transfer) and hands the
results over in the source's order, at most `depth` of them ready ahead of the one in use. An
exception raised by the source or by `prepare` is raised again in the consuming thread
at the point where that item would have come. `close()` (also on leaving a `with` block,
on exhaustion, and when the consumer is interrupted while waiting) stops the thread and
waits for it: no thread outlives the loop that used it.
"""
import queue
import sys
import threading

_END = object()


class _Raised:
    def __init__(self, error):
        self.error = error


def _produce(source, prepare, items, slots, stop):
    """The thread's body. It takes a slot before it pulls an item, so at most `depth`
    prepared items exist besides the one the consumer holds. It holds no reference to the
    Prefetcher: dropping the Prefetcher (a `break` out of a loop) is enough to stop it."""
    def slot_free():
        while not slots.acquire(timeout=0.05):
            if stop.is_set():
                return False
        return not stop.is_set()

    iterator = None
    try:
        iterator = iter(source)
        while slot_free():
            try:
                item = next(iterator)
            except StopIteration:
                items.put(_END)
                return
            items.put(prepare(item) if prepare is not None else item)
    except BaseException as error:  # noqa: BLE001  (handed to the consumer, raised there)
        items.put(_Raised(error))
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()  # a generator's own cleanup runs here, in the thread that ran it


class Prefetcher:
    """Iterate `source` `depth` items ahead in a background thread.

    Args:
        source: any iterable (a generator of batches).
        prepare: a function applied to each item in the thread (default: none).
        depth: how many items are prepared ahead of the one in use (at least 1; 1 is
            double buffering: the next batch is made while the step runs on this one).
    Example:
        with Prefetcher(batches(), prepare=to_device, depth=2) as ahead:
            for batch in ahead:
                step(batch)
    """

    def __init__(self, source, prepare=None, depth=1):
        self._items = queue.SimpleQueue()  # bounded by the slots: at most depth items and an end mark
        self._slots = threading.Semaphore(max(1, int(depth)))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=_produce, args=(source, prepare, self._items, self._slots, self._stop),
                                        name="layered-prefetch", daemon=True)
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            item = self._items.get()
        except BaseException:  # KeyboardInterrupt while waiting: stop the thread before leaving
            self.close()
            raise
        if item is _END:
            self.close()
            raise StopIteration
        if isinstance(item, _Raised):
            self.close()
            raise item.error
        self._slots.release()  # the thread may prepare the next item while this one is used
        return item

    def close(self):
        """Stop the thread and wait for it to finish (it finishes the item in hand first)."""
        self._done = True
        self._stop.set()
        self._thread.join()
        while not self._items.empty():  # drop prepared items now rather than with the Prefetcher
            self._items.get_nowait()

    @property
    def running(self):
        return self._thread.is_alive()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        if not self._done and not sys.is_finalizing():
            self.close()
