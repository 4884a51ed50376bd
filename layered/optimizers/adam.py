"""Adam and AdamW: adaptive moments with bias correction."""
from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014): per-coordinate steps from running first and second moments.

    Each step, with `t` the step number from 1:
        m = m + (g - m) * (1 - beta_1);  v = v + (g**2 - v) * (1 - beta_2)
        w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)
    With `amsgrad`, `v` in the last line is the running maximum of `v`.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1, beta_2: decay rates of the first and second moments.
        epsilon: added to the denominator (Keras's "epsilon hat").
        amsgrad: use the AMSGrad variant (Reddi et al., 2018).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Adam(learning_rate=3e-4)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name="adam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "momentum")
            self.add_slot(v, "velocity")
            if self.amsgrad:
                self.add_slot(v, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        t = b.cast(b.add(self.iterations, 1), variable.dtype)
        beta_1_power = b.pow(self.beta_1, t)
        beta_2_power = b.pow(self.beta_2, t)
        alpha = b.div(b.mul(learning_rate, b.sqrt(b.sub(1.0, beta_2_power))), b.sub(1.0, beta_1_power))
        m, v = self.slot(variable, "momentum"), self.slot(variable, "velocity")
        new_m = b.add(m, b.mul(b.sub(gradient, m), 1 - self.beta_1))
        new_v = b.add(v, b.mul(b.sub(b.square(gradient), v), 1 - self.beta_2))
        updates = [(m, new_m), (v, new_v)]
        if self.amsgrad:
            v_hat = self.slot(variable, "velocity_hat")
            new_v = b.maximum(v_hat, new_v)
            updates.append((v_hat, new_v))
        delta = b.div(b.mul(new_m, alpha), b.add(b.sqrt(new_v), self.epsilon))
        return delta, updates

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): each step first does
    `w -= w * weight_decay * lr`, then the Adam update.

    Args:
        weight_decay: the decay rate (default 0.004); must be a number.
        the others: as for `Adam`.

    Example:
        opt = layered.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.01)
        opt.exclude_from_weight_decay(var_names=["bias"])
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW needs a number for `weight_decay`, got None (use Adam for no decay)")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name=name, weight_decay=weight_decay,
                         **kwargs)
