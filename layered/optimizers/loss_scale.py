"""`LossScaleOptimizer`: Keras's loss-scaling wrapper, as a pass-through.

Loss scaling protects float16 gradients from underflow. layered trains in float32, where
scaling the loss and unscaling the gradients changes nothing, so the wrapper applies the
inner optimizer's updates as they are and keeps Keras's arguments and config.
"""
from layered.optimizers.base import Optimizer


class LossScaleOptimizer(Optimizer):
    """Wraps `inner_optimizer`; every step is the inner optimizer's step.

    Args:
        inner_optimizer: the optimizer that updates the variables.
        initial_scale, dynamic_growth_steps: kept for Keras compatibility (no effect in float32).
        name: the wrapper's name (default "loss_scale_optimizer").

    Example:
        opt = layered.optimizers.LossScaleOptimizer(layered.optimizers.Adam())
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(f"LossScaleOptimizer wraps an optimizer, got {inner_optimizer!r}")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not take {sorted(kwargs)}")
        # No base __init__: the state (iterations, learning rate, slots) is the inner optimizer's.
        self.inner_optimizer = inner_optimizer
        self.initial_scale, self.dynamic_growth_steps = float(initial_scale), int(dynamic_growth_steps)
        self.name = name or "loss_scale_optimizer"

    def __getattr__(self, attribute):
        # Only reached for what the wrapper does not hold: the inner optimizer's state.
        if attribute == "inner_optimizer":
            raise AttributeError(attribute)
        return getattr(self.inner_optimizer, attribute)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def variables(self):
        return self.inner_optimizer.variables

    @property
    def built(self):
        return self.inner_optimizer.built

    def build(self, var_list):
        self.inner_optimizer.build(var_list)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        self.inner_optimizer.exclude_from_weight_decay(var_list, var_names)

    def get_updates(self, grads_and_vars):
        return self.inner_optimizer.get_updates(grads_and_vars)

    def apply_gradients(self, grads_and_vars):
        return self.inner_optimizer.apply_gradients(grads_and_vars)

    def apply(self, grads, trainable_variables=None):
        return self.inner_optimizer.apply(grads, trainable_variables)

    def minimize(self, loss, var_list, inputs=()):
        return self.inner_optimizer.minimize(loss, var_list, inputs)

    def get_config(self):
        from layered.optimizers import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config):
        from layered.optimizers import deserialize
        config = dict(config)
        config["inner_optimizer"] = deserialize(config["inner_optimizer"])
        return cls(**config)
