"""`PyDataset` (alias `Sequence`): batches from Python code, indexed by batch number."""


class PyDataset:
    """Base class of a dataset of batches: implement `__len__` (the number of batches) and
    `__getitem__(index)` (batch `index` as `x`, `(x, y)` or `(x, y, sample_weight)`).

    `fit`, `evaluate` and `predict` read batches 0..len-1 in order and call `on_epoch_end()`
    after each full pass (every epoch of `fit`: shuffle there). `workers`,
    `use_multiprocessing` and `max_queue_size` are accepted for Keras compatibility;
    batches are read by layered's own prefetching thread, not by worker processes.

    Example:
        class Batches(layered.utils.PyDataset):
            def __init__(self, x, y, batch_size, **kwargs):
                super().__init__(**kwargs)
                self.x, self.y, self.batch_size = x, y, batch_size
            def __len__(self):
                return -(-len(self.x) // self.batch_size)
            def __getitem__(self, i):
                part = slice(i * self.batch_size, (i + 1) * self.batch_size)
                return self.x[part], self.y[part]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @property
    def num_batches(self):
        """The number of batches of an epoch (`len(self)`)."""
        return len(self)

    def on_epoch_begin(self):
        """Keras calls this before each epoch; layered's loops do not (kept for subclasses)."""

    def on_epoch_end(self):
        """Called after each epoch of `fit`: reshuffle or regenerate data here."""

    def __iter__(self):
        return (self[i] for i in range(len(self)))


Sequence = PyDataset
