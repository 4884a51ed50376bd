"""The backend registry: lookup, errors, entry points."""
import sys

import pytest

import backends
import layered
from layered.graph import PRIMITIVES


def test_default_is_numpy(monkeypatch):
    monkeypatch.delenv("LAYERED_BACKEND", raising=False)
    assert backends.get().name == "numpy"
    assert layered.config.backend() == "numpy"


def test_environment_variable_selects(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    assert backends.get().name == "numpy"


def test_unknown_backend_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "nunpy")
    with pytest.raises(backends.BackendError, match=r"unknown backend 'nunpy'.*jax, numpy.*Did you mean 'numpy'"):
        backends.get()


def test_missing_dependency_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # makes `import jax` fail
    monkeypatch.delitem(sys.modules, "backends.jax", raising=False)
    monkeypatch.setattr(backends, "_loaded", {})
    with pytest.raises(backends.BackendError, match=r"pip install 'layered\[jax\]'"):
        backends.get("jax")


def test_third_party_backend_by_entry_point(monkeypatch):
    class FakeEntryPoint:
        name = "mine"

        def load(self):
            return type("Module", (), {"backend": "my-backend-object"})

    monkeypatch.setattr(backends, "_entry_points", lambda: {"mine": FakeEntryPoint()})
    monkeypatch.setattr(backends, "_loaded", {})
    assert "mine" in backends.available()
    assert backends.get("mine") == "my-backend-object"


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_every_backend_covers_every_primitive(name):
    if name == "jax":
        pytest.importorskip("jax")
    missing = set(PRIMITIVES) - set(backends.get(name).primitives)
    assert not missing, f"backend {name} lacks {sorted(missing)}"
