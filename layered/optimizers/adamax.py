"""Adamax: Adam with the infinity norm in place of the second moment."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7.1). Each step, with `t` from 1:
        m = m + (g - m) * (1 - beta_1);  u = maximum(beta_2 * u, |g|)
        w -= lr * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the infinity norm.
        epsilon: added to the norm.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Adamax(learning_rate=0.002)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "momentum")
            self.add_slot(v, "norm")

    def update_step(self, gradient, variable, learning_rate):
        t = b.cast(b.add(self.iterations, 1), variable.dtype)
        beta_1_power = b.pow(self.beta_1, t)
        m, u = self.slot(variable, "momentum"), self.slot(variable, "norm")
        new_m = b.add(m, b.mul(b.sub(gradient, m), 1 - self.beta_1))
        new_u = b.maximum(b.mul(u, self.beta_2), b.abs(gradient))
        delta = b.div(b.mul(new_m, learning_rate), b.mul(b.sub(1.0, beta_1_power), b.add(new_u, self.epsilon)))
        return delta, [(m, new_m), (u, new_u)]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
