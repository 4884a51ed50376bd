"""Weight constraints by Keras 3 name: projections applied to a weight after each update."""
from layered import ops
from layered.registry import lookup


class Constraint:
    """Base class: `constraint(weight)` returns the projected weight (a graph tensor)."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescales each slice along `axis` whose L2 norm exceeds `max_value`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0.0, float(self.max_value))
        return w * (desired / (norms + 1e-7))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative entries to zero."""

    def __call__(self, w):
        return ops.relu(w)


class UnitNorm(Constraint):
    """Scales each slice along `axis` to unit L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (_norms(w, self.axis) + 1e-7)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm towards [min_value, max_value] at `rate` (1.0: all the way)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, float(self.min_value), float(self.max_value)) * self.rate + norms * (1 - self.rate)
        return w * (desired / (norms + 1e-7))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras 3's lowercase names for the same classes.
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

CONSTRAINTS = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
               "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}


def get(identifier):
    """A constraint from a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm'), a config, or an object."""
    if identifier is None or isinstance(identifier, Constraint) or callable(identifier) and \
            not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return lookup(CONSTRAINTS, identifier, "constraint")()


def deserialize(config, custom_objects=None):
    """A constraint from `serialize`'s `{"class_name": ..., "config": ...}` dict.

    Example:
        layered.constraints.deserialize({"class_name": "MaxNorm", "config": {"max_value": 3}})
    """
    from layered.saving.keras_objects import deserialize_entry
    return deserialize_entry(config, {**CONSTRAINTS, **(custom_objects or {})}, "constraint", custom_objects)


def serialize(constraint):
    if constraint is None:
        return None
    from layered.saving.keras_objects import serialize_entry
    return serialize_entry(constraint)
