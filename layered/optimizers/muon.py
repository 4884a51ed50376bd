"""Muon: momentum orthogonalised by Newton-Schulz iterations, AdamW for the other weights."""
import re

from layered.graph import build as b
from layered.optimizers.base import Optimizer


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Moonlight's scaling), as Keras computes it.

    A 2D weight (not an embedding, not matched by `exclude_layers`) steps along its
    Nesterov momentum made nearly orthogonal by `ns_steps` Newton-Schulz iterations, scaled
    by `sqrt(max(rows, cols)) * rms_rate`:
        m = momentum * m + g;  u = NS(g + momentum * m if nesterov else m)
        w -= lr * u * sqrt(max(rows, cols)) * rms_rate
    Every other weight takes an AdamW step with `lr * adam_lr_ratio`. Weight decay is
    `weight_decay` for Muon weights and `adam_weight_decay` for the others.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        adam_beta_1, adam_beta_2, epsilon, adam_weight_decay, adam_lr_ratio: the AdamW part.
        weight_decay: the decay of the Muon weights (default 0.004).
        exclude_layers: regular expressions; 2D weights whose name matches one use AdamW.
        exclude_embeddings: 2D weights named "embedding..." use AdamW (default True).
        muon_a, muon_b, muon_c, ns_steps: the quintic Newton-Schulz iteration.
        momentum, nesterov: the Muon momentum.
        rms_rate: the update scale (None: no scaling).
        **kwargs: the base arguments (clipnorm, clipvalue, global_clipnorm, name, ...).

    Example:
        opt = layered.optimizers.Muon(learning_rate=0.02, exclude_layers=["output"])
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
                 epsilon=1e-7, weight_decay=0.004, exclude_layers=None, exclude_embeddings=True, muon_a=3.4445,
                 muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True,
                 rms_rate=0.2, name="muon", **kwargs):
        super().__init__(learning_rate, name=name, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.adam_weight_decay, self.adam_lr_ratio = adam_weight_decay, adam_lr_ratio
        self.exclude_layers, self.exclude_embeddings = list(exclude_layers or []), exclude_embeddings
        self.muon_a, self.muon_b, self.muon_c, self.ns_steps = muon_a, muon_b, muon_c, ns_steps
        self.momentum, self.nesterov, self.rms_rate = momentum, nesterov, rms_rate

    def uses_adamw(self, variable):
        """Whether `variable` takes AdamW steps (not rank 2, an embedding, or excluded by name)."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.name.lower():
            return True
        return any(re.search(pattern, variable.name) for pattern in self.exclude_layers)

    def build(self, var_list):
        super().build(var_list)
        for v in var_list:
            self.add_slot(v, "momentum")
            if self.uses_adamw(v):
                self.add_slot(v, "velocity")

    def _uses_weight_decay(self, variable):
        return False  # decayed in update_value, at the rate of the variable's kind

    def _decayed(self, variable, learning_rate):
        rate = self.adam_weight_decay if self.uses_adamw(variable) else self.weight_decay
        excluded = variable.id in self._exclude_ids or \
            (self._exclude_pattern is not None and self._exclude_pattern.search(variable.name))
        if rate is None or excluded:
            return variable
        return b.sub(variable, b.mul(b.mul(variable, rate), learning_rate))

    def update_value(self, gradient, variable, value, learning_rate):
        value = self._decayed(variable, learning_rate)
        m = self.slot(variable, "momentum")
        if self.uses_adamw(variable):
            return self._adamw(gradient, variable, value, b.mul(learning_rate, self.adam_lr_ratio), m)
        new_m = b.add(b.mul(m, self.momentum), gradient)
        direction = b.add(gradient, b.mul(new_m, self.momentum)) if self.nesterov else new_m
        update = b.mul(self._orthogonalize(direction), learning_rate)
        if self.rms_rate is not None:
            update = b.mul(update, max(variable.shape) ** 0.5 * self.rms_rate)
        return b.sub(value, update), [(m, new_m)]

    def _adamw(self, gradient, variable, value, learning_rate, m):
        t = b.cast(b.add(self.iterations, 1), variable.dtype)
        alpha = b.div(b.mul(learning_rate, b.sqrt(b.sub(1.0, b.pow(self.adam_beta_2, t)))),
                      b.sub(1.0, b.pow(self.adam_beta_1, t)))
        v = self.slot(variable, "velocity")
        new_m = b.add(m, b.mul(b.sub(gradient, m), 1 - self.adam_beta_1))
        new_v = b.add(v, b.mul(b.sub(b.square(gradient), v), 1 - self.adam_beta_2))
        delta = b.div(b.mul(new_m, alpha), b.add(b.sqrt(new_v), self.epsilon))
        return b.sub(value, delta), [(m, new_m), (v, new_v)]

    def _orthogonalize(self, x):
        """The quintic Newton-Schulz iteration towards the orthogonal factor of `x` (2D)."""
        tall = x.shape[0] > x.shape[1]
        if tall:
            x = b.transpose(x, (1, 0))
        x = b.div(x, b.add(b.sqrt(b.reduce_sum(b.square(x))), 1e-7))
        for _ in range(self.ns_steps):
            gram = b.matmul(x, b.transpose(x, (1, 0)))
            poly = b.add(b.mul(gram, self.muon_b), b.mul(b.matmul(gram, gram), self.muon_c))
            x = b.add(b.mul(x, self.muon_a), b.matmul(poly, x))
        return b.transpose(x, (1, 0)) if tall else x

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}
