"""FTRL-proximal: follow the regularised leader, with L1/L2 strengths."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Ftrl(Optimizer):
    """FTRL-proximal (McMahan et al., 2013), as Keras computes it. Each step, with
    p = -learning_rate_power and l2 = l2_regularization_strength + beta / (2 lr):
        n' = n + g**2
        z += g + 2 * l2_shrinkage * w - (n'**p - n**p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n'**p / lr + 2 * l2);  n = n'

    Args:
        learning_rate: a float or a schedule (default 0.001).
        learning_rate_power: at most 0 (-0.5 by default).
        initial_accumulator_value: the starting value of `n` (at least 0).
        l1_regularization_strength, l2_regularization_strength: at least 0.
        l2_shrinkage_regularization_strength: an L2 penalty on the gradient side (at least 0).
        beta: added to the L2 strength as beta / (2 lr).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, name="ftrl", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        checks = (("initial_accumulator_value", initial_accumulator_value),
                  ("l1_regularization_strength", l1_regularization_strength),
                  ("l2_regularization_strength", l2_regularization_strength),
                  ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength))
        for arg, value in checks:
            if value < 0.0:
                raise ValueError(f"`{arg}` must be at least 0, got {value}")
        if learning_rate_power > 0.0:
            raise ValueError(f"`learning_rate_power` must be at most 0, got {learning_rate_power}")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "accumulator", self.initial_accumulator_value)
            self.add_slot(v, "linear")

    def update_value(self, gradient, variable, value, learning_rate):
        n, z = self.slot(variable, "accumulator"), self.slot(variable, "linear")
        power = -self.learning_rate_power
        l2 = b.add(self.l2_regularization_strength, b.div(self.beta, b.mul(learning_rate, 2.0)))
        shrunk = b.add(gradient, b.mul(value, 2.0 * self.l2_shrinkage_regularization_strength))
        new_n = b.add(n, b.square(gradient))
        sigma = b.div(b.sub(b.pow(new_n, power), b.pow(n, power)), learning_rate)
        new_z = b.add(z, b.sub(shrunk, b.mul(sigma, value)))
        quadratic = b.add(b.div(b.pow(new_n, power), learning_rate), b.mul(l2, 2.0))
        l1 = self.l1_regularization_strength
        clipped = b.minimum(b.maximum(new_z, -l1), l1)
        return b.div(b.sub(clipped, new_z), quadratic), [(n, new_n), (z, new_z)]

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
