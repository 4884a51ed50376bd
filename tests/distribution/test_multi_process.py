"""Two processes on this machine, joined over loopback with JAX's CPU collectives (gloo),
each feeding its own half of the data: the same weights as one process fitting the
global batches (each the two processes' batches side by side)."""
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import layered

jax = pytest.importorskip("jax")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import multiprocess  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_train_like_one_on_the_global_batches(tmp_path, monkeypatch):
    port, script = free_port(), os.path.join(ROOT, "tests", "distribution", "multiprocess.py")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    procs = [subprocess.Popen([sys.executable, script, str(p), str(port), str(tmp_path / f"p{p}.npz")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for p in (0, 1)]
    try:
        logs = [p.communicate(timeout=180)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    if any(p.returncode == multiprocess.INITIALIZE_FAILED for p in procs):
        pytest.skip("jax.distributed.initialize over loopback failed here: " + "\n".join(logs)[-1500:])
    assert all(p.returncode == 0 for p in procs), "\n".join(logs)[-4000:]
    results = [np.load(tmp_path / f"p{p}.npz") for p in (0, 1)]
    assert len(results[0]["devices"]) == 2

    # The reference: one process, one device, the global batches in order.
    monkeypatch.setenv("LAYERED_BACKEND", "jax")
    x, y = multiprocess.data()
    b = multiprocess.LOCAL_BATCH
    halves = [(multiprocess.local_part(x, p), multiprocess.local_part(y, p)) for p in (0, 1)]
    starts = range(0, len(halves[0][0]), b)
    gx = np.concatenate([half[0][s:s + b] for s in starts for half in halves])
    gy = np.concatenate([half[1][s:s + b] for s in starts for half in halves])
    with jax.default_device(jax.devices("cpu")[0]):  # as the two processes ran (an accelerator may round differently)
        reference = multiprocess.model()
        history = reference.fit(gx, gy, batch_size=2 * b, epochs=2, shuffle=False, verbose=0)
        expected_predictions = [reference.predict(half[0], verbose=0) for half in halves]
    for result in results:
        weights = [result[f"arr_{i}"] for i in range(len(reference.get_weights()))]
        for got, want in zip(weights, reference.get_weights()):
            np.testing.assert_allclose(got, want, atol=1e-5)
        np.testing.assert_allclose(result["loss"], history.history["loss"], atol=1e-5)
    for result, expected in zip(results, expected_predictions):  # each process gets its own rows back
        np.testing.assert_allclose(result["predictions"], expected, atol=1e-5)
    assert layered.distribution.distribution() is None
