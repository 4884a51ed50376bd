"""RMSprop: steps scaled by a running average of squared gradients."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012). Each step:
        v = rho * v + (1 - rho) * g**2
        step = lr * g / sqrt(v + epsilon)            (centered: sqrt(v - a**2 + epsilon),
                                                      with a = rho * a + (1 - rho) * g)
        w -= step, or with momentum: p = momentum * p + step; w -= p

    Args:
        learning_rate: a float or a schedule (default 0.001).
        rho: decay rate of the squared-gradient average.
        momentum: momentum on the scaled steps; 0 for none.
        epsilon: added under the square root.
        centered: divide by an estimate of the gradient's variance instead of its second moment.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.RMSprop(learning_rate=1e-3, momentum=0.9)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "velocity")
            if self.momentum > 0:
                self.add_slot(v, "momentum")
            if self.centered:
                self.add_slot(v, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        velocity = self.slot(variable, "velocity")
        new_velocity = b.add(b.mul(velocity, self.rho), b.mul(b.square(gradient), 1 - self.rho))
        updates = [(velocity, new_velocity)]
        if self.centered:
            average = self.slot(variable, "average_gradient")
            new_average = b.add(b.mul(average, self.rho), b.mul(gradient, 1 - self.rho))
            updates.append((average, new_average))
            denominator = b.add(b.sub(new_velocity, b.square(new_average)), self.epsilon)
        else:
            denominator = b.add(new_velocity, self.epsilon)
        step = b.div(b.mul(gradient, learning_rate), b.sqrt(denominator))
        if self.momentum > 0:
            momentum = self.slot(variable, "momentum")
            step = b.add(b.mul(momentum, self.momentum), step)
            updates.append((momentum, step))
        return step, updates

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
