"""Weight regularizers by Keras 3 name: penalties added to the training loss."""
from layered import ops
from layered.registry import lookup


class Regularizer:
    """Base class: `regularizer(weight)` returns a scalar penalty (a graph tensor)."""

    def __call__(self, x):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x^2)`.

    Example:
        layered.layers.Dense(8, kernel_regularizer=layered.regularizers.L1L2(l1=1e-5, l2=1e-4))
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.sum(ops.square(x)) * self.l2
            penalty = term if penalty is None else penalty + term
        return penalty if penalty is not None else ops.sum(x) * 0.0

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """`l1 * sum(|x|)` (Keras default l1=0.01)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """`l2 * sum(x^2)` (Keras default l2=0.01)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2,
                "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """A regularizer from a name ('l1', 'l2', 'l1_l2'), a config dict, an object or a callable."""
    if identifier is None or isinstance(identifier, Regularizer) or callable(identifier) and \
            not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, dict):
        return lookup(REGULARIZERS, identifier["class_name"], "regularizer").from_config(identifier["config"])
    return lookup(REGULARIZERS, identifier, "regularizer")()


def serialize(regularizer):
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
