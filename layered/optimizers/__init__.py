"""Optimizers: parameter updates written as graph operations, by Keras 3 name."""
from layered.optimizers import schedules as schedules
from layered.optimizers.adadelta import Adadelta as Adadelta
from layered.optimizers.adafactor import Adafactor as Adafactor
from layered.optimizers.adagrad import Adagrad as Adagrad
from layered.optimizers.adam import Adam as Adam, AdamW as AdamW
from layered.optimizers.adamax import Adamax as Adamax
from layered.optimizers.base import Optimizer as Optimizer
from layered.optimizers.ftrl import Ftrl as Ftrl
from layered.optimizers.lamb import Lamb as Lamb
from layered.optimizers.lion import Lion as Lion
from layered.optimizers.loss_scale import LossScaleOptimizer as LossScaleOptimizer
from layered.optimizers.muon import Muon as Muon
from layered.optimizers.nadam import Nadam as Nadam
from layered.optimizers.rmsprop import RMSprop as RMSprop
from layered.optimizers.sgd import SGD as SGD
from layered.registry import lookup

# Names are matched case-insensitively, as in Keras: "Adam", "adam" and "ADAM" all work.
OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
              "adadelta": Adadelta, "nadam": Nadam, "adamax": Adamax, "lion": Lion, "ftrl": Ftrl,
              "adafactor": Adafactor, "lamb": Lamb, "muon": Muon}


def serialize(optimizer):
    """`{"class_name": ..., "config": ...}` for an optimizer, as Keras saves it."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """A new optimizer from `serialize`'s dict (its state is not part of the config)."""
    from layered.saving.serialization import get_registered_object
    custom = get_registered_object(config.get("registered_name") or config["class_name"])
    if custom is not None:
        return custom.from_config(config.get("config", {}))
    table = {**OPTIMIZERS, "lossscaleoptimizer": LossScaleOptimizer}  # a wrapper: by config only
    cls = lookup(table, str(config["class_name"]).lower(), "optimizer")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """An optimizer from a name, a class or a config dict; an Optimizer passes through.

    A name gives a new optimizer with Keras's defaults; an unknown name raises a
    ValueError listing the valid names and the closest one.

    Example:
        layered.optimizers.get("adam")  # Adam(learning_rate=0.001)
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return lookup(OPTIMIZERS, identifier.lower(), "optimizer")()
    raise ValueError(f"cannot interpret {identifier!r} as an optimizer: give a name "
                     f"({', '.join(OPTIMIZERS)}), an Optimizer object or class, or a config dict")
