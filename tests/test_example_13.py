"""Example 13 (export and serve) runs in fast mode on both backends and its served model is accurate."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_export_and_serve_example(backend, tmp_path):
    if backend == "jax":
        pytest.importorskip("jax")
    env = dict(os.environ, LAYERED_BACKEND=backend, LAYERED_EXAMPLES_FAST="1", LAYERED_EXAMPLES_LOGS=str(tmp_path))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "13_export_and_serve.py")],
                            capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    accuracy = float(re.findall(r"^test accuracy ([0-9.]+)$", out, re.MULTILINE)[-1])
    assert accuracy > 0.8, out
    assert "served layered " in out and "same as model.predict: False" not in out
    if backend == "jax":
        assert "served stablehlo" in out
    assert "python -m layered.serve " in out and re.search(r"curl -d @\S+request\.json http://127\.0\.0\.1:8501/"
                                                           r"v1/models/digits_cnn:predict", out)
    assert (tmp_path / "13_export_and_serve" / "digits_cnn.layered").exists()
