"""Save, load, resume: a model file holds the architecture, the weights and the optimizer.

Train a digits MLP for a few epochs, save it to `logs/12_save_load_resume/digits.layered`,
load it back (on whichever backend is active: a file written under NumPy loads under JAX),
check the predictions are identical, and continue training from the saved optimizer state.
Run: python examples/12_save_load_resume.py
"""
import os

import numpy as np

import layered
from layered import layers
from layered.datasets import digits
from _common import epochs, log_dir


def main():
    layered.utils.set_random_seed(12)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = x_train.reshape(-1, 64) / 16.0, x_test.reshape(-1, 64) / 16.0
    model = layered.Sequential([layered.Input(shape=(64,)), layers.Dense(64, activation="relu"),
                                layers.Dense(10, activation="softmax")], name="digits_mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs(10, 2), verbose=0)

    folder = log_dir("12_save_load_resume")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "digits.layered")
    model.save(path)
    restored = layered.models.load_model(path)
    same = np.array_equal(model.predict(x_test, verbose=0), restored.predict(x_test, verbose=0))
    print(f"saved to {path} ({os.path.getsize(path)} bytes); predictions identical after loading: {same}")
    print(f"optimizer resumes at iteration {int(restored.optimizer.iterations)}")

    restored.fit(x_train, y_train, batch_size=32, epochs=epochs(10, 2), verbose=0)
    _, accuracy = restored.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy after resuming: {accuracy:.4f}")
    return same, accuracy


if __name__ == "__main__":
    main()
