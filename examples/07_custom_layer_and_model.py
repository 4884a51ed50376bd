"""A custom layer with `add_weight` and a subclassed model, written with `layered.ops`.

`RBF` is a radial-basis layer: each unit has a learned centre and width. `RBFNet` is a
subclassed model that chains it with a Dense head. It learns a two-spiral-like ring
problem that a linear model cannot.
Run: python examples/07_custom_layer_and_model.py
"""
import numpy as np

import layered
from layered import layers, ops
from _common import epochs


class RBF(layers.Layer):
    """exp(-|x - c_k|^2 / (2 s_k^2)) for learned centres c_k and widths s_k."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.centres = self.add_weight(shape=(self.units, input_shape[-1]), initializer="random_normal",
                                       name="centres")
        self.log_width = self.add_weight(shape=(self.units,), initializer="zeros", name="log_width")

    def call(self, x):
        distance = ops.sum(ops.square(ops.expand_dims(x, 1) - self.centres), axis=-1)
        return ops.exp(-distance / (2.0 * ops.exp(2.0 * self.log_width)))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class RBFNet(layered.Model):
    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.rbf = RBF(units)
        self.head = layers.Dense(1, activation="sigmoid")

    def call(self, x, training=None):
        return self.head(self.rbf(x))


def main():
    layered.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    x = rng.uniform(-2, 2, (600, 2)).astype("float32")
    y = (np.hypot(x[:, 0], x[:, 1]) < 1.2).astype("float32")  # inside the ring or not
    model = RBFNet()
    model.compile(optimizer=layered.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:500], y[:500], batch_size=32, epochs=epochs(40, 10), verbose=0)
    loss, accuracy = model.evaluate(x[500:], y[500:], verbose=0)
    model.summary()
    print(f"test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
