"""Linear and logistic regression: the two models every course starts with, in Keras form.

Linear: y = 3x - 2 + noise, one Dense unit and mean squared error; the learned weight and
bias come out close to 3 and -2. Logistic: two Gaussian clouds, one sigmoid unit and binary
cross-entropy; accuracy above 0.9.
Run: python examples/04_regression.py   (LAYERED_BACKEND=jax to run it on JAX)
"""
import numpy as np

import layered
from layered import layers
from _common import epochs


def linear(rng):
    x = rng.uniform(-1, 1, (256, 1)).astype("float32")
    y = 3.0 * x - 2.0 + rng.normal(0, 0.05, (256, 1)).astype("float32")
    model = layered.Sequential([layered.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer=layered.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=32, epochs=epochs(60, 20), verbose=0)
    (weight,), bias = model.get_weights()[0], model.get_weights()[1]
    print(f"linear: weight {float(weight[0]):.3f} (true 3), bias {float(bias[0]):.3f} (true -2)")
    return float(weight[0]), float(bias[0])


def logistic(rng):
    x = np.concatenate([rng.normal(-1.5, 1, (200, 2)), rng.normal(1.5, 1, (200, 2))]).astype("float32")
    y = np.concatenate([np.zeros(200), np.ones(200)]).astype("float32")
    model = layered.Sequential([layered.Input(shape=(2,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=layered.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=epochs(40, 15), verbose=0)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    print(f"logistic: loss {loss:.3f}, accuracy {accuracy:.3f}")
    return accuracy


def main():
    layered.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    weight, bias = linear(rng)
    accuracy = logistic(rng)
    return weight, bias, accuracy


if __name__ == "__main__":
    main()
