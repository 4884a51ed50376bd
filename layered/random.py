"""Randomness: one global NumPy generator for host-side draws, and per-step seed inputs.

Host-side draws (initial weights of unseeded initializers, shuffling, the base seed of a
`fit`) come from one generator that `layered.utils.set_random_seed` resets, so a run is
reproducible. Random ops inside graphs (dropout, noise) read a `seed` placeholder that the
caller feeds with a fresh value on every call; each op gets its own salt, so two dropout
layers in one step never share a mask.
"""
import contextlib
import threading

import numpy as np

from layered.graph.core import Placeholder

_generator = [np.random.default_rng()]
_state = threading.local()


def set_seed(seed):
    """Reset the global generator (called by `layered.utils.set_random_seed`)."""
    _generator[0] = np.random.default_rng(seed)


def global_generator():
    """The generator behind every unseeded host-side draw."""
    return _generator[0]


def draw_seed():
    """A fresh uint32[2] value for a graph's seed placeholder."""
    return global_generator().integers(0, 2**32, size=2, dtype=np.uint32)


class SeedStream:
    """The seed placeholder of one graph being built and the salts handed out so far."""

    def __init__(self):
        self.placeholder = None
        self.salts = 0

    def next(self):
        """(seed tensor, salt) for one more random op."""
        if self.placeholder is None:
            self.placeholder = Placeholder((2,), "uint32", name="seed")
        self.salts += 1
        return self.placeholder, self.salts


@contextlib.contextmanager
def seed_stream():
    """Collect the random ops of the graph built inside; yields the `SeedStream`."""
    previous = getattr(_state, "stream", None)
    _state.stream = stream = SeedStream()
    try:
        yield stream
    finally:
        _state.stream = previous


def next_seed(op_name="a random op"):
    """(seed tensor, salt) for a random op being added to the graph."""
    stream = getattr(_state, "stream", None)
    if stream is None:
        raise RuntimeError(f"{op_name} needs a seed: build it inside model.fit/evaluate/predict, an eager "
                           "layer call, or `with layered.random.seed_stream()` and feed the stream's placeholder")
    return stream.next()
