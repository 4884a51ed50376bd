"""The classic first graph, written the Keras way: one neuron, weight 0.8, input 1.0, target 0.

    model = Dense(1, use_bias=False) with kernel 0.8; loss = mean squared error;
    plain gradient descent at 0.025, 100 epochs on the one sample.

Each epoch multiplies the weight by 1 - 2 * 0.025 = 0.95, so it ends at 0.8 * 0.95**100.
The same neuron without Keras is 01b_hello_graph.py.
Run: python examples/01_hello_neuron.py   (LAYERED_BACKEND=jax to run it on JAX)
"""
import numpy as np

import layered
from layered import layers


def main(epochs=100, verbose=0):
    model = layered.Sequential([
        layered.Input(shape=(1,)),
        layers.Dense(1, use_bias=False, kernel_initializer=layered.initializers.Constant(0.8)),
    ])
    model.compile(optimizer=layered.optimizers.SGD(learning_rate=0.025), loss="mean_squared_error")
    x, y = np.array([[1.0]]), np.array([[0.0]])
    history = model.fit(x, y, epochs=epochs, batch_size=1, verbose=verbose)
    for epoch in range(0, epochs, 10):
        print(f"epoch {epoch:3d}  loss = {history.history['loss'][epoch]:.6f}")
    weight = float(model.get_weights()[0][0, 0])
    print(f"output for input 1.0: {float(model.predict(x, verbose=0)[0, 0]):.6f}")
    print(f"final weight {weight:.6f} (expected 0.8 * 0.95**100 = {0.8 * 0.95 ** 100:.6f})")
    return weight


if __name__ == "__main__":
    main()
