"""Weight initializers, by Keras 3 name and defaults. They run on the host with NumPy:
an initial value is data, not graph computation."""
import numpy as np

from layered import random
from layered.registry import lookup


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) as Keras computes them; conv kernels multiply by the receptive field.
    With both `input_axes` and `output_axes`, the fans are the products of those axes' sizes."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return int(np.prod([shape[a] for a in input_axes])), int(np.prod([shape[a] for a in output_axes]))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: `initializer(shape, dtype)` returns a NumPy array."""

    def __init__(self, seed=None):
        self.seed = seed

    @property
    def _rng(self):
        # A seeded initializer gives the same values on every call (as in Keras); an
        # unseeded one draws from the global generator that set_random_seed resets.
        return np.random.default_rng(self.seed) if self.seed is not None else random.global_generator()

    def __call__(self, shape, dtype=None):
        from layered.config import floatx
        return np.asarray(self.sample(tuple(shape)), dtype=dtype or floatx())

    def sample(self, shape):
        raise NotImplementedError

    def get_config(self):
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _truncated_normal(self, shape, mean, stddev):
        # Draws beyond two standard deviations are drawn again, as in Keras.
        rng = self._rng
        values = rng.standard_normal(shape)
        outside = np.abs(values) > 2.0
        while outside.any():
            values[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2.0
        return mean + stddev * values


class Zeros(Initializer):
    def sample(self, shape):
        return np.zeros(shape)

    def get_config(self):
        return {}


class Ones(Initializer):
    def sample(self, shape):
        return np.ones(shape)

    def get_config(self):
        return {}


class Constant(Initializer):
    def __init__(self, value=0.0):
        super().__init__()
        self.value = value

    def sample(self, shape):
        return np.broadcast_to(np.asarray(self.value, dtype=np.float64), shape).copy()

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape):
        return self._rng.normal(self.mean, self.stddev, shape)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def sample(self, shape):
        return self._rng.uniform(self.minval, self.maxval, shape)

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(RandomNormal):
    def sample(self, shape):
        return self._truncated_normal(shape, self.mean, self.stddev)


# The standard deviation of a unit normal truncated to [-2, 2]; dividing by it keeps
# the variance that variance scaling asks for.
_TRUNCATED_STDDEV = 0.87962566103423978


class VarianceScaling(Initializer):
    """Values with variance `scale / n`, n being fan_in, fan_out or their average."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        super().__init__(seed)
        self.input_axes, self.output_axes = input_axes, output_axes
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got '{mode}'")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', "
                             f"got '{distribution}'")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def sample(self, shape):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            return self._rng.uniform(-limit, limit, shape)
        if self.distribution == "untruncated_normal":
            return self._rng.normal(0.0, np.sqrt(variance), shape)
        return self._truncated_normal(shape, 0.0, np.sqrt(variance) / _TRUNCATED_STDDEV)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _scaling(name, scale, mode, distribution):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": f"VarianceScaling({scale}, '{mode}', '{distribution}')."})


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (scaled) orthogonal matrix from the QR decomposition of a normal draw."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def sample(self, shape):
        if len(shape) < 2:
            raise ValueError(f"the orthogonal initializer needs a shape of rank >= 2, got {shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = self._rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the result uniformly distributed
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        super().__init__()
        self.gain = gain

    def sample(self, shape):
        if len(shape) != 2:
            raise ValueError(f"the identity initializer needs a 2D shape, got {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self):
        # Keras writes no keys for the identity; a non-default gain is kept so it round-trips.
        return {} if self.gain == 1.0 else {"gain": self.gain}


# Keras 3's other public names for the same classes.
OrthogonalInitializer, IdentityInitializer = Orthogonal, Identity
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal

INITIALIZERS = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal, "orthogonal": Orthogonal, "identity": Identity,
    "uniform": RandomUniform, "normal": RandomNormal,  # Keras aliases (Embedding's default is "uniform")
}

_BY_CLASS_NAME = {cls.__name__: cls for cls in INITIALIZERS.values()}


def get(identifier):
    """An initializer from a name, a class, an instance or a callable.

    Example:
        layered.initializers.get("glorot_uniform")((784, 256))
    """
    if isinstance(identifier, Initializer) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):  # {"class_name": ..., "config": {...}} as serialize writes it
        return deserialize(identifier)
    return lookup({**INITIALIZERS, **_BY_CLASS_NAME}, identifier, "initializer")()


def deserialize(config, custom_objects=None):
    """An initializer from `serialize`'s `{"class_name": ..., "config": ...}` dict.

    Example:
        layered.initializers.deserialize({"class_name": "HeNormal", "config": {"seed": 1}})
    """
    name = config.get("class_name")
    table = {**INITIALIZERS, **_BY_CLASS_NAME, **(custom_objects or {})}
    if name not in table:
        from layered.saving.keras_objects import find_registered
        found = find_registered(config, custom_objects)
        if found is not None:
            return found.from_config(config.get("config", {})) if hasattr(found, "from_config") else found()
    return lookup(table, name, "initializer")(**config.get("config", {}))


def serialize(initializer):
    """`{"class_name": ..., "config": ...}` for an initializer object, as Keras saves it."""
    if not isinstance(initializer, Initializer):
        return getattr(initializer, "__name__", str(initializer))
    from layered.saving.keras_objects import serialize_entry
    return serialize_entry(initializer)
