"""The optimizer base: gradients in, graph updates of variables and slots out.

The learning rate is a variable the step graph reads, or a schedule evaluated in the graph
from `iterations`, so changing it never recompiles. A subclass creates its slots in
`build(var_list)` and writes `update_step(gradient, variable, learning_rate)` in graph ops,
returning the amount to subtract from the variable and the new values of its slots.
Clipping, weight decay and the iteration counter are done here, once, for every optimizer.
"""
import numbers
import re
import warnings

import numpy as np

from layered.graph import build as b
from layered.graph.autodiff import grad
from layered.graph.core import Placeholder, Tensor, Variable, name_scope
from layered.optimizers import schedules


class LearningRateValue(float):
    """The learning rate read from an optimizer: a float that, like a Keras variable, also
    has `assign(value)` (Keras code writes `optimizer.learning_rate.assign(1e-4)`) and `numpy()`."""

    def __new__(cls, value, optimizer):
        self = super().__new__(cls, value)
        self._optimizer = optimizer
        return self

    def assign(self, value):
        self._optimizer.learning_rate = value

    def numpy(self):
        return np.float32(self)


class Optimizer:
    """The base of every optimizer; subclasses write one `update_step`.

    Args:
        learning_rate: a float, or a `layered.optimizers.schedules.LearningRateSchedule`.
        weight_decay: if set, each step first shrinks every variable by
            `variable * weight_decay * learning_rate` (decoupled weight decay).
        clipnorm: if set, each gradient is rescaled so its L2 norm is at most this.
        clipvalue: if set, each gradient is clipped elementwise to [-clipvalue, clipvalue].
        global_clipnorm: if set, all gradients are rescaled together so that their joint
            L2 norm is at most this. Only one of the three clipping arguments may be set.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps: accepted for Keras compatibility; a non-default
            `use_ema`, `loss_scale_factor` or `gradient_accumulation_steps` raises
            NotImplementedError.
        name: the scope of the optimizer's variables and graph nodes.

    Example:
        opt = layered.optimizers.Adam(learning_rate=1e-3, global_clipnorm=1.0)
        updates = opt.get_updates(list(zip(grads, variables)))
    """

    def __init__(self, learning_rate=0.01, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        for arg, value, default in (("use_ema", use_ema, False), ("loss_scale_factor", loss_scale_factor, None),
                                    ("gradient_accumulation_steps", gradient_accumulation_steps, None)):
            if value != default:
                raise NotImplementedError(f"layered optimizers do not implement `{arg}` yet "
                                          f"(got {arg}={value!r}); leave it at {default!r}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set; got "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.name = name or type(self).__name__.lower()
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum, self.ema_overwrite_frequency = use_ema, ema_momentum, ema_overwrite_frequency
        self.loss_scale_factor, self.gradient_accumulation_steps = loss_scale_factor, gradient_accumulation_steps

        self.iterations = Variable(0, dtype="int32", trainable=False, name=f"{self.name}/iterations")
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self._schedule, self._learning_rate = learning_rate, None
        elif isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
            self._schedule = None
            self._learning_rate = Variable(float(learning_rate), trainable=False, name=f"{self.name}/learning_rate")
        else:
            raise ValueError("`learning_rate` must be a float or a LearningRateSchedule (a schedule receives "
                             f"the iteration count as a graph tensor); got {learning_rate!r}")
        self._own_variables = []  # optimizer-wide state besides iterations and the learning rate
        self._slots = {}  # (variable id, slot name) -> slot variable
        self._trainable_variables = []
        self._exclude_ids, self._exclude_pattern = set(), None
        self._eager_steps = {}  # apply_gradients: variable ids -> compiled Function
        self.built = False

    # ------------------------------------------------------------ learning rate

    @property
    def learning_rate(self):
        """The current learning rate as a Python float (a schedule's value at `iterations`).

        Setting it assigns the learning-rate variable: compiled steps read the new value
        without recompiling. An optimizer driven by a schedule cannot be set.
        """
        if self._schedule is None:
            return LearningRateValue(float(np.asarray(self._learning_rate.value)), self)
        return LearningRateValue(_host_float(self._schedule(int(np.asarray(self.iterations.value)))), self)

    @learning_rate.setter
    def learning_rate(self, value):
        if self._schedule is not None:
            raise TypeError(f"optimizer '{self.name}' was created with a LearningRateSchedule, so its learning "
                            "rate follows the schedule and cannot be set; create the optimizer with a float "
                            "`learning_rate` to set it")
        if isinstance(value, schedules.LearningRateSchedule):
            raise TypeError("a LearningRateSchedule can only be given when the optimizer is created "
                            "(compiled steps read the learning-rate variable)")
        self._learning_rate.assign(float(value))

    def learning_rate_tensor(self):
        """The learning rate as a scalar graph tensor: the variable, or the schedule at `iterations`."""
        if self._schedule is None:
            return self._learning_rate
        value = b.as_tensor(self._schedule(self.iterations))
        if value.shape != ():
            raise ValueError(f"learning rate schedule {type(self._schedule).__name__} returned shape {value.shape}, "
                             "expected a scalar")
        return value

    # ------------------------------------------------------------ variables

    def add_variable(self, shape, initializer=0.0, dtype=None, name=None):
        """An optimizer-wide variable filled with the number `initializer` (Nadam's momentum cache)."""
        variable = Variable(np.full(shape, initializer), dtype=dtype, trainable=False,
                            name=f"{self.name}/{name or 'variable'}")
        self._own_variables.append(variable)
        return variable

    def add_slot(self, variable, slot_name, initial=0.0, shape=None):
        """A variable shaped like `variable` (a momentum, a moment...), or of `shape` (Adafactor's
        factored moments), created once and reused."""
        key = (variable.id, slot_name)
        if key not in self._slots:
            shape = variable.shape if shape is None else tuple(shape)
            self._slots[key] = Variable(np.full(shape, initial), dtype=variable.dtype,
                                        trainable=False, name=f"{self.name}/{variable.name}/{slot_name}")
            if shape == variable.shape:
                self._slots[key].reference_variable = variable  # a distribution lays the slot out like it
        return self._slots[key]

    def slot(self, variable, slot_name):
        """The slot made by `add_slot(variable, slot_name)`."""
        try:
            return self._slots[(variable.id, slot_name)]
        except KeyError:
            raise KeyError(f"optimizer '{self.name}' has no slot '{slot_name}' for variable '{variable.name}'; "
                           "create it in build() with add_slot") from None

    @property
    def variables(self):
        """iterations, the learning-rate variable (unless a schedule drives it), then the other state."""
        lr = [] if self._learning_rate is None else [self._learning_rate]
        return [self.iterations] + lr + self._own_variables + list(self._slots.values())

    def build(self, var_list):
        """Create the slots of `var_list`; subclasses add theirs after calling this."""
        known = {v.id for v in self._trainable_variables}
        self._trainable_variables += [v for v in var_list if v.id not in known]
        self.built = True

    # ------------------------------------------------------------ weight decay

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leave out of weight decay the variables in `var_list` and those whose name contains
        any string of `var_names` (for example `var_names=["bias"]`). Call it before the
        first step."""
        if self.built:
            raise ValueError("exclude_from_weight_decay() must be called before the optimizer is built")
        self._exclude_ids = {v.id for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(map(re.escape, var_names))) if var_names else None

    def _uses_weight_decay(self, variable):
        if self.weight_decay is None or variable.id in self._exclude_ids:
            return False
        return self._exclude_pattern is None or not self._exclude_pattern.search(variable.name)

    # ------------------------------------------------------------ the step

    def prepare_step(self, var_list):
        """Graph updates of optimizer-wide state made once per step, before the per-variable ones."""
        return []

    def update_step(self, gradient, variable, learning_rate):
        """Graph ops for one variable: returns `(delta, slot_updates)`; the variable becomes
        `variable - delta` and `slot_updates` are `(slot, new_value)` pairs. `gradient` and
        `learning_rate` already have the variable's dtype."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def update_value(self, gradient, variable, value, learning_rate):
        """Graph ops for one variable: returns `(new_value, slot_updates)`. `value` is the
        variable after weight decay (what Keras's update step reads). The default subtracts
        `update_step`'s delta; optimizers whose rule reads the variable itself (Ftrl, Lamb,
        Adafactor) override this instead."""
        delta, slot_updates = self.update_step(gradient, variable, learning_rate)
        return b.sub(value, delta), slot_updates

    def get_updates(self, grads_and_vars):
        """Graph updates applying `grads_and_vars` once: `(variable, new_value)` pairs for the
        variables, the slots and the iteration counter."""
        grads_and_vars = list(grads_and_vars)
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        missing = [v.name for g, v in grads_and_vars if g is None]
        if not pairs:
            raise ValueError("no gradients provided for any variable")
        if missing:
            warnings.warn(f"gradients do not exist for variables {missing}", stacklevel=2)
        for _, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"optimizers update Variables, got {v!r}")
        variables = [v for _, v in pairs]
        self.build(variables)
        with name_scope(self.name):
            grads = self._clip_gradients([b.cast(g, v.dtype) for g, v in pairs])
            lr = self.learning_rate_tensor()
            updates = list(self.prepare_step(variables))
            for g, v in zip(grads, variables):
                v_lr = b.cast(lr, v.dtype)
                value = v
                if self._uses_weight_decay(v):
                    value = b.sub(v, b.mul(b.mul(v, self.weight_decay), v_lr))
                new_value, slot_updates = self.update_value(g, v, value, v_lr)
                updates += slot_updates
                updates.append((v, new_value))
            updates.append((self.iterations, b.add(self.iterations, 1)))
        return updates

    def _clip_gradients(self, grads):
        if self.clipnorm is not None and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None and self.clipvalue > 0:
            return [b.minimum(b.maximum(g, -self.clipvalue), self.clipvalue) for g in grads]
        return grads

    # ------------------------------------------------------------ running steps

    def minimize(self, loss, var_list, inputs=()):
        """A compiled step: each call, fed one array per placeholder in `inputs`, applies
        one update of `var_list` against `loss` and returns the loss before the update.

        Example:
            train = layered.optimizers.SGD(0.1).minimize(loss, [w])
            for _ in range(100):
                train()
        """
        from layered.training.function import Function  # training sits above optimizers

        var_list = list(var_list)
        grads = grad(loss, var_list)
        return Function(list(inputs), loss, self.get_updates(list(zip(grads, var_list))))

    def apply_gradients(self, grads_and_vars):
        """Apply one step now, with gradients given as arrays; returns `iterations`.

        The step is compiled once per set of variables and reused, so a custom training
        loop pays for compilation only on its first call.

        Example:
            opt.apply_gradients([(np.ones(3), w)])
        """
        from layered.training.function import Function  # training sits above optimizers

        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            raise ValueError("no gradients provided for any variable")
        for g, v in pairs:
            if tuple(np.shape(g)) != v.shape:
                raise ValueError(f"gradient for variable '{v.name}' has shape {tuple(np.shape(g))}, "
                                 f"expected {v.shape}")
        key = tuple(v.id for _, v in pairs)
        if key not in self._eager_steps:
            feeds = [Placeholder(v.shape, v.dtype, name=f"{v.name}/gradient") for _, v in pairs]
            updates = self.get_updates([(p, v) for p, (_, v) in zip(feeds, pairs)])
            self._eager_steps[key] = Function(feeds, [], updates)
        self._eager_steps[key](*[g for g, _ in pairs])
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """`apply_gradients(zip(grads, trainable_variables))`; the variables default to
        those the optimizer was built with."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError("apply() without variables needs a built optimizer: pass trainable_variables")
            trainable_variables = self._trainable_variables
        return self.apply_gradients(list(zip(grads, trainable_variables)))

    # ------------------------------------------------------------ config

    def get_config(self):
        """The constructor arguments, under Keras 3's names."""
        if self._schedule is None:
            learning_rate = self.learning_rate
        else:
            learning_rate = schedules.serialize(self._schedule)
        return {"name": self.name, "learning_rate": learning_rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)


# ---------------------------------------------------------------- clipping

def clip_by_norm(gradient, clipnorm):
    """`gradient` rescaled so that its L2 norm is at most `clipnorm`."""
    norm = b.sqrt(b.reduce_sum(b.square(gradient)))
    return b.div(b.mul(gradient, clipnorm), b.maximum(norm, clipnorm))


def global_norm(tensors):
    """The L2 norm of all `tensors` taken together."""
    total = b.reduce_sum(b.square(tensors[0]))
    for t in tensors[1:]:
        total = b.add(total, b.reduce_sum(b.square(t)))
    return b.sqrt(total)


def clip_by_global_norm(tensors, clipnorm):
    """`tensors` rescaled together so that their global norm is at most `clipnorm`.

    A non-finite norm makes every result NaN, as in Keras, rather than hiding the problem.
    """
    norm = global_norm(tensors)
    scale = b.add(b.div(clipnorm, b.maximum(norm, clipnorm)), b.sub(norm, norm))
    return [b.mul(t, b.cast(scale, t.dtype)) for t in tensors]


def _host_float(value):
    """A Python float from a schedule's host result (a number, or a graph it built)."""
    if isinstance(value, Tensor):
        from layered.training.function import Function  # training sits above optimizers

        value = Function([], value)()
    return float(np.asarray(value))
