"""Learning-rate schedules: the learning rate as a function of the optimizer's step count.

An optimizer given a schedule evaluates it inside its step graph from the `iterations`
variable, so a compiled step that runs many iterations keeps following it. Called on a
plain number, a schedule evaluates the same formula on the host with NumPy and returns a
float. The built-in schedules write their formula once, against `xp`: a namespace of
graph ops or of NumPy functions, both computing in float32.
"""
import math
from types import SimpleNamespace

import numpy as np

from layered.graph import build as b
from layered.graph.core import Tensor
from layered.registry import lookup

_GRAPH = SimpleNamespace(to_float=lambda x: b.cast(x, "float32"), floor=b.floor, cos=b.cos, log=b.log,
                         minimum=b.minimum, where=b.where, equal=b.equal, less=b.less, less_equal=b.less_equal)
_HOST = SimpleNamespace(to_float=np.float32, floor=np.floor, cos=np.cos, log=np.log,
                        minimum=np.minimum, where=np.where, equal=np.equal, less=np.less, less_equal=np.less_equal)


class LearningRateSchedule:
    """The base class: `__call__(step)` gives the learning rate at `step`.

    In an optimizer's graph `step` is the int32 `iterations` tensor: build the result with
    `layered.ops` (cast the step to float first). Implement `get_config` to make the
    schedule serializable.

    Example:
        class InverseSqrt(LearningRateSchedule):
            def __call__(self, step):
                return 0.1 * layered.ops.rsqrt(layered.ops.cast(step, "float32") + 1.0)
    """

    def __call__(self, step):
        raise NotImplementedError(f"learning rate schedule '{type(self).__name__}' must implement __call__(step)")

    def get_config(self):
        raise NotImplementedError(f"learning rate schedule '{type(self).__name__}' must implement get_config() "
                                  "to be serializable")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _FormulaSchedule(LearningRateSchedule):
    """A schedule written once as `formula(xp, step)`, run in the graph or on the host."""

    def __call__(self, step):
        if isinstance(step, Tensor):
            return self.formula(_GRAPH, step)
        return float(self.formula(_HOST, np.asarray(step)))

    def formula(self, xp, step):
        raise NotImplementedError


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"`{name}` must be > 0, got {name}={value}")


def _ceil(xp, x):
    return -xp.floor(-x)


class ExponentialDecay(_FormulaSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`; with `staircase`, the
    exponent is rounded down, so the rate drops every `decay_steps` steps.

    Example:
        schedule = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
        layered.optimizers.SGD(learning_rate=schedule)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def formula(self, xp, step):
        p = xp.to_float(step) / self.decay_steps
        if self.staircase:
            p = xp.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(_FormulaSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[1]` while `step <= boundaries[1]`,
    ..., and `values[-1]` after the last boundary.

    Example:
        schedule = PiecewiseConstantDecay(boundaries=[1000, 2000], values=[0.1, 0.01, 0.001])
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"`values` needs one more element than `boundaries`; got {len(boundaries)} boundaries "
                             f"{list(boundaries)} and {len(values)} values {list(values)}")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def formula(self, xp, step):
        result = xp.to_float(self.values[-1])
        for boundary, value in reversed(list(zip(self.boundaries, self.values))):
            result = xp.where(xp.less_equal(step, boundary), xp.to_float(value), result)
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(_FormulaSchedule):
    """From `initial_learning_rate` to `end_learning_rate` over `decay_steps` steps:
    `(initial - end) * (1 - step / decay_steps) ** power + end`, then constant. With
    `cycle`, `decay_steps` grows to the first multiple of itself above the step, so the
    decay restarts (from a lower height) instead of staying at the end.

    Example:
        schedule = PolynomialDecay(0.1, decay_steps=10000, end_learning_rate=0.01, power=0.5)
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle, self.name = end_learning_rate, power, cycle, name

    def formula(self, xp, step):
        step = xp.to_float(step)
        decay_steps = self.decay_steps
        if self.cycle:
            multiplier = xp.where(xp.equal(step, 0.0), 1.0, _ceil(xp, step / decay_steps))
            decay_steps = multiplier * decay_steps
        else:
            step = xp.minimum(step, decay_steps)
        p = step / decay_steps
        height = self.initial_learning_rate - self.end_learning_rate
        return height * (1.0 - p) ** self.power + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_FormulaSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)` (the ratio rounded
    down with `staircase`).

    Example:
        schedule = InverseTimeDecay(0.1, decay_steps=1.0, decay_rate=0.5)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def formula(self, xp, step):
        p = xp.to_float(step) / self.decay_steps
        if self.staircase:
            p = xp.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


def _cosine(xp, fraction, peak, alpha):
    """`peak` scaled by a half cosine from 1 (fraction 0) to `alpha` (fraction 1)."""
    cosine = 0.5 * (1.0 + xp.cos(math.pi * fraction))
    return peak * ((1.0 - alpha) * cosine + alpha)


class CosineDecay(_FormulaSchedule):
    """A half cosine from the peak down to `alpha * peak` over `decay_steps` steps, then
    constant (Loshchilov & Hutter, 2016). With `warmup_target`, the rate first rises
    linearly from `initial_learning_rate` to `warmup_target` over `warmup_steps` steps, and
    the peak is `warmup_target`; otherwise the peak is `initial_learning_rate`.

    Example:
        schedule = CosineDecay(0.0, decay_steps=1000, warmup_target=0.1, warmup_steps=100)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha, self.name = (
            initial_learning_rate, decay_steps, alpha, name)
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def formula(self, xp, step):
        step = xp.to_float(step)
        if self.warmup_target is None:
            step = xp.minimum(step, self.decay_steps)
            return _cosine(xp, step / self.decay_steps, self.initial_learning_rate, self.alpha)
        step = xp.minimum(step, self.decay_steps + self.warmup_steps)
        # max(.., 1): the warmup branch is never chosen when warmup_steps is 0, but is still computed.
        rise = (self.warmup_target - self.initial_learning_rate) * (step / max(self.warmup_steps, 1))
        warmup = rise + self.initial_learning_rate
        decay = _cosine(xp, (step - self.warmup_steps) / self.decay_steps, self.warmup_target, self.alpha)
        return xp.where(xp.less(step, self.warmup_steps), warmup, decay)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(_FormulaSchedule):
    """Cosine decay with warm restarts (SGDR): a half cosine over `first_decay_steps`, then
    again over `t_mul` times as many steps from `m_mul` times the previous height, and so on.

    Example:
        schedule = CosineDecayRestarts(0.1, first_decay_steps=1000)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def formula(self, xp, step):
        fraction = xp.to_float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = xp.floor(fraction)
            fraction = fraction - restart
        else:
            # Periods grow geometrically: find the period the step falls in, then the
            # fraction of that period already done.
            restart = xp.floor(xp.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
            done = (1.0 - self.t_mul ** restart) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul ** restart
        # The restart height scales the cosine part only; the floor stays alpha * initial.
        cosine = 0.5 * self.m_mul ** restart * (1.0 + xp.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                           InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(schedule):
    """`{"class_name": ..., "config": ...}` for a schedule, as Keras saves it."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    """A schedule from `serialize`'s dict."""
    return lookup(SCHEDULES, config["class_name"], "learning rate schedule").from_config(config["config"])
