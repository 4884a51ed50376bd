"""Utilities by Keras 3 name: seeding and label encoding."""
import random as python_random

import numpy as np

from layered import random


def set_random_seed(seed):
    """Seed every source of randomness layered uses (and Python's and NumPy's global ones).

    Initial weights, shuffling and dropout masks all follow from it: the same seed on the
    same backend and machine gives bit-identical training.

    Example:
        layered.utils.set_random_seed(1337)
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be a non-negative integer, got {seed!r}")
    random.set_seed(int(seed))
    python_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def to_categorical(x, num_classes=None):
    """One-hot rows for integer class labels (a trailing axis of size 1 is dropped, as in Keras).

    Example:
        layered.utils.to_categorical([0, 2, 1], num_classes=3)
    """
    labels = np.asarray(x)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and (labels.min() < 0 or not np.all(labels == np.floor(labels))):
        raise ValueError("to_categorical needs non-negative integer labels")
    labels = labels.astype(np.int64)
    num_classes = int(labels.max()) + 1 if num_classes is None and labels.size else int(num_classes or 0)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"label {int(labels.max())} is out of range for num_classes={num_classes}")
    return np.eye(num_classes, dtype="float32")[labels]
