"""Array utilities by Keras 3 name: padding, normalising, splitting and windowing data."""
import math

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """A 2D array (`len(sequences)`, `maxlen`) from a list of sequences of different lengths.

    Args:
        sequences: a list of lists (or arrays) of numbers; trailing per-item shapes must agree.
        maxlen: the output length (default: the longest sequence).
        dtype: the output dtype.
        padding: "pre" or "post": pad before or after each sequence.
        truncating: "pre" or "post": drop values from the start or the end of longer sequences.
        value: the padding value.

    Example:
        layered.utils.pad_sequences([[1, 2, 3], [4]], maxlen=2)  # [[2, 3], [0, 4]]
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'padding must be "pre" or "post", got {padding!r}')
    if truncating not in ("pre", "post"):
        raise ValueError(f'truncating must be "pre" or "post", got {truncating!r}')
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable with a length")
    lengths, sample_shape = [], ()
    for item in sequences:
        if not hasattr(item, "__len__"):
            raise ValueError(f"`sequences` must be a list of iterables, found the non-iterable {item!r}")
        lengths.append(len(item))
        if len(item) and not sample_shape:
            sample_shape = np.asarray(item).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.object_)
    if isinstance(value, str) and not is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with the padding value {value!r}; use dtype=object")
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for row, item in enumerate(sequences):
        if not len(item) or maxlen == 0:
            continue
        kept = item[-maxlen:] if truncating == "pre" else item[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"sequence {row} has per-step shape {kept.shape[1:]}, expected {sample_shape}")
        if padding == "post":
            out[row, :len(kept)] = kept
        else:
            out[row, maxlen - len(kept):] = kept
    return out


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (zero vectors stay zero).

    Example:
        layered.utils.normalize(np.array([[3.0, 4.0]]))  # [[0.6, 0.8]]
    """
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def _split_sizes(total, left_size, right_size):
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be an int, a float or None, got {size!r}")
        if isinstance(size, (float, np.floating)) and not 0 < size < 1:
            raise ValueError(f"a float {name} must be in (0, 1), got {size}")
        if isinstance(size, (int, np.integer)) and not 0 < size < total:
            raise ValueError(f"an int {name} must be in (0, {total}) for a dataset of {total} samples, got {size}")
    if left_size is None and right_size is None:
        left_size = 0.5
    if isinstance(left_size, float) and isinstance(right_size, float) and left_size + right_size > 1:
        raise ValueError(f"left_size + right_size must be at most 1, got {left_size} + {right_size}")
    left = round(left_size * total) if isinstance(left_size, float) else left_size
    right = round(right_size * total) if isinstance(right_size, float) else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"left_size + right_size = {left + right} is more than the {total} samples")
    if left == 0 or right == 0:
        raise ValueError(f"with {total} samples, left_size={left_size} and right_size={right_size} leave a side empty")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, **kwargs):
    """(left, right) parts of an array, or of a tuple/list/dict of arrays of equal length.

    Sizes are sample counts (int) or fractions (float); one of them may be None for "the
    rest"; both None splits in half. Each part has the structure of `dataset`.

    Example:
        train, val = layered.utils.split_dataset((x, y), left_size=0.8)
    """
    from layered import tree
    leaves = [np.asarray(a) for a in tree.flatten(dataset)]
    if not leaves:
        raise ValueError("split_dataset needs at least one array")
    lengths = {len(a) for a in leaves}
    if len(lengths) != 1:
        raise ValueError(f"the arrays of the dataset have different lengths {sorted(lengths)}")
    total = lengths.pop()
    left, right = _split_sizes(total, left_size, right_size)
    order = np.random.default_rng(seed).permutation(total) if shuffle else np.arange(total)
    parts = []
    for index in (order[:left], order[left:left + right]):
        taken = [a[index] for a in leaves]
        parts.append(taken[0] if not isinstance(dataset, (list, tuple, dict)) else tree.pack_like(dataset, taken))
    return tuple(parts)


class _TimeseriesBatches:
    """The batches of `timeseries_dataset_from_array`: indexable, with a length, re-iterable."""

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size):
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size or len(starts)

    def __len__(self):
        return math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        starts = self.starts[index * self.batch_size:(index + 1) * self.batch_size]
        windows = self.data[starts[:, None] + self.offsets]
        return windows if self.targets is None else (windows, self.targets[starts])

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  **kwargs):
    """Batches of sliding windows over `data` (and the target of each window's first step).

    Window i holds `data[s + k * sampling_rate]` for k < sequence_length, where
    s = start_index + i * sequence_stride; its target is `targets[s]`. There is no tf.data
    here: the result is an indexable, re-iterable sequence of batches that `fit` accepts.

    Example:
        batches = layered.utils.timeseries_dataset_from_array(x[:-10], x[10:], sequence_length=10)
        model.fit(batches, epochs=2)
    """
    data = np.asarray(data)
    if sequence_length <= 0 or sampling_rate <= 0 or sequence_stride <= 0:
        raise ValueError("sequence_length, sampling_rate and sequence_stride must be positive, got "
                         f"{sequence_length}, {sampling_rate}, {sequence_stride}")
    if sequence_stride >= len(data):
        raise ValueError(f"sequence_stride={sequence_stride} must be smaller than the data length {len(data)}")
    start_index = 0 if start_index is None else start_index
    end_index = len(data) if end_index is None else end_index
    if not 0 <= start_index < end_index <= len(data):
        raise ValueError(f"need 0 <= start_index < end_index <= {len(data)}, got {start_index}, {end_index}")
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets) - start_index)
    if count <= 0:
        raise ValueError("the data is too short for one window of this sequence_length and sampling_rate")
    starts = start_index + np.arange(0, count, sequence_stride)
    if shuffle:
        np.random.default_rng(seed).shuffle(starts)
    return _TimeseriesBatches(data, targets, starts, sequence_length, sampling_rate, batch_size)
