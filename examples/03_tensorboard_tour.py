"""A tour of TensorBoard with layered: an MLP on the 8x8 digits, logged for TensorBoard.

The `TensorBoard` callback writes real event files (no TensorFlow needed) into
`logs/03_tensorboard_tour/{train,validation}`:

- Scalars: epoch_loss, epoch_accuracy and epoch_learning_rate per epoch, train and
  validation on one chart; batch_loss every 10 batches.
- Histograms / Distributions: every weight ("dense/kernel", ...) after each epoch.
- Graphs: the whole training step, one box per layer beside `gradients` and `optimizer`.
- Images: the first layer's kernel.
- Text: a note written with the low-level writer (`layered.summary.create_file_writer`).

Run: python examples/03_tensorboard_tour.py [logdir]      then: tensorboard --logdir logs
The log directory may also be given with LAYERED_LOGDIR.
"""
import os
import sys

import layered
from layered import layers
from layered.datasets import digits

DEFAULT_LOGDIR = os.path.join("logs", "03_tensorboard_tour")


def main(epochs=15, logdir=None, verbose="auto"):
    logdir = logdir or os.environ.get("LAYERED_LOGDIR") or DEFAULT_LOGDIR
    layered.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
    x_test = x_test.reshape(-1, 64).astype("float32") / 16.0

    model = layered.Sequential([
        layered.Input(shape=(64,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.1),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tensorboard = layered.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1, write_graph=True,
                                                write_images=True, update_freq=10)
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, callbacks=[tensorboard],
              verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)

    # The low-level writer: anything else worth keeping beside the run.
    with layered.summary.create_file_writer(os.path.join(logdir, "notes")) as writer:
        writer.text("summary", f"**test accuracy** {accuracy:.4f}, test loss {loss:.4f}, "
                               f"{model.count_params()} parameters", step=epochs)
        writer.image("test_digits", x_test[:3].reshape(3, 8, 8, 1), step=epochs)

    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    print(f"tensorboard --logdir {logdir}")
    return accuracy


if __name__ == "__main__":
    main(logdir=sys.argv[1] if len(sys.argv) > 1 else None)
