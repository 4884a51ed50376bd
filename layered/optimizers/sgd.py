"""Stochastic gradient descent with optional (Nesterov) momentum."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent: `w -= learning_rate * g`, or with momentum
    `m = momentum * m - learning_rate * g; w += m` (Nesterov: `w += momentum * m - learning_rate * g`).

    Args:
        learning_rate: a float or a schedule (default 0.01).
        momentum: in [0, 1]; 0 is plain gradient descent.
        nesterov: use Nesterov momentum.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.SGD(learning_rate=0.025, momentum=0.9)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build(self, var_list):
        super().build(var_list)
        if self.momentum:
            for v in var_list:
                self.add_slot(v, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        step = b.mul(gradient, learning_rate)
        if not self.momentum:
            return step, []
        m = self.slot(variable, "momentum")
        new_m = b.sub(b.mul(m, self.momentum), step)
        if self.nesterov:
            return b.sub(step, b.mul(new_m, self.momentum)), [(m, new_m)]
        return b.neg(new_m), [(m, new_m)]

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
