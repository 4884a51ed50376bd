"""Randomness: one global NumPy generator for host-side draws, per-step seed inputs, and
the `keras.random` functions (normal, uniform, ..., SeedGenerator).

Host-side draws (initial weights of unseeded initializers, shuffling, the base seed of a
`fit`) come from one generator that `layered.utils.set_random_seed` resets, so a run is
reproducible. Random ops inside graphs (dropout, noise) read a `seed` placeholder that the
caller feeds with a fresh value on every call; each op gets its own salt, so two dropout
layers in one step never share a mask. Called outside a step being built, `normal`,
`uniform` and the others give tensors over a constant seed, whose `.numpy()` is the value.
"""
import contextlib
import threading

import numpy as np

from layered.graph.core import Dim, Placeholder

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


# ---------------------------------------------------------------- keras.random

class SeedGenerator:
    """A stateful seed, as in Keras: each random draw that takes it gets a new seed, so
    repeated draws differ while the whole sequence is reproducible from `seed`.

    Example:
        gen = layered.random.SeedGenerator(1337)
        a = layered.random.normal((2, 3), seed=gen)
        b = layered.random.normal((2, 3), seed=gen)  # differs from a
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(global_generator().integers(0, 2**31))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator needs an integer seed, got {seed!r}")
        self.seed, self.name, self._count = int(seed), name or "seed_generator", 0
        self._graph_salts = 0

    @property
    def state(self):
        """The current (seed, counter) pair."""
        return np.array([self.seed % 2**32, self._count], dtype=np.uint32)

    def next(self, ordered=True):
        """The uint32[2] seed of the next draw, and advance."""
        value = self.state
        self._count += 1
        return value

    def get_config(self):
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_SALT_STRIDE = 1_000_003  # separates the streams of differently seeded ops (as Dropout does)


def _seed(seed, what):
    """(seed tensor, salt) for one draw: the graph's seed input inside a step being built,
    else a constant seed (fixed for an int, advancing for a SeedGenerator, fresh for None)."""
    from layered.graph.core import Constant
    if isinstance(seed, bool) or not (seed is None or isinstance(seed, (int, np.integer, SeedGenerator))):
        raise ValueError(f"{what}: seed must be None, an int or a SeedGenerator, got {seed!r}")
    if getattr(_state, "stream", None) is not None:
        tensor, salt = next_seed(what)
        if isinstance(seed, SeedGenerator):
            seed._graph_salts += 1
            salt += _SALT_STRIDE * seed.seed + 7919 * seed._graph_salts
        elif seed is not None:
            salt += _SALT_STRIDE * int(seed)
        return tensor, salt
    if isinstance(seed, SeedGenerator):
        value = seed.next()
    elif seed is None:
        value = draw_seed()
    else:
        value = np.array([int(seed) % 2**32, 0], dtype=np.uint32)
    return Constant(value, dtype="uint32"), 0


def _float_dtype(dtype):
    from layered.config import floatx
    return dtype or floatx()


def _shape(shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(d is None for d in shape):
        raise ValueError(f"random draws need a shape without None, got {shape} (pass ops.shape(x)[i] for a "
                         "size known only at run time)")
    return tuple(d if isinstance(d, Dim) else int(d) for d in shape)  # a Dim: read when the graph runs


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Values from a normal distribution (a tensor: `.numpy()` gives the array eagerly).

    Example:
        layered.random.normal((2, 3), seed=1).numpy()
    """
    from layered.graph import build
    tensor, salt = _seed(seed, "layered.random.normal")
    return build.random_normal(tensor, _shape(shape), _float_dtype(dtype), salt=salt) * stddev + mean


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Values from a uniform distribution on [minval, maxval).

    Example:
        layered.random.uniform((4,), minval=-1.0, maxval=1.0, seed=SeedGenerator(0))
    """
    from layered.graph import build
    tensor, salt = _seed(seed, "layered.random.uniform")
    return build.random_uniform(tensor, _shape(shape), _float_dtype(dtype), salt=salt) * (maxval - minval) + minval


_CANDIDATES = 8  # draws per value; all 8 beyond 2 stddev has probability 2e-11, then clipped


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values within two standard deviations of `mean` (values beyond are redrawn).

    Example:
        layered.random.truncated_normal((3, 3), stddev=0.1, seed=2)
    """
    from layered import ops
    from layered.graph import build
    tensor, salt = _seed(seed, "layered.random.truncated_normal")
    shape, dtype = _shape(shape), _float_dtype(dtype)
    value = ops.clip(build.random_normal(tensor, shape, dtype, salt=salt), -2.0, 2.0)
    for k in range(1, _CANDIDATES):
        candidate = build.random_normal(tensor, shape, dtype, salt=salt + 104_729 * k)
        value = ops.where(ops.abs(candidate) <= 2.0, candidate, value)
    return value * stddev + mean


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval).

    Example:
        layered.random.randint((5,), 0, 10, seed=3)
    """
    from layered import ops
    from layered.graph import build
    tensor, salt = _seed(seed, "layered.random.randint")
    draw = build.random_uniform(tensor, _shape(shape), "float32", salt=salt) * float(maxval - minval) + float(minval)
    return ops.cast(ops.minimum(ops.floor(draw), float(maxval - 1)), dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """`inputs` with a fraction `rate` zeroed and the rest scaled by 1/(1 - rate).

    Example:
        layered.random.dropout(np.ones((2, 4), "float32"), 0.5, seed=1)
    """
    from layered import ops
    from layered.graph import build
    inputs = build.as_tensor(inputs)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    shape = inputs.shape if noise_shape is None else tuple(
        d if n is None else n for n, d in zip(noise_shape, inputs.shape))
    tensor, salt = _seed(seed, "layered.random.dropout")
    like = inputs if None in shape else None
    keep = build.random_uniform(tensor, shape, inputs.dtype, salt=salt, like=like) >= rate
    return ops.where(keep, inputs * (1.0 / (1.0 - rate)), ops.zeros_like(inputs))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from the rows of `logits` (batch, classes): (batch, num_samples).

    Uses the Gumbel-max trick: argmax(logits + Gumbel noise) follows softmax(logits).

    Example:
        layered.random.categorical(np.log([[0.1, 0.9]]), 5, seed=4)
    """
    from layered import ops
    from layered.graph import build
    logits = build.as_tensor(logits)
    if logits.ndim != 2 or None in logits.shape:
        raise ValueError(f"categorical needs logits of a known shape (batch, classes), got {logits.shape}")
    batch, classes = logits.shape
    tensor, salt = _seed(seed, "layered.random.categorical")
    u = build.random_uniform(tensor, (batch, int(num_samples), classes), logits.dtype, salt=salt)
    gumbel = -ops.log(-ops.log(u * (1.0 - 2e-7) + 1e-7))
    scores = ops.reshape(logits, (batch, 1, classes)) + gumbel
    return ops.cast(ops.argmax(scores, axis=-1), dtype)


def _host_rng(seed, what):
    """A NumPy generator for draws made on the host (shuffle, gamma, beta, binomial)."""
    if getattr(_state, "stream", None) is not None:
        raise NotImplementedError(f"{what} draws on the host: call it on arrays, outside a layer's call")
    if isinstance(seed, SeedGenerator):
        return np.random.default_rng(seed.next().tolist())
    if seed is None:
        return np.random.default_rng(draw_seed().tolist())
    return np.random.default_rng(int(seed))


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order.

    Example:
        layered.random.shuffle(np.arange(5), seed=1)
    """
    from layered.graph.core import Constant
    array = np.asarray(x)
    order = _host_rng(seed, "layered.random.shuffle").permutation(array.shape[axis])
    return Constant(np.take(array, order, axis=axis))


def gamma(shape, alpha, dtype=None, seed=None):
    """Values from a gamma distribution of shape `alpha` (scale 1).

    Example:
        layered.random.gamma((3,), alpha=2.0, seed=1)
    """
    from layered.graph.core import Constant
    rng = _host_rng(seed, "layered.random.gamma")
    return Constant(rng.gamma(np.asarray(alpha), size=_shape(shape)).astype(_float_dtype(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Values from a beta distribution with parameters `alpha` and `beta`.

    Example:
        layered.random.beta((3,), alpha=2.0, beta=5.0, seed=1)
    """
    from layered.graph.core import Constant
    rng = _host_rng(seed, "layered.random.beta")
    return Constant(rng.beta(np.asarray(alpha), np.asarray(beta), size=_shape(shape)).astype(_float_dtype(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Counts of successes out of `counts` trials of probability `probabilities` (as floats).

    Example:
        layered.random.binomial((3,), counts=10, probabilities=0.5, seed=1)
    """
    from layered.graph.core import Constant
    rng = _host_rng(seed, "layered.random.binomial")
    draws = rng.binomial(np.asarray(counts).astype(np.int64), np.asarray(probabilities), size=_shape(shape))
    return Constant(draws.astype(_float_dtype(dtype)))
