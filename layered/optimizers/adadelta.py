"""Adadelta: steps sized by the ratio of running RMS of updates and of gradients."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012). With `rms(x) = sqrt(x + epsilon)`, each step:
        a = rho * a + (1 - rho) * g**2
        d = rms(delta_a) / rms(a) * g;  delta_a = rho * delta_a + (1 - rho) * d**2
        w -= lr * d

    Args:
        learning_rate: a float or a schedule (default 0.001; the paper's method is 1.0).
        rho: decay rate of both running averages.
        epsilon: added under the square roots.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Adadelta(learning_rate=1.0)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "accumulated_grad")
            self.add_slot(v, "accumulated_delta_var")

    def _rms(self, x):
        return b.sqrt(b.add(x, self.epsilon))

    def update_step(self, gradient, variable, learning_rate):
        grads = self.slot(variable, "accumulated_grad")
        deltas = self.slot(variable, "accumulated_delta_var")
        new_grads = b.add(b.mul(grads, self.rho), b.mul(b.square(gradient), 1 - self.rho))
        direction = b.div(b.mul(self._rms(deltas), gradient), self._rms(new_grads))
        new_deltas = b.add(b.mul(deltas, self.rho), b.mul(b.square(direction), 1 - self.rho))
        return b.mul(direction, learning_rate), [(grads, new_grads), (deltas, new_deltas)]

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
