"""Lion: the sign of an interpolated momentum."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Lion(Optimizer):
    """Lion (Chen et al., 2023). Each step:
        w -= lr * sign(beta_1 * m + (1 - beta_1) * g);  m = beta_2 * m + (1 - beta_2) * g

    Args:
        learning_rate: a float or a schedule (default 0.001; Lion wants 3-10x less than AdamW).
        beta_1: the interpolation rate of the update.
        beta_2: the decay rate of the momentum.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Lion(learning_rate=1e-4, weight_decay=0.01)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not 0.0 < beta_1 <= 1.0:
            raise ValueError(f"beta_1 must be in (0, 1], got {beta_1}")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self.slot(variable, "momentum")
        direction = b.sign(b.add(b.mul(m, self.beta_1), b.mul(gradient, 1.0 - self.beta_1)))
        new_m = b.add(b.mul(m, self.beta_2), b.mul(gradient, 1.0 - self.beta_2))
        return b.mul(direction, learning_rate), [(m, new_m)]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
