"""Adagrad: steps scaled by the sum of all past squared gradients."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011). Each step:
        a = a + g**2;  w -= lr * g / sqrt(a + epsilon)

    Args:
        learning_rate: a float or a schedule (default 0.001).
        initial_accumulator_value: the starting value of `a`.
        epsilon: added under the square root.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Adagrad(learning_rate=0.01)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "accumulator", self.initial_accumulator_value)

    def update_step(self, gradient, variable, learning_rate):
        accumulator = self.slot(variable, "accumulator")
        new_accumulator = b.add(accumulator, b.square(gradient))
        delta = b.div(b.mul(gradient, learning_rate), b.sqrt(b.add(new_accumulator, self.epsilon)))
        return delta, [(accumulator, new_accumulator)]

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
