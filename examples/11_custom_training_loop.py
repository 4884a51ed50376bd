"""A custom training loop: symbolic gradients with `layered.ops.grad`, a hand-written update,
and the summary writer logging the loss and a weight histogram for TensorBoard.

The model is a Dense stack used as a function; the loss, its gradients and the SGD-with-
momentum update are one graph compiled by `layered.function`, called once per batch.
Run: python examples/11_custom_training_loop.py   then   tensorboard --logdir logs/11_custom_training_loop
"""
import numpy as np

import layered
from layered import layers, ops
from layered.datasets import digits
from _common import epochs, log_dir


def main():
    layered.utils.set_random_seed(11)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = x_train.reshape(-1, 64).astype("float32") / 16.0, x_test.reshape(-1, 64).astype("float32") / 16.0
    hidden, head = layers.Dense(32, activation="tanh"), layers.Dense(10)

    x = layered.placeholder((None, 64), name="x")
    labels = layered.placeholder((None,), "int32", name="labels")
    logits = head(hidden(x))
    loss = ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    weights = hidden.trainable_weights + head.trainable_weights
    gradients = ops.grad(loss, weights)
    velocities = [layered.Variable(np.zeros(w.shape, "float32")) for w in weights]
    updates = []
    for w, g, v in zip(weights, gradients, velocities):  # momentum SGD, written out
        new_v = v * 0.9 - g * 0.1
        updates += [(v, new_v), (w, w + new_v)]
    train_step = layered.function([x, labels], loss, updates=updates)
    predict = layered.function([x], ops.argmax(logits, axis=-1))

    writer = layered.summary.create_file_writer(log_dir("11_custom_training_loop"))
    step = 0
    with writer:
        for epoch in range(epochs(30, 5)):
            order = np.random.default_rng(epoch).permutation(len(x_train))
            for start in range(0, len(x_train), 32):
                batch = order[start:start + 32]
                value = train_step(x_train[batch], y_train[batch].astype("int32"))
                writer.scalar("loss", float(value), step)
                step += 1
            writer.histogram("head/kernel", head.kernel.numpy(), step)
    accuracy = float(np.mean(predict(x_test) == y_test))
    print(f"{step} steps, final batch loss {float(value):.4f}, test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
