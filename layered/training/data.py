"""Data adapters: NumPy arrays (nested in lists/dicts) or iterables of batches -> batches.

Every batch is `(x, y, sample_weight)` of nested NumPy arrays (`y` and `sample_weight`
may be None). Bad data is rejected before any step runs, so the model is never left
half-trained by input it could not use.
"""
import math
import os
import warnings

import numpy as np

from layered import random, tree


def _as_structure(data):
    """Lists/tuples of arrays and dicts stay structures; anything else becomes one array."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: _as_structure(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (np.ndarray, dict)) or hasattr(d, "__array__")
                                                         for d in data):
        return [_as_structure(d) for d in data]
    return np.asarray(data)


def is_array_data(x):
    if isinstance(x, list) and x and all(isinstance(item, tuple) for item in x):
        return False  # a list of (x, y) tuples is a re-iterable source of batches
    leaves = tree.flatten(x) if isinstance(x, (list, tuple, dict)) else [x]
    return all(isinstance(a, (np.ndarray, list, tuple, int, float)) or hasattr(a, "__array__") for a in leaves) \
        and not hasattr(x, "__next__")


def check_finite(structure, what, offset=0, samples=None, skip=()):
    """Raise if a float array of `structure` holds NaN or infinity, naming the first sample
    (row + `offset`, or `samples[row]`). Arrays whose id is in `skip` are not read."""
    for array in tree.flatten(structure):
        if array is None or id(array) in skip or not np.issubdtype(array.dtype, np.floating):
            continue
        # A finite sum proves every value finite, without a full-size temporary; only a
        # non-finite sum (a bad value, or an overflow) pays for the exact check.
        if np.isfinite(np.sum(array, dtype=np.float64)):
            continue
        if not np.isfinite(array).all():
            row = int(np.argwhere(~np.isfinite(array))[0][0])
            bad = int(samples[row]) if samples is not None else row + offset
            raise ValueError(f"{what} contains NaN or infinity (first at sample {bad}); clean the data first")


class _FileRows:
    """Rows of an array that lives in a file (an np.memmap, np.load(mmap_mode=...), or a
    row-contiguous view of one), read with `os.preadv` straight into the batch.

    Gathering rows through the mapping instead would map the file's pages into this
    process, and the kernel maps whole page-cache folios (up to 2 MiB) per touched row:
    a shuffled epoch would leave the whole file in the process's RSS. Reading the rows
    with pread touches only the page cache, so memory holds the batches and no more.
    Copy-on-write mappings (mode 'c') may hold changes the file does not; they, and views
    whose rows are not contiguous, are read through the mapping (`fd` is None).
    """

    def __init__(self, array, memmap):
        self.array, self.fd = array, None
        row_bytes = array.itemsize * math.prod(array.shape[1:])
        c_strides = np.empty((1,) + array.shape[1:], array.dtype).strides[1:]
        if memmap.mode == "c" or array.strides[1:] != c_strides or array.strides[0] < row_bytes:
            return
        self.row_bytes, self.row_stride = row_bytes, array.strides[0]
        self.start = memmap.offset + (array.ctypes.data - memmap.ctypes.data)
        self.fd = os.open(memmap.filename, os.O_RDONLY)

    @staticmethod
    def find(array):
        # The memmap that owns the mapping is the last array down the chain of bases (slices of
        # a memmap are memmaps too, but carry their parent's file offset).
        owner, base = None, array
        while isinstance(base, np.ndarray):
            if isinstance(base, np.memmap):
                owner = base
            base = base.base
        if owner is None or not getattr(owner, "filename", None) or array.ndim == 0 or array.size == 0:
            return None
        return _FileRows(array, owner)

    def take(self, index):
        if self.fd is None:
            return self.array[index]
        if isinstance(index, slice):
            rows = np.arange(*index.indices(self.array.shape[0]))
        else:
            rows = np.asarray(index)
        out = np.empty((len(rows),) + self.array.shape[1:], self.array.dtype)
        flat = out.reshape(len(rows), -1).view(np.uint8)
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1  # runs of consecutive rows: one read each
        for first, stop in zip(np.r_[0, breaks], np.r_[breaks, len(rows)]):
            self._read(flat[first:stop], int(rows[first]))
        return out

    def _read(self, target, row):
        if self.row_stride == self.row_bytes:
            self._read_exactly(memoryview(target).cast("B"), self.start + row * self.row_stride)
            return
        for k in range(len(target)):  # rows lie apart in the file (a strided view): one read per row
            self._read_exactly(memoryview(target[k]).cast("B"), self.start + (row + k) * self.row_stride)

    def _read_exactly(self, view, position):
        while len(view):
            done = os.preadv(self.fd, [view], position)
            if done <= 0:
                raise OSError(f"could not read {len(view)} bytes at offset {position} of the memory-mapped data")
            view, position = view[done:], position + done

    def __del__(self):
        if self.fd is not None:
            os.close(self.fd)


class Stacked:
    """`count` full batches gathered at once: each leaf has a leading axis of `count`."""

    def __init__(self, batch, count):
        self.batch, self.count = batch, count

    def __len__(self):
        return self.count

    def __getitem__(self, k):
        return tuple(None if part is None else tree.map_structure(lambda a: a[k], part) for part in self.batch)

    def __iter__(self):
        return (self[k] for k in range(self.count))


class ArrayData:
    """Batches of in-memory arrays, reshuffled every epoch when `shuffle` is set."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None, check=True):
        self.x, self.y, self.sample_weight = _as_structure(x), _as_structure(y), _as_structure(sample_weight)
        parts = [("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)]
        sizes = {}
        for name, part in parts:
            for array in tree.flatten(part) if part is not None else []:
                if array.ndim == 0:
                    raise ValueError(f"{name} must have a batch dimension, got a scalar")
                sizes.setdefault(name, set()).add(len(array))
        all_sizes = {n for s in sizes.values() for n in s}
        if len(all_sizes) > 1:
            detail = ", ".join(f"{name} has {sorted(s)[0] if len(s) == 1 else sorted(s)} samples"
                               for name, s in sizes.items())
            raise ValueError(f"the data lengths differ: {detail}; every input, target and weight needs one "
                             "entry per sample")
        self.num_samples = all_sizes.pop() if all_sizes else 0
        if self.num_samples == 0:
            raise ValueError("the dataset is empty: x has no samples")
        # Memory-mapped arrays are read only batch by batch (never whole: the file may be far
        # larger than memory), so their values are checked as each batch is gathered.
        self._mapped = {}
        for _, part in parts:
            for array in tree.flatten(part) if part is not None else []:
                found = _FileRows.find(array)
                if found is not None:
                    self._mapped[id(array)] = found
        self._check_batches = check and bool(self._mapped)
        if check:
            check_finite(self.x, "x", skip=self._mapped)
            check_finite(self.y, "y", skip=self._mapped)
            check_finite(self.sample_weight, "sample_weight", skip=self._mapped)
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        batches = math.ceil(self.num_samples / self.batch_size)
        self.steps = min(steps, batches) if steps else batches

    def batches(self):
        for _, block in self.blocks(1):
            batch = block.pop()
            del block
            yield batch
            del batch  # released before the next gather

    @property
    def memory_mapped(self):
        """Whether some array is read from a file, batch by batch."""
        return bool(self._mapped)

    def batch_sizes(self):
        """The sizes of the batches an epoch yields: the full size and that of the last one."""
        last = min(self.batch_size, self.num_samples - (self.steps - 1) * self.batch_size)
        return {min(self.batch_size, self.num_samples), last}

    def blocks(self, size):
        """(first step, batches) for runs of up to `size` steps. A run of `size` full batches
        comes as one `Stacked` block (one gather, a leading axis of `size`); the rest as lists."""
        order = random.global_generator().permutation(self.num_samples) if self.shuffle else None
        full_steps = min(self.steps, self.num_samples // self.batch_size)
        step = 0
        while step < self.steps:
            if size > 1 and step + size <= full_steps:
                index = self._index(order, step * self.batch_size, (step + size) * self.batch_size, size)
                yield step, Stacked(self._take(index, (size, self.batch_size)), size)
                step += size
                continue
            count = min(size, self.steps - step)
            batches = []
            for k in range(step, step + count):
                start = k * self.batch_size
                batches.append(self._take(self._index(order, start, min(start + self.batch_size, self.num_samples))))
            yield step, batches
            step += count

    @staticmethod
    def _index(order, start, stop, rows=1):
        if order is None:
            return slice(start, stop)
        # Sorted within each batch: gathers read memory forwards (the batch's content is the same).
        return np.sort(order[start:stop].reshape(rows, -1), axis=1).reshape(-1)

    def _take(self, index, leading=None):
        def take(array, what):
            rows = self._mapped.get(id(array)) if self._mapped else None
            if rows is None:
                part = array[index]
            else:
                part = rows.take(index)
                if self._check_batches:
                    if isinstance(index, slice):
                        check_finite(part, what, offset=index.start)
                    else:
                        check_finite(part, what, samples=index)
            return part if leading is None else part.reshape(leading + array.shape[1:])
        return tuple(None if part is None else tree.map_structure(lambda a: take(a, what), part)
                     for what, part in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)))

    def split(self, fraction):
        """(train, validation) adapters: the last `fraction` of the samples validates (as in Keras)."""
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"validation_split must be in (0, 1), got {fraction}")
        cut = int(math.floor(self.num_samples * (1.0 - fraction)))
        if cut == 0 or cut == self.num_samples:
            raise ValueError(f"validation_split={fraction} of {self.num_samples} samples leaves an empty part")

        def part(index):
            return tuple(None if p is None else tree.map_structure(lambda a: a[index], p)
                         for p in (self.x, self.y, self.sample_weight))
        train = ArrayData(*part(slice(0, cut)), batch_size=self.batch_size, shuffle=self.shuffle, check=False)
        val = ArrayData(*part(slice(cut, None)), batch_size=self.batch_size, shuffle=False, check=False)
        train._check_batches = val._check_batches = self._check_batches
        return train, val


def _unpack(item):
    """A batch item as (x, y, sample_weight): tuples of 1-3 parts, anything else is x alone."""
    if isinstance(item, tuple):
        if not 1 <= len(item) <= 3:
            raise ValueError(f"a batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(item)}")
        item = item + (None,) * (3 - len(item))
        return tuple(_as_structure(p) for p in item)
    return _as_structure(item), None, None


class IterableData:
    """Batches from a generator, an iterable, or an indexable sequence of batches."""

    def __init__(self, source, steps=None):
        self.source = source
        self.steps = steps
        if steps is None and hasattr(source, "__len__") and hasattr(source, "__getitem__"):
            self.steps = len(source)
        indexable = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        self._single_pass = not indexable and iter(source) is source
        self._iterator = None
        self._exhausted = False
        self._signature = None
        self._count = 0

    def _new_iterator(self):
        if hasattr(self.source, "__getitem__") and hasattr(self.source, "__len__"):
            return (self.source[i] for i in range(len(self.source)))
        return iter(self.source)

    def batches(self):
        if self._single_pass:
            if self._exhausted:
                warnings.warn("the data generator ran out of data; pass steps_per_epoch (or a re-iterable "
                              "source) to train for more than one pass", stacklevel=3)
                return
            self._iterator = self._iterator or self.source
        else:
            self._iterator = self._new_iterator()
        produced = 0
        while self.steps is None or produced < self.steps:
            try:
                item = next(self._iterator)
            except StopIteration:
                self._exhausted = True
                if self.steps is not None and self._single_pass:
                    warnings.warn(f"the data ran out after {produced} of {self.steps} steps this epoch",
                                  stacklevel=3)
                return
            batch = _unpack(item)
            self._check(batch)
            produced += 1
            yield batch
        if not self._single_pass and callable(getattr(self.source, "on_epoch_end", None)):
            self.source.on_epoch_end()  # a PyDataset reshuffles here after each full pass

    def _check(self, batch):
        signature = tuple(None if p is None else tree.map_structure(lambda a: (a.shape[1:], a.dtype.kind), p)
                          for p in batch)
        self._count += 1
        if self._signature is None:
            self._signature = signature
        elif signature != self._signature:
            raise ValueError(f"batch {self._count - 1} from the data source does not match the first batch: "
                             f"per-sample shapes and dtype kinds {_describe(signature)} vs {_describe(self._signature)}")
        sizes = {len(a) for p in batch if p is not None for a in tree.flatten(p)}
        if len(sizes) > 1:
            raise ValueError(f"batch {self._count - 1} has parts of different lengths {sorted(sizes)}")
        if sizes == {0}:
            raise ValueError(f"batch {self._count - 1} is empty")
        for name, part in zip(("x", "y", "sample_weight"), batch):
            check_finite(part, f"{name} of batch {self._count - 1}")


def _describe(signature):
    return str(tuple(None if p is None else p for p in signature))


def adapt(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None):
    """The adapter for what the user passed to fit/evaluate/predict."""
    if x is None:
        raise ValueError("no data: pass x (arrays, or an iterable of batches)")
    if is_array_data(x):
        return ArrayData(x, y, sample_weight, batch_size=batch_size or 32, shuffle=shuffle, steps=steps)
    if y is not None or sample_weight is not None:
        raise ValueError("when x is a generator or iterable of batches, it must yield the targets and weights "
                         "itself; do not pass y or sample_weight")
    if batch_size is not None:
        warnings.warn("batch_size is ignored when x yields batches", stacklevel=3)
    return IterableData(x, steps)
