"""The classic first graph: one neuron, weight 0.8, input 1.0, target 0.

    y = w * x,  loss = (y - 0)^2,  gradient descent at 0.025 for 100 steps.

Each step multiplies w by 1 - 2 * 0.025 = 0.95, so the final weight is 0.8 * 0.95**100.
As in the classic demo, the output and the weight are logged at every step, with the
graph, for TensorBoard (`logs/01b_hello_graph`, or the directory in LAYERED_LOGDIR).
Run: python examples/01b_hello_graph.py      then: tensorboard --logdir logs
"""
import os

import layered
from layered import ops

x = layered.constant(1.0, name="input")
w = layered.Variable(0.8, name="weight")
y = w * x
loss = ops.square(y - 0.0)

train_step = layered.optimizers.SGD(learning_rate=0.025).minimize(loss, var_list=[w])
output = layered.function([], y)


def main(steps=100, logdir=None):
    logdir = logdir or os.environ.get("LAYERED_LOGDIR") or os.path.join("logs", "01b_hello_graph")
    with layered.summary.create_file_writer(logdir) as writer:
        writer.graph(train_step)
        for step in range(steps):
            value = float(output())
            writer.scalar("output", value, step=step)
            writer.scalar("weight", float(w.numpy()), step=step)
            if step % 10 == 0:
                print(f"step {step:3d}  y = {value:.6f}")
            train_step()
        writer.scalar("output", float(output()), step=steps)
        writer.scalar("weight", float(w.numpy()), step=steps)
    print(f"logged to {logdir} (tensorboard --logdir {logdir})")
    print(f"step {steps:3d}  y = {float(output()):.6f}")
    print(f"final weight {float(w.numpy()):.6f} (expected 0.8 * 0.95**100 = {0.8 * 0.95 ** 100:.6f})")
    return float(w.numpy())


if __name__ == "__main__":
    main()
