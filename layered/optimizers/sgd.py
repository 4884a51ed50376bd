"""Stochastic gradient descent with optional (Nesterov) momentum."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent: `w -= learning_rate * g`, or with momentum
    `m = momentum * m - learning_rate * g; w += m` (Nesterov: `w += momentum * m - learning_rate * g`).

    Example:
        opt = layered.optimizers.SGD(learning_rate=0.025)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None):
        super().__init__(learning_rate, name)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def update_step(self, gradient, variable, learning_rate):
        step = b.mul(gradient, learning_rate)
        if not self.momentum:
            return [(variable, b.sub(variable, step))]
        m = self.add_slot(variable, "momentum")
        new_m = b.sub(b.mul(m, self.momentum), step)
        if self.nesterov:
            return [(m, new_m), (variable, b.sub(b.add(variable, b.mul(new_m, self.momentum)), step))]
        return [(m, new_m), (variable, b.add(variable, new_m))]
