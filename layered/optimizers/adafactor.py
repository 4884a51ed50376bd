"""Adafactor: second moments stored as row and column factors (memory sublinear in size)."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


def _rms(x):
    return b.sqrt(b.div(b.reduce_sum(b.square(x)), float(max(1, _size(x.shape)))))


def _size(shape):
    count = 1
    for d in shape:
        count *= d
    return count


def _mean(x, axis, keepdims=False):
    return b.div(b.reduce_sum(x, axes=axis, keepdims=keepdims), float(x.shape[axis]))


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), as Keras computes it. Each step, with `t` from 1:
        rho = min(lr, 1 / sqrt(t));  alpha = max(epsilon_2, rms(w)) * rho
        beta = 1 - t**beta_2_decay;  s = g**2 + epsilon_1
        for rank >= 2: r, c = running means of s over the last, second-last axis;
            v = r / mean(r) (outer) c;  else v = beta * v + (1 - beta) * s
        u = g / sqrt(v);  w -= alpha * u / max(1, rms(u) / clip_threshold)
    With `relative_step` (and a float learning rate) lr itself is capped at 1 / sqrt(t).

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_2_decay: the exponent of the second-moment decay schedule.
        epsilon_1: added to the squared gradient.
        epsilon_2: the least step scale relative to the weight's RMS.
        clip_threshold: the RMS above which an update is scaled down.
        relative_step: cap the learning rate at 1 / sqrt(t).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Adafactor(learning_rate=0.01)
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, name="adafactor", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            if len(v.shape) >= 2:
                self.add_slot(v, "r", shape=v.shape[:-1])
                self.add_slot(v, "c", shape=v.shape[:-2] + v.shape[-1:])
            self.add_slot(v, "v")

    def update_value(self, gradient, variable, value, learning_rate):
        t = b.cast(b.add(self.iterations, 1), variable.dtype)
        step_cap = b.rsqrt(t)
        lr = b.minimum(learning_rate, step_cap) if self.relative_step and self._schedule is None else learning_rate
        rho = b.minimum(lr, step_cap)
        alpha = b.mul(b.maximum(self.epsilon_2, _rms(value)), rho)
        squared = b.add(b.square(gradient), self.epsilon_1)
        decay = b.sub(1.0, b.pow(t, self.beta_2_decay))
        v = self.slot(variable, "v")
        if len(variable.shape) >= 2:
            r, c = self.slot(variable, "r"), self.slot(variable, "c")
            new_r = b.add(b.mul(decay, r), b.mul(b.sub(1.0, decay), _mean(squared, squared.ndim - 1)))
            new_c = b.add(b.mul(decay, c), b.mul(b.sub(1.0, decay), _mean(squared, squared.ndim - 2)))
            row = b.div(new_r, _mean(new_r, new_r.ndim - 1, keepdims=True))
            column = b.reshape(new_c, new_c.shape[:-1] + (1,) + new_c.shape[-1:])
            new_v = b.mul(b.reshape(row, row.shape + (1,)), column)
            slots = [(r, new_r), (c, new_c), (v, new_v)]
        else:
            new_v = b.add(b.mul(decay, v), b.mul(b.sub(1.0, decay), squared))
            slots = [(v, new_v)]
        u = b.div(gradient, b.sqrt(new_v))
        u_hat = b.div(u, b.maximum(1.0, b.div(_rms(u), self.clip_threshold)))
        return b.sub(value, b.mul(alpha, u_hat)), slots

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}
