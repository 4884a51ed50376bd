"""Nadam: Adam with Nesterov momentum and a momentum schedule."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer

_SCHEDULE_DECAY = 0.96  # Dozat's momentum schedule: mu_t = beta_1 * (1 - 0.5 * 0.96**t)


class Nadam(Optimizer):
    """Nadam (Dozat, 2016). With `t` from 1 and `mu_t = beta_1 * (1 - 0.5 * 0.96**t)`, the
    momentum cache `u_product` holds `mu_1 * ... * mu_t`; each step:
        m = m + (g - m) * (1 - beta_1);  v = v + (g**2 - v) * (1 - beta_2)
        m_hat = mu_{t+1} * m / (1 - u_product * mu_{t+1}) + (1 - mu_t) * g / (1 - u_product)
        w -= lr * m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon)

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1, beta_2: decay rates of the first and second moments.
        epsilon: added to the denominator.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Nadam(learning_rate=2e-3)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = None

    def build(self, var_list):
        super().build(var_list)
        if self._u_product is None:
            self._u_product = self.add_variable((), 1.0, dtype=var_list[0].dtype, name="u_product")
        for v in var_list:
            self.add_slot(v, "momentum")
            self.add_slot(v, "velocity")

    def _mu(self, step, dtype):
        return b.mul(self.beta_1, b.sub(1.0, b.mul(0.5, b.pow(_SCHEDULE_DECAY, b.cast(step, dtype)))))

    def _next_u_product(self):
        # u_product * beta_1 * (1 - 0.5 * 0.96**t), multiplied in the order Keras uses.
        dtype = self._u_product.dtype
        t = b.cast(b.add(self.iterations, 1), dtype)
        decay = b.sub(1.0, b.mul(0.5, b.pow(_SCHEDULE_DECAY, t)))
        return b.mul(b.mul(self._u_product, self.beta_1), decay)

    def prepare_step(self, var_list):
        return [(self._u_product, self._next_u_product())]

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        mu_t = self._mu(b.add(self.iterations, 1), dtype)
        mu_next = self._mu(b.add(self.iterations, 2), dtype)
        u_product = b.cast(self._next_u_product(), dtype)  # this step's value, as prepare_step writes it
        u_product_next = b.mul(u_product, mu_next)
        beta_2_power = b.pow(self.beta_2, b.cast(b.add(self.iterations, 1), dtype))
        m, v = self.slot(variable, "momentum"), self.slot(variable, "velocity")
        new_m = b.add(m, b.mul(b.sub(gradient, m), 1 - self.beta_1))
        new_v = b.add(v, b.mul(b.sub(b.square(gradient), v), 1 - self.beta_2))
        m_hat = b.add(b.div(b.mul(mu_next, new_m), b.sub(1.0, u_product_next)),
                      b.div(b.mul(b.sub(1.0, mu_t), gradient), b.sub(1.0, u_product)))
        v_hat = b.div(new_v, b.sub(1.0, beta_2_power))
        delta = b.div(b.mul(m_hat, learning_rate), b.add(b.sqrt(v_hat), self.epsilon))
        return delta, [(m, new_m), (v, new_v)]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
