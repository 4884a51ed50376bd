"""One process of a two-process data-parallel fit over loopback (CPU collectives).

`python tests/distribution/multiprocess.py PROCESS_ID PORT OUT.npz`: joins the run whose
coordinator listens on 127.0.0.1:PORT, fits on its own half of the data (each process
feeds its own shard) and saves the weights, the loss history and its predictions.
"""
import os
import sys

import numpy as np

import layered
from layered import distribution, layers

PROCESSES, LOCAL_BATCH = 2, 16


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(128, 12)).astype("float32"), rng.integers(0, 4, size=128)


def model():
    layered.utils.set_random_seed(1)
    m = layered.Sequential([layered.Input((12,)), layers.Dense(16, activation="relu"), layers.Dense(4)])
    m.compile(optimizer="adam", loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def local_part(array, process):
    rows = len(array) // PROCESSES
    return array[process * rows:(process + 1) * rows]


INITIALIZE_FAILED = 3  # the exit code when the processes could not join (the test skips)


def main(process, port, out):
    try:
        distribution.initialize(f"127.0.0.1:{port}", num_processes=PROCESSES, process_id=process)
    except Exception as err:  # noqa: BLE001
        print(f"initialize failed: {type(err).__name__}: {err}", flush=True)
        sys.exit(INITIALIZE_FAILED)
    x, y = data()
    x, y = local_part(x, process), local_part(y, process)
    distribution.set_distribution(distribution.DataParallel())
    m = model()
    history = m.fit(x, y, batch_size=LOCAL_BATCH, epochs=2, shuffle=False, verbose=0)
    predictions = m.predict(x, batch_size=LOCAL_BATCH, verbose=0)
    np.savez(out, *m.get_weights(), loss=np.array(history.history["loss"]), predictions=predictions,
             devices=np.array(distribution.list_devices()))


if __name__ == "__main__":
    os.environ["LAYERED_BACKEND"] = "jax"  # here only: the test imports this module for its data and model
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
