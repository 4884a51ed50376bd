"""`python -m layered.serve` in a real subprocess: it prints the bound URL, answers, and stops on SIGTERM."""
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

import layered
from layered import layers
from tests.serve.helpers import TIMEOUT, predict, request

ROOT = Path(__file__).resolve().parents[2]


def _first_url(process, deadline=60):
    """The first http:// word the server prints (read in a thread, so a silent server cannot hang us)."""
    lines = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(line)
        lines.put(None)  # the server exited
    threading.Thread(target=read, daemon=True).start()
    while True:
        line = lines.get(timeout=deadline)
        assert line is not None, f"the server exited ({process.wait()}) before printing its URL"
        for word in line.split():
            if word.startswith("http://"):
                return word


def test_cli_serves_a_saved_model_until_terminated(tmp_path):
    layered.utils.set_random_seed(5)
    model = layered.Sequential([layered.Input(shape=(3,)), layers.Dense(2)])
    path = tmp_path / "tiny.layered"
    model.save(path)
    x = np.array([[1.0, 2.0, 3.0]], "float32")
    expected = model.predict(x, verbose=0)
    env = dict(os.environ, LAYERED_BACKEND="numpy", PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "layered.serve", str(path), "--port", "0", "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url = _first_url(process)
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1/models/tiny")
        assert request(url)[1]["model_version_status"][0]["state"] == "AVAILABLE"

        class Server:  # what `predict` needs
            model_url = url
        status, body = predict(Server, {"instances": x.tolist()})
        assert status == 200
        np.testing.assert_allclose(body["predictions"], expected, atol=1e-5)
    finally:
        process.terminate()
        try:
            assert process.wait(timeout=TIMEOUT) == 0
        finally:
            process.kill()


def test_cli_help_and_a_missing_file():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-m", "layered.serve", "--help"], capture_output=True, text=True,
                           env=env, timeout=60)
    assert shown.returncode == 0 and "--max-batch-size" in shown.stdout and ":predict" in shown.stdout
    missing = subprocess.run([sys.executable, "-m", "layered.serve", "nothing.layered", "--port", "0"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 1 and "no model at" in missing.stderr
