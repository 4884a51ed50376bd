"""Which way a watched quantity should go, for the callbacks that watch one.

ModelCheckpoint and ReduceLROnPlateau resolve `mode="auto"` with the same rules as
EarlyStopping: the model's metric of that name if it says (`direction` "up"/"down"), else
the name (losses and errors go down; accuracy, AUC, precision, ... go up).
"""
import warnings

import numpy as np

from layered.callbacks.early_stopping import _HIGHER_IS_BETTER, _LOWER_IS_BETTER, _metric_direction


def check_mode(mode, owner):
    """`mode` if it is "auto", "min" or "max"; otherwise "auto" with a warning, as Keras does."""
    if mode in ("auto", "min", "max"):
        return mode
    warnings.warn(f"{owner} mode '{mode}' is unknown, using 'auto'.", stacklevel=3)
    return "auto"


def monitor_direction(monitor, mode, model, owner):
    """"min" or "max" for the quantity `monitor`.

    Raises `ValueError` naming `owner` when `mode="auto"` and nothing tells.
    """
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    from_metric = _metric_direction(model, name)
    if from_metric is not None:
        return from_metric
    if any(part in name for part in _LOWER_IS_BETTER):
        return "min"
    if any(part in name for part in _HIGHER_IS_BETTER):
        return "max"
    raise ValueError(f"{owner} cannot tell whether '{monitor}' should go up or down; pass mode='max' to keep "
                     "the highest value or mode='min' for the lowest.")


def worst(direction):
    """The starting "best" value: anything finite improves on it."""
    return np.inf if direction == "min" else -np.inf


def improves(value, reference, direction, min_delta=0.0):
    """Whether `value` beats `reference` by more than `min_delta` in `direction`."""
    if direction == "min":
        return value < reference - min_delta
    return value > reference + min_delta
