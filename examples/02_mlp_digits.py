"""A multilayer perceptron on the 8x8 handwritten digits (1797 images shipped with layered).

Sequential model, Adam, sparse categorical cross-entropy, accuracy, a validation split and
early stopping: the everyday Keras workflow. Test accuracy reaches about 0.96.
Run: python examples/02_mlp_digits.py   (LAYERED_BACKEND=jax to run it on JAX)
"""
import layered
from layered import layers
from layered.datasets import digits


def main(epochs=40, verbose="auto"):
    layered.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16.0  # pixel values are 0..16
    x_test = x_test.reshape(-1, 64).astype("float32") / 16.0

    model = layered.Sequential([
        layered.Input(shape=(64,)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = layered.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, callbacks=[stop],
              verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
