"""An LSTM that adds up sequences of different lengths: padding, masking, return_sequences.

Each example is 2 to 10 numbers between 0 and 1; the target is their sum. Sequences of
different lengths share one batch by padding them with zeros at the end, to 10 steps.
A `Masking` layer marks the padded steps, and the LSTM skips them: at a masked step an
LSTM keeps its state and repeats its previous output, so the padding cannot change the
answer. The LSTM returns only its output at the last real step, which the Dense head
reads; `return_sequences=True` would return one output per step instead (what a second,
stacked LSTM or a per-step head needs); the script prints both shapes.
Prints the test mean absolute error next to that of always predicting the mean sum (about
1.2), and checks that extra padding leaves a prediction unchanged.
Run: python examples/08_lstm_sequence.py   then   tensorboard --logdir logs/08_lstm_sequence
"""
import numpy as np

import layered
from layered import layers
from _common import epochs, log_dir

STEPS = 10


def make_sequences(count, seed, steps=STEPS):
    """`count` sequences of 2..10 numbers in (0, 1], zero-padded to `steps`; and their sums."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 11, size=count)
    values = 1.0 - rng.random((count, steps))  # (0, 1]: a real step is never the pad value 0
    values[np.arange(steps) >= lengths[:, None]] = 0.0
    return values[..., None].astype("float32"), values.sum(1, keepdims=True).astype("float32")


def main(verbose=0):
    layered.utils.set_random_seed(8)
    x_train, y_train = make_sequences(4000, seed=0)
    x_test, y_test = make_sequences(500, seed=1)

    model = layered.Sequential([
        layered.Input(shape=(None, 1)),                # (batch, steps, features); any number of steps
        layers.Masking(mask_value=0.0),                # steps whose features are all 0 are padding
        layers.LSTM(32),                               # (batch, 32): the output at the last real step
        layers.Dense(1),
    ], name="sequence_sum")
    model.summary()
    steps = layered.Input(shape=(None, 1))  # symbolic: shapes only, nothing runs
    print(f"LSTM(32) maps {steps.shape} to {layers.LSTM(32)(steps).shape}; with return_sequences=True to "
          f"{layers.LSTM(32, return_sequences=True)(steps).shape}")
    model.compile(optimizer=layered.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    tensorboard = layered.callbacks.TensorBoard(log_dir=log_dir("08_lstm_sequence"))
    model.fit(x_train, y_train, batch_size=64, epochs=epochs(20, 2), callbacks=[tensorboard], verbose=verbose)
    _, mae = model.evaluate(x_test, y_test, verbose=0)
    baseline = float(np.abs(y_test - y_train.mean()).mean())

    # Masking at work: the same three numbers padded to 10 and to 20 steps give one answer.
    short = np.array([[0.5, 0.25, 0.75]], "float32")
    padded = [np.pad(short, ((0, 0), (0, n - 3)))[..., None] for n in (STEPS, 2 * STEPS)]
    ten, twenty = (float(model.predict(p, verbose=0)[0, 0]) for p in padded)
    print(f"0.5 + 0.25 + 0.75 = 1.5: predicted {ten:.3f} (padded to {STEPS} steps), "
          f"{twenty:.3f} (padded to {2 * STEPS})")
    print(f"test mean absolute error {mae:.4f} (always predicting the mean: {baseline:.4f})")
    return mae, baseline, abs(ten - twenty)


if __name__ == "__main__":
    main(verbose="auto")
