import importlib.util

import pytest

BACKENDS = ["numpy"] + (["jax"] if importlib.util.find_spec("jax") else [])


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """Runs the test once per installed backend, with LAYERED_BACKEND set accordingly."""
    monkeypatch.setenv("LAYERED_BACKEND", request.param)
    return request.param
