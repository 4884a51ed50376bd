"""The optimizer base: turns gradients into graph updates of variables and slots.

The learning rate is a variable the step graph reads, so changing it never recompiles.
A subclass writes `update_step(gradient, variable, learning_rate)` in graph ops and
returns `(variable, new_value)` pairs for the variable and its slots.
"""
import numpy as np

from layered.graph import build
from layered.graph.autodiff import grad
from layered.graph.core import Variable


class Optimizer:
    def __init__(self, learning_rate=0.01, name=None):
        self.name = name or type(self).__name__.lower()
        self._learning_rate = Variable(float(learning_rate), trainable=False, name=f"{self.name}/learning_rate")
        self.iterations = Variable(0, dtype="int32", trainable=False, name=f"{self.name}/iterations")
        self._slots = {}

    @property
    def learning_rate(self):
        return float(self._learning_rate.value)

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate.assign(value)

    def add_slot(self, variable, slot_name, initial=0.0):
        """A variable shaped like `variable`, created once and reused (momentum, moments...)."""
        key = (variable.id, slot_name)
        if key not in self._slots:
            self._slots[key] = Variable(np.full(variable.shape, initial, dtype=variable.dtype),
                                        trainable=False, name=f"{self.name}/{variable.name}/{slot_name}")
        return self._slots[key]

    @property
    def variables(self):
        return [self.iterations, self._learning_rate] + list(self._slots.values())

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError

    def get_updates(self, grads_and_vars):
        """Graph updates applying `grads_and_vars` once, with the iteration counter."""
        lr = self._learning_rate
        updates = []
        for g, v in grads_and_vars:
            updates.extend(self.update_step(g, v, build.cast(lr, v.dtype)))
        updates.append((self.iterations, build.add(self.iterations, 1)))
        return updates

    def minimize(self, loss, var_list, inputs=()):
        """A compiled step: each call, fed one array per placeholder in `inputs`, applies
        one update of `var_list` against `loss` and returns the loss before the update.

        Example:
            train = layered.optimizers.SGD(0.1).minimize(loss, [w])
            for _ in range(100):
                train()
        """
        from layered.training.function import Function  # training sits above optimizers

        var_list = list(var_list)
        grads = grad(loss, var_list)
        return Function(list(inputs), loss, self.get_updates(list(zip(grads, var_list))))
