"""Lamb: Adam steps rescaled per variable by a trust ratio."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Lamb(Optimizer):
    """Lamb (You et al., 2020). Each step, with `t` from 1:
        m = m + (g - m) * (1 - beta_1);  v = v + (g**2 - v) * (1 - beta_2)
        u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        w -= lr * (|w| / |u| if both norms are positive, else 1) * u

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1, beta_2: decay rates of the first and second moments.
        epsilon: added to the denominator.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Lamb(learning_rate=1e-3)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="lamb", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "momentum")
            self.add_slot(v, "velocity")

    def update_value(self, gradient, variable, value, learning_rate):
        t = b.cast(b.add(self.iterations, 1), variable.dtype)
        m, v = self.slot(variable, "momentum"), self.slot(variable, "velocity")
        new_m = b.add(m, b.mul(b.sub(gradient, m), 1 - self.beta_1))
        new_v = b.add(v, b.mul(b.sub(b.square(gradient), v), 1 - self.beta_2))
        m_hat = b.div(new_m, b.sub(1.0, b.pow(self.beta_1, t)))
        v_root = b.add(b.sqrt(b.div(new_v, b.sub(1.0, b.pow(self.beta_2, t)))), self.epsilon)
        update = b.div(m_hat, v_root)
        w_norm = b.sqrt(b.reduce_sum(b.square(value)))
        u_norm = b.sqrt(b.reduce_sum(b.square(update)))
        both_positive = b.logical_and(b.greater(w_norm, 0.0), b.greater(u_norm, 0.0))
        ratio = b.where(both_positive, b.div(w_norm, b.maximum(u_norm, 1e-30)), b.ones_like(w_norm))
        return b.sub(value, b.mul(b.mul(ratio, learning_rate), update)), [(m, new_m), (v, new_v)]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
