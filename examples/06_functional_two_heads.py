"""The functional API: two inputs, a shared trunk, two outputs with their own losses.

Digits images and a "brightness" side input go in; one head classifies the digit, the
other regresses the mean pixel value. Loss weights balance the heads; the logs show
`digit_loss`, `brightness_loss` and `digit_accuracy`.
Run: python examples/06_functional_two_heads.py
"""
import numpy as np

import layered
from layered import layers
from layered.datasets import digits
from _common import epochs


def main():
    layered.utils.set_random_seed(6)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    pixels_train, pixels_test = x_train.reshape(-1, 64) / 16.0, x_test.reshape(-1, 64) / 16.0
    side_train = pixels_train.mean(1, keepdims=True)  # a second input: overall ink
    side_test = pixels_test.mean(1, keepdims=True)

    pixels = layered.Input(shape=(64,), name="pixels")
    side = layered.Input(shape=(1,), name="ink")
    trunk = layers.Dense(64, activation="relu", name="trunk")(pixels)
    joined = layers.Concatenate(name="join")([trunk, side])
    digit = layers.Dense(10, activation="softmax", name="digit")(joined)
    brightness = layers.Dense(1, name="brightness")(trunk)
    model = layered.Model(inputs=[pixels, side], outputs=[digit, brightness], name="two_heads")
    model.summary()
    model.compile(optimizer="adam", loss={"digit": "sparse_categorical_crossentropy", "brightness": "mse"},
                  loss_weights={"digit": 1.0, "brightness": 0.5}, metrics={"digit": ["accuracy"]})
    model.fit({"pixels": pixels_train, "ink": side_train}, {"digit": y_train, "brightness": side_train},
              batch_size=32, epochs=epochs(30, 5), verbose=0)
    logs = model.evaluate({"pixels": pixels_test, "ink": side_test}, {"digit": y_test, "brightness": side_test},
                          verbose=0, return_dict=True)
    print("test: " + ", ".join(f"{k} {v:.4f}" for k, v in logs.items()))
    return logs["digit_accuracy"]


if __name__ == "__main__":
    main()
