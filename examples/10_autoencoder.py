"""An autoencoder: digits squeezed through an 8-number code and rebuilt.

The encoder and the decoder are Sequential models nested in a third one; after training,
the encoder alone maps images to codes. The reconstruction error on the test set drops
well below that of predicting the mean image.
Run: python examples/10_autoencoder.py
"""
import layered
from layered import layers
from layered.datasets import digits
from _common import epochs


def main():
    layered.utils.set_random_seed(10)
    (x_train, _), (x_test, _) = digits.load_data()
    x_train, x_test = x_train.reshape(-1, 64) / 16.0, x_test.reshape(-1, 64) / 16.0
    encoder = layered.Sequential([layered.Input(shape=(64,)), layers.Dense(32, activation="relu"),
                                  layers.Dense(8, activation="relu")], name="encoder")
    decoder = layered.Sequential([layered.Input(shape=(8,)), layers.Dense(32, activation="relu"),
                                  layers.Dense(64, activation="sigmoid")], name="decoder")
    inputs = layered.Input(shape=(64,))
    autoencoder = layered.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    autoencoder.compile(optimizer="adam", loss="mse")
    autoencoder.fit(x_train, x_train, batch_size=32, epochs=epochs(40, 8), verbose=0)
    error = autoencoder.evaluate(x_test, x_test, verbose=0)
    baseline = float(((x_test - x_train.mean(0)) ** 2).mean())
    codes = encoder.predict(x_test, verbose=0)
    print(f"reconstruction mse {error:.4f} (mean-image baseline {baseline:.4f}); codes {codes.shape}")
    return error, baseline


if __name__ == "__main__":
    main()
